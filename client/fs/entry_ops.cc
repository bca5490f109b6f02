// Filesystem: namespace and attribute operations (lookup, getattr, setattr, create
// special files, directories, links, rename, statfs), each one master RPC.
#include "filesystem.h"

#include <kj/debug.h>
#include <cstring>
#include <cerrno>

namespace dfs {
namespace {

kj::Array<kj::byte> bytesOf(const char* s) {
  return kj::heapArray<kj::byte>(reinterpret_cast<const kj::byte*>(s), strlen(s));
}

int64_t nsOf(const struct timespec& t) { return int64_t(t.tv_sec) * 1'000'000'000LL + t.tv_nsec; }

}  // namespace

uint32_t Filesystem::umaskFor(fuse_req_t req) const {
  return umaskToMaster ? static_cast<uint32_t>(fuse_req_ctx(req)->umask) & 0777 : 0xffffffff;
}

void Filesystem::getattr(fuse_req_t req, fuse_ino_t ino) {
  uint64_t i = toMaster(ino);
  KJ_IF_MAYBE(a, freshAttr(i)) {
    struct stat st = toStat(*a);
    return (void)fuse_reply_attr(req, &st, attrTimeout);
  }
  run(req, master
               .call([i](wire::Session::Client& s) {
                 auto r = s.getAttrRequest();
                 r.setIno(i);
                 return r.send();
               })
               .then([this, req, i](capnp::Response<wire::Session::GetAttrResults> r) {
                 if (r.getErr() == ENOENT) {
                   // A directory removed while open here (fstat of its descriptor).
                   KJ_IF_MAYBE(gone, removedDirAttr(i)) {
                     struct stat st = toStat(*gone);
                     return (void)fuse_reply_attr(req, &st, 0);
                   }
                 }
                 if (r.getErr() != 0) return (void)fuse_reply_err(req, r.getErr());
                 rememberAttr(r.getAttr());
                 replyAttr(req, r.getAttr());
               }));
}

void Filesystem::setattr(fuse_req_t req, fuse_ino_t ino, struct stat* attr, int toSet) {
  uint64_t i = toMaster(ino);
  struct stat a = *attr;
  // A chown, or a truncate by a caller without CAP_FSETID (FUSE_HANDLE_KILLPRIV_V2).
  bool kill = wire.killSuidgid();
  // chmod/chown/utimes of a file this mount is writing go with its next commit.
  if ((toSet & FUSE_SET_ATTR_SIZE) == 0) {
    KJ_IF_MAYBE(f, attrWriteBack(i)) {
      int64_t now = wallClock.nowNs();
      PendingAttrs change;
      if (toSet & FUSE_SET_ATTR_MODE) change.mode = static_cast<uint32_t>(a.st_mode);
      // Kept with the others; a later chmod wins over it (PendingAttrs::merge).
      change.killSuidgid = kill;
      if (toSet & FUSE_SET_ATTR_UID) change.uid = static_cast<uint32_t>(a.st_uid);
      if (toSet & FUSE_SET_ATTR_GID) change.gid = static_cast<uint32_t>(a.st_gid);
      if (toSet & FUSE_SET_ATTR_ATIME_NOW) change.atimeNs = now;
      else if (toSet & FUSE_SET_ATTR_ATIME) change.atimeNs = nsOf(a.st_atim);
      if (toSet & FUSE_SET_ATTR_MTIME_NOW) change.mtimeNs = now;
      else if (toSet & FUSE_SET_ATTR_MTIME) change.mtimeNs = nsOf(a.st_mtim);
      struct stat st = toStat(deferAttrs(*f, kj::mv(change), now));
      return (void)fuse_reply_attr(req, &st, attrTimeout);
    }
  }
  // Attribute changes apply after the data written before them (a truncate must not be
  // undone by older buffered data, and cp -a's utimensat must not be overwritten by the
  // mtime of a later commit).
  kj::Promise<void> before = flushIfOpen(i);
  auto call = [this, i, a, toSet, kill](wire::Session::Client& s) {
    auto r = s.setAttrRequest();
    auto q = r.initReq();
    q.setIno(i);
    if (toSet & FUSE_SET_ATTR_MODE) { q.setSetMode(true); q.setMode(a.st_mode); }
    if (toSet & FUSE_SET_ATTR_UID) { q.setSetUid(true); q.setUid(a.st_uid); }
    if (toSet & FUSE_SET_ATTR_GID) { q.setSetGid(true); q.setGid(a.st_gid); }
    if (toSet & FUSE_SET_ATTR_SIZE) { q.setSetSize(true); q.setSize(a.st_size); }
    if (toSet & FUSE_SET_ATTR_ATIME_NOW) { q.setSetAtime(true); q.setAtimeNow(true); }
    else if (toSet & FUSE_SET_ATTR_ATIME) {
      q.setSetAtime(true);
      q.setAtimeNs(nsOf(a.st_atim));
    }
    if (toSet & FUSE_SET_ATTR_MTIME_NOW) { q.setSetMtime(true); q.setMtimeNow(true); }
    else if (toSet & FUSE_SET_ATTR_MTIME) {
      q.setSetMtime(true);
      q.setMtimeNs(nsOf(a.st_mtim));
    }
    q.setKillSuidgid(kill);
    r.setRequestId(0);
    return r.send();
  };
  run(req, before.then([this, call]() mutable { return master.call(kj::mv(call)); })
               .then([this, req, i, toSet](capnp::Response<wire::Session::SetAttrResults> r) {
                 if (r.getErr() != 0) return (void)fuse_reply_err(req, r.getErr());
                 if (toSet & FUSE_SET_ATTR_SIZE) {
                   KJ_IF_MAYBE(f, findOpen(i)) f->data->invalidateExtents();
                 }
                 changedHere(i);
                 rememberAttr(r.getAttr());
                 replyAttr(req, r.getAttr());
               }));
}

void Filesystem::readlink(fuse_req_t req, fuse_ino_t ino) {
  uint64_t i = toMaster(ino);
  run(req, master
               .call([i](wire::Session::Client& s) {
                 auto r = s.readlinkRequest();
                 r.setIno(i);
                 return r.send();
               })
               .then([req](capnp::Response<wire::Session::ReadlinkResults> r) {
                 if (r.getErr() != 0) return (void)fuse_reply_err(req, r.getErr());
                 auto t = r.getTarget();
                 auto text = kj::heapString(reinterpret_cast<const char*>(t.begin()), t.size());
                 fuse_reply_readlink(req, text.cStr());
               }));
}

void Filesystem::mknod(fuse_req_t req, fuse_ino_t parent, const char* nameC, mode_t mode,
                       dev_t rdev) {
  auto name = bytesOf(nameC);
  uint64_t p = toMaster(parent);
  const fuse_ctx* c = fuse_req_ctx(req);
  uid_t uid = c->uid;
  gid_t gid = c->gid;
  uint32_t umask = umaskFor(req);
  run(req, master
               .call([p, name = kj::mv(name), mode, rdev, uid, gid,
                      umask](wire::Session::Client& s) {
                 auto r = s.mknodRequest();
                 r.setParent(p);
                 r.setName(name);
                 r.setMode(mode);
                 r.setRdev(rdev);
                 r.setUid(uid);
                 r.setGid(gid);
                 r.setExclusive(true);
                 r.setUmask(umask);
                 r.setRequestId(0);
                 return r.send();
               })
               .then(addedReply(req, p, bytesOf(nameC)))
               .attach(leasedDirs.changing(p)));
}

void Filesystem::mkdir(fuse_req_t req, fuse_ino_t parent, const char* nameC, mode_t mode) {
  auto name = bytesOf(nameC);
  uint64_t p = toMaster(parent);
  const fuse_ctx* c = fuse_req_ctx(req);
  uid_t uid = c->uid;
  gid_t gid = c->gid;
  uint32_t umask = umaskFor(req);
  // A new directory nobody else knows yet: its lease makes the creates in it (untar,
  // cp -r) asynchronous from the start.
  bool lease = asyncDiropsOn;
  run(req, master
               .call([p, name = kj::mv(name), mode, uid, gid, umask,
                      lease](wire::Session::Client& s) {
                 auto r = s.mkdirRequest();
                 r.setParent(p);
                 r.setName(name);
                 r.setMode(mode | S_IFDIR);
                 r.setUid(uid);
                 r.setGid(gid);
                 r.setUmask(umask);
                 r.setRequestId(0);
                 r.setWantLease(lease);
                 return r.send();
               })
               .then([this, added = addedReply(req, p, bytesOf(nameC)),
                      recalls = leasedDirs.recalls()](
                         capnp::Response<wire::Session::MkdirResults> r) mutable {
                 added(r);
                 if (r.getErr() == 0) {
                   rememberAttr(r.getAttr());  // what a create in it starts from
                   leaseAnswer(r.getAttr().getIno(), r.getLeased(), recalls);
                 }
               })
               .attach(leasedDirs.changing(p)));
}

void Filesystem::unlink(fuse_req_t req, fuse_ino_t parent, const char* nameC) {
  auto name = bytesOf(nameC);
  uint64_t p = toMaster(parent);
  if (unlinkAsync(req, p, name)) return;
  bool lease = wantLease(p);
  run(req, master
               .call([p, name = kj::mv(name), lease](wire::Session::Client& s) {
                 auto r = s.unlinkRequest();
                 r.setParent(p);
                 r.setName(name);
                 r.setRequestId(0);
                 r.setWantLease(lease);
                 return r.send();
               })
               .then([this, p, removed = removedReply(req, p, bytesOf(nameC)),
                      recalls = leasedDirs.recalls()](
                         capnp::Response<wire::Session::UnlinkResults> r) mutable {
                 if (r.getErr() == 0) leaseAnswer(p, r.getLeased(), recalls);
                 removed(r);
               })
               .attach(leasedDirs.changing(p)));
}

void Filesystem::rmdir(fuse_req_t req, fuse_ino_t parent, const char* nameC) {
  auto name = bytesOf(nameC);
  uint64_t p = toMaster(parent);
  run(req, master
               .call([p, name = kj::mv(name)](wire::Session::Client& s) {
                 auto r = s.rmdirRequest();
                 r.setParent(p);
                 r.setName(name);
                 r.setRequestId(0);
                 return r.send();
               })
               .then([this, removed = removedReply(req, p, bytesOf(nameC))](
                         capnp::Response<wire::Session::RmdirResults> r) mutable {
                 if (r.getErr() == 0) leasedDirs.lost(r.getIno());  // the master dropped it
                 removed(r);
               })
               .attach(leasedDirs.changing(p)));
}

void Filesystem::symlink(fuse_req_t req, const char* targetC, fuse_ino_t parent,
                         const char* nameC) {
  auto name = bytesOf(nameC);
  auto target = bytesOf(targetC);
  uint64_t p = toMaster(parent);
  const fuse_ctx* c = fuse_req_ctx(req);
  uid_t uid = c->uid;
  gid_t gid = c->gid;
  run(req, master
               .call([p, name = kj::mv(name), target = kj::mv(target), uid,
                      gid](wire::Session::Client& s) {
                 auto r = s.symlinkRequest();
                 r.setParent(p);
                 r.setName(name);
                 r.setTarget(target);
                 r.setUid(uid);
                 r.setGid(gid);
                 r.setRequestId(0);
                 return r.send();
               })
               .then(addedReply(req, p, bytesOf(nameC)))
               .attach(leasedDirs.changing(p)));
}

void Filesystem::rename(fuse_req_t req, fuse_ino_t parent, const char* nameC,
                        fuse_ino_t newParent, const char* newNameC, unsigned int flags) {
  auto name = bytesOf(nameC);
  auto newName = bytesOf(newNameC);
  uint64_t p = toMaster(parent);
  uint64_t np = toMaster(newParent);
  // A file made here under the lease of `p` (of `np` too, for an exchange) may show
  // elsewhere now: the kept attribute changes of those files go first.
  kj::Promise<void> before = endAttrWriteBack(p);
  if (flags & RENAME_EXCHANGE) {
    before = before.then([this, np]() { return endAttrWriteBack(np); });
  }
  auto call = [this, p, np, name = kj::mv(name), newName = kj::mv(newName), flags]() mutable {
    return master.call([p, np, name = kj::mv(name), newName = kj::mv(newName),
                        flags](wire::Session::Client& s) {
      auto r = s.renameRequest();
      r.setParent(p);
      r.setName(name);
      r.setNewParent(np);
      r.setNewName(newName);
      r.setFlags(flags);
      r.setRequestId(0);
      return r.send();
    });
  };
  run(req, before.then(kj::mv(call))
               .then([this, req, p, np, flags, n = bytesOf(nameC), nn = bytesOf(newNameC)](
                         capnp::Response<wire::Session::RenameResults> r) {
                 if (r.getErr() == 0) {
                   renamedHere(p, n, np, nn, flags, r.getIno(), r.getReplacedIno());
                 } else {
                   // The names may not be what this mount believed: ask the master.
                   dirCache.nameChanged(p, n);
                   dirCache.nameChanged(np, nn);
                 }
                 fuse_reply_err(req, r.getErr());
               })
               .attach(leasedDirs.changing(p), leasedDirs.changing(np)));
}

void Filesystem::link(fuse_req_t req, fuse_ino_t ino, fuse_ino_t newParent, const char* nameC) {
  auto name = bytesOf(nameC);
  uint64_t i = toMaster(ino);
  uint64_t np = toMaster(newParent);
  // The file shows under another name now: its kept attribute changes go first.
  uint64_t leaseDir = 0;
  KJ_IF_MAYBE(f, findOpen(i)) leaseDir = f->leaseDir;
  run(req, endAttrWriteBack(leaseDir)
               .then([this, i, np, name = kj::mv(name)]() mutable {
                 return master.call([i, np, name = kj::mv(name)](wire::Session::Client& s) {
                   auto r = s.linkRequest();
                   r.setIno(i);
                   r.setNewParent(np);
                   r.setNewName(name);
                   r.setRequestId(0);
                   return r.send();
                 });
               })
               .then(addedReply(req, np, bytesOf(nameC)))
               .attach(leasedDirs.changing(np)));
}

void Filesystem::statfs(fuse_req_t req, fuse_ino_t) {
  run(req, master.call([](wire::Session::Client& s) { return s.statfsRequest().send(); })
               .then([req](capnp::Response<wire::Session::StatfsResults> r) {
                 auto s = r.getStat();
                 struct statvfs st;
                 memset(&st, 0, sizeof(st));
                 const uint64_t unit = 4096;
                 st.f_bsize = 1 << 20;
                 st.f_frsize = unit;
                 st.f_blocks = s.getTotalBytes() / unit;
                 st.f_bfree = s.getFreeBytes() / unit;
                 st.f_bavail = st.f_bfree;
                 st.f_files = s.getFiles() + s.getFreeFiles();
                 st.f_ffree = s.getFreeFiles();
                 st.f_favail = st.f_ffree;
                 st.f_namemax = 255;
                 fuse_reply_statfs(req, &st);
               }));
}

}  // namespace dfs
