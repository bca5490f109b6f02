// Filesystem: asynchronous creates and unlinks in directories whose lease this mount
// holds (client/cache/leased_dirs.h, server/master/service/dir_leases.h).
//
// The mount answers from its complete listing of the directory (DirCache), with an inode
// number the master reserved for it (InodePool), and sends the call at once without
// waiting for the reply. The master applies a session's calls in the order sent, so
// everything the mount sends later (the file's commit, a lookup, fsync's sync) comes
// after it; another mount's call in the directory first recalls the lease, which waits
// for the replies. What such a reply can still say is a failure the caller was not told
// of (the lease was revoked, the master lost the session): asyncFailed logs it and drops
// the name from the caches.
#include "filesystem.h"

#include <kj/debug.h>
#include <cerrno>

namespace dfs {

bool Filesystem::wantLease(uint64_t parent) {
  if (!asyncDiropsOn) return false;
  // Only where the mount keeps the listing: that is what it answers from.
  return dirCache.listed(parent);
}

void Filesystem::leaseAnswer(uint64_t dir, bool leased, uint64_t recallsBefore) {
  if (!leased) return;
  // A recall that overtook the reply may have ended this very lease already.
  if (leasedDirs.recalls() != recallsBefore) return;
  asyncCounters.granted++;
  leasedDirs.granted(dir);
  dirCache.hold(dir, true);  // (an eventual mount's listing would age out otherwise)
  inodePool.prepare();  // numbers ready before the first create needs one
}

kj::Promise<void> Filesystem::recallLeases(capnp::List<uint64_t>::Reader dirs) {
  master.sendHeld();  // what is in flight in them must reach the master
  kj::Vector<kj::Promise<void>> drained;
  for (uint64_t dir : dirs) {
    asyncCounters.recalled++;
    dirCache.hold(dir, false);
    drained.add(leasedDirs.recalled(dir));
    // Files made in it with attribute changes kept for their commit: the other mount is
    // about to see them, so the changes go first.
    drained.add(endAttrWriteBack(dir));
  }
  return kj::joinPromises(drained.releaseAsArray());
}

bool Filesystem::createAsync(fuse_req_t req, uint64_t p, kj::ArrayPtr<const kj::byte> name,
                             mode_t mode, struct fuse_file_info* fi) {
  if (!asyncDiropsOn || !leasedDirs.usable(p)) return false;
  // The new inode's owner, group and mode are decided here as the master would: only
  // without a default ACL to inherit (the parent has no xattrs at all).
  AttrCopy parentAttr;
  KJ_IF_MAYBE(a, freshAttr(p)) { parentAttr = *a; } else { return false; }
  if (!parentAttr.noXattrs) return false;
  AttrCopy existing;
  if (dirCache.find(p, name, existing) != DirCache::Answer::MISSING) return false;
  uint64_t ino;
  KJ_IF_MAYBE(i, inodePool.take()) { ino = *i; } else { return false; }

  const fuse_ctx* c = fuse_req_ctx(req);
  uint32_t umask = umaskFor(req);
  int64_t now = wallClock.nowNs();
  AttrCopy attr;
  attr.ino = ino;
  attr.mode = S_IFREG | (mode & 07777 & (umask == 0xffffffff ? 07777 : ~umask));
  attr.nlink = 1;
  attr.uid = c->uid;
  // A set-group-ID directory gives its group (as the master's Namespace::create).
  attr.gid = (parentAttr.mode & S_ISGID) != 0 ? parentAttr.gid : c->gid;
  attr.atimeNs = attr.mtimeNs = attr.ctimeNs = now;
  attr.allocatedBytes = 0;
  attr.noXattrs = true;
  auto sent = master.callSoon([p, name = kj::heapArray(name), attr, now](
                                  wire::Session::Client& s) {
    auto r = s.mknodRequest();
    r.setParent(p);
    r.setName(name);
    r.setMode(attr.mode);  // the umask is applied already
    r.setUid(attr.uid);
    r.setGid(attr.gid);
    r.setExclusive(true);
    r.setOpen(true);  // released in releaseOpen, like a synchronous create's
    r.setIno(attr.ino);
    r.setTimeNs(now);
    return r.send();
  });
  KJ_IF_MAYBE(call, sent) {
    asyncCreating[ino] = p;
    trackAsync("create", p, name, ino,
               call->then([](capnp::Response<wire::Session::MknodResults> r) {
                       return static_cast<int>(r.getErr());
                     })
                   .attach(kj::defer([this, ino]() { asyncCreating.erase(ino); })));
  } else {
    return false;  // no session: the synchronous path connects
  }
  asyncCounters.creates++;
  // What the master will have: the listing names the file; the directory's times moved
  // (kept here for getattr; the slot naming the directory in its own parent's listing
  // goes stale, as after any change of its attributes).
  dirCache.added(p, name, attr);
  dirCache.attrsChanged(p);
  parentAttr.mtimeNs = parentAttr.ctimeNs = now;
  rememberAttr(parentAttr);
  noCapability.remember(ino, timer.now());
  auto& f = retainOpen(ino, forWriting(fi->flags));
  f.createdHere = true;  // new, and nobody else can know it: attribute write-back
  f.leaseDir = p;
  rememberAttr(attr);
  struct fuse_file_info info = *fi;
  info.fh = nextFileHandle++;
  setCacheFlags(info);
  struct fuse_entry_param e = makeEntry(attr);
  if (fuse_reply_create(req, &e, &info) != 0) {
    background.add(releaseOpen(ino, forWriting(info.flags)));
  }
  return true;
}

bool Filesystem::unlinkAsync(fuse_req_t req, uint64_t p, kj::ArrayPtr<const kj::byte> name) {
  if (!asyncDiropsOn || !leasedDirs.usable(p)) return false;
  AttrCopy parentAttr;
  KJ_IF_MAYBE(a, freshAttr(p)) { parentAttr = *a; } else { return false; }
  AttrCopy target;
  if (dirCache.find(p, name, target) != DirCache::Answer::FOUND) return false;
  if (S_ISDIR(target.mode)) return false;
  // A file open here may still have data, attribute changes or its release on the way:
  // those calls were not sent yet, and must not come after its unlink.
  if (findOpen(target.ino) != nullptr) return false;
  int64_t now = wallClock.nowNs();
  auto sent = master.callSoon([p, name = kj::heapArray(name), now](wire::Session::Client& s) {
    auto r = s.unlinkRequest();
    r.setParent(p);
    r.setName(name);
    r.setAsync(true);
    r.setTimeNs(now);
    return r.send();
  });
  KJ_IF_MAYBE(call, sent) {
    trackAsync("unlink", p, name, target.ino,
               call->then([](capnp::Response<wire::Session::UnlinkResults> r) {
                 return static_cast<int>(r.getErr());
               }));
  } else {
    return false;
  }
  asyncCounters.unlinks++;
  dirCache.removed(p, name);
  attrsChanged(target.ino);  // nlink and ctime moved (for other names of it)
  dirCache.attrsChanged(p);
  parentAttr.mtimeNs = parentAttr.ctimeNs = now;
  rememberAttr(parentAttr);
  fuse_reply_err(req, 0);
  return true;
}

void Filesystem::trackAsync(const char* what, uint64_t parent,
                            kj::ArrayPtr<const kj::byte> name, uint64_t ino,
                            kj::Promise<int> err) {
  background.add(
      err.catch_([](kj::Exception&& e) { return errnoFor(e); })
          .then([this, what, parent, name = kj::heapArray(name), ino](int err) {
            if (err != 0) asyncFailed(what, parent, name, ino, err);
          })
          .attach(leasedDirs.started(parent)));
}

kj::Promise<bool> Filesystem::asyncSettled(uint64_t ino, bool dir) {
  master.sendHeld();
  uint64_t waitIn = ino;
  if (!dir) {
    auto it = asyncCreating.find(ino);
    waitIn = it == asyncCreating.end() ? 0 : it->second;
  }
  kj::Promise<void> idle = waitIn == 0 ? kj::Promise<void>(kj::READY_NOW) : leasedDirs.idle(waitIn);
  return idle.then([this, ino, dir]() {
    return dir ? asyncFailedDirs.erase(ino) > 0 : asyncFailedInodes.erase(ino) > 0;
  });
}

void Filesystem::asyncFailed(const char* what, uint64_t parent,
                             kj::ArrayPtr<const kj::byte> name, uint64_t ino, int err) {
  asyncCounters.failed++;
  // Reported by the next fsync of the directory or the file (bounded: a mount that keeps
  // failing and is never fsynced forgets the oldest reasons).
  if (asyncFailedDirs.size() > 65536) asyncFailedDirs.clear();
  if (asyncFailedInodes.size() > 65536) asyncFailedInodes.clear();
  asyncFailedDirs.insert(parent);
  asyncFailedInodes.insert(ino);
  KJ_LOG(ERROR, "an asynchronous operation failed at the master after the caller was told it "
         "succeeded; the mount forgets what it showed of the name", what, parent,
         kj::str(name.asChars()), ino, strerror(err));
  // The mount's view of the directory is wrong: no more asynchronous operations there
  // until the master grants the lease again, and the name is asked for afresh.
  leasedDirs.lost(parent);
  dirCache.hold(parent, false);
  dirCache.nameChanged(parent, name);
  attrsChanged(parent);
  attrsChanged(ino);
  KernelInvalidation out;
  out.entries.add(toFuse(parent), kj::heapArray(name));
  out.attrs.add(toFuse(parent));
  background.add(notifier.invalidate(kj::mv(out)));
}

}  // namespace dfs
