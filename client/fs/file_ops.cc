// Filesystem: open files (create, open, read, write, flush, fsync, release). Data goes
// through the inode's FileData; commits happen at flush/fsync/close.
#include "filesystem.h"

#include <kj/debug.h>
#include <cstring>
#include <fcntl.h>
#include <cerrno>

namespace dfs {

void Filesystem::create(fuse_req_t req, fuse_ino_t parent, const char* nameC, mode_t mode,
                        struct fuse_file_info* fi) {
  auto name = kj::heapArray<kj::byte>(reinterpret_cast<const kj::byte*>(nameC), strlen(nameC));
  auto listed = kj::heapArray<kj::byte>(name.asPtr());  // for the listing cache
  uint64_t p = toMaster(parent);
  if (createAsync(req, p, name, mode, fi)) return;
  const fuse_ctx* c = fuse_req_ctx(req);
  uid_t uid = c->uid;
  gid_t gid = c->gid;
  bool exclusive = (fi->flags & O_EXCL) != 0;
  uint32_t umask = umaskFor(req);
  struct fuse_file_info info = *fi;
  bool lease = wantLease(p);
  run(req, master
               .call([p, name = kj::mv(name), mode, uid, gid, exclusive, umask,
                      lease](wire::Session::Client& s) {
                 auto r = s.mknodRequest();
                 r.setParent(p);
                 r.setName(name);
                 r.setMode((mode & ~S_IFMT) | S_IFREG);
                 r.setUid(uid);
                 r.setGid(gid);
                 r.setExclusive(exclusive);
                 r.setUmask(umask);
                 r.setOpen(true);  // the master counts this open (released in releaseOpen)
                 r.setRequestId(0);
                 r.setWantLease(lease);
                 return r.send();
               })
               .then([this, req, info, exclusive, p, name = kj::mv(listed),
                      changing = leasedDirs.changing(p), recalls = leasedDirs.recalls()](
                         capnp::Response<wire::Session::MknodResults> r) mutable {
                 if (r.getErr() != 0) {
                   dirCache.nameChanged(p, name);
                   return (void)fuse_reply_err(req, r.getErr());
                 }
                 leaseAnswer(p, r.getLeased(), recalls);
                 auto attr = r.getAttr();
                 addedHere(p, name, attr);
                 if (r.hasParentAttr()) rememberAttr(r.getParentAttr());
                 // A file created here (O_EXCL: not an existing one) has no capabilities.
                 if (exclusive) noCapability.remember(attr.getIno(), timer.now());
                 auto& f = retainOpen(attr.getIno(), forWriting(info.flags));
                 f.data->invalidateExtents();
                 // Nobody else can have it open yet: its attribute changes may wait for
                 // its commit (attrWriteBack).
                 if (exclusive && f.opens == 1) {
                   f.createdHere = true;
                   if (leasedDirs.holds(p)) f.leaseDir = p;
                 }
                 rememberAttr(attr);
                 info.fh = nextFileHandle++;
                 setCacheFlags(info);
                 struct fuse_entry_param e = makeEntry(attr);
                 if (fuse_reply_create(req, &e, &info) != 0) {
                   // The kernel gave up on the request: undo the open.
                   background.add(releaseOpen(attr.getIno(), forWriting(info.flags)));
                 }
               }));
}

void Filesystem::open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info* fi) {
  uint64_t i = toMaster(ino);
  struct fuse_file_info info = *fi;
  // The master counts the open (an unlinked file lives on until its last close) and
  // returns fresh attributes.
  run(req, openAtMaster(i).then([this, req, i, info](
                                     capnp::Response<wire::Session::OpenResults> r) mutable {
    auto& f = retainOpen(i, forWriting(info.flags));
    f.data->invalidateExtents();  // close-to-open: see what others committed
    rememberAttr(r.getAttr());    // fstat after open needs no round trip
    info.fh = nextFileHandle++;
    setCacheFlags(info);
    if (fuse_reply_open(req, &info) != 0) {
      background.add(releaseOpen(i, forWriting(info.flags)));
    }
  }));
}

void Filesystem::read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
                      struct fuse_file_info* fi) {
  uint64_t i = toMaster(ino);
  if (locksLost(fi)) return (void)fuse_reply_err(req, EIO);
  KJ_IF_MAYBE(f, findOpen(i)) {
    // Strong: every read sees what other mounts committed up to now.
    if (strongMount()) f->data->invalidateExtents();
    readAccess(*f);
    run(req, f->data->read(off, size).then([this, req](ReadResult data) {
      counters.bytesRead += data.size();
      // Straight from the cached segments into the kernel (one writev), unless the data
      // is in too many pieces for one.
      auto pieces = data.pieces();
      if (pieces.size() > 0 && pieces.size() <= ReadResult::kMaxPieces) {
        fuse_reply_iov(req, pieces.begin(), static_cast<int>(pieces.size()));
      } else {
        auto flat = data.flatten();
        fuse_reply_buf(req, reinterpret_cast<const char*>(flat.begin()), flat.size());
      }
    }));
  } else {
    fuse_reply_err(req, EBADF);
  }
}

void Filesystem::write(fuse_req_t req, fuse_ino_t ino, const char* buf, size_t size, off_t off,
                       struct fuse_file_info* fi) {
  uint64_t i = toMaster(ino);
  if (locksLost(fi)) return (void)fuse_reply_err(req, EIO);
  KJ_IF_MAYBE(f, findOpen(i)) {
    // libfuse reuses `buf` after we return: copy it now.
    auto data = kj::heapArray<kj::byte>(reinterpret_cast<const kj::byte*>(buf), size);
    FileData* fileData = f->data.get();
    // Size and mtime move: the listing's copy is stale. The open file's cached copy stays
    // (toStat puts the buffered writes on top of it).
    dirCache.attrsChanged(i);
    // The caller lacks CAP_FSETID (FUSE_HANDLE_KILLPRIV_V2): set-id bits go with the data.
    if (wire.killSuidgid()) fileData->killSuidgidWithData();
    auto written = fileData->write(off, kj::mv(data), wallClock.nowNs());
    // Strong: the write returns only once every replica has it and the master committed it.
    if (strongMount()) {
      written = written.then([fileData]() { return fileData->flush(); }).then([this]() {
        return syncMaster();
      });
    }
    run(req, written.then([this, req, size]() {
      counters.bytesWritten += size;
      fuse_reply_write(req, size);
    }));
  } else {
    fuse_reply_err(req, EBADF);
  }
}

void Filesystem::readAccess(OpenFile& f) {
  if (noatime || !f.atimeDue) return;
  f.atimeDue = false;
  uint64_t ino = f.ino;
  background.add(master
                     .call([ino](wire::Session::Client& s) {
                       auto r = s.touchAtimeRequest();
                       r.setIno(ino);
                       return r.send();
                     })
                     .then([this, ino](capnp::Response<wire::Session::TouchAtimeResults> r)
                               -> kj::Promise<void> {
                       if (r.getErr() != 0 || !r.getUpdated()) return kj::READY_NOW;
                       changedHere(ino);
                       return refreshOwnAttrs(ino);
                     })
                     .catch_([](kj::Exception&& e) {
                       KJ_LOG(WARNING, "atime update failed", e.getDescription());
                     }));
}

bool Filesystem::strongMount() const {
  return master.consistency() == wire::Consistency::STRONG;
}

void Filesystem::setCacheFlags(struct fuse_file_info& info) const {
  if (strongMount()) {
    // No kernel data cache: every read comes here and sees the latest commit.
    info.direct_io = 1;
    info.keep_cache = 0;
  } else {
    // Keep cached pages across opens; the kernel drops them when a fresh lookup/getattr
    // shows another size or mtime (FUSE_CAP_AUTO_INVAL_DATA), and the master's
    // invalidation drops them when another quorum mount commits (close-to-open).
    info.keep_cache = 1;
  }
}

void Filesystem::applyConsistency(const MountOptions& options) {
  KJ_DEFER({
    if (!dirCacheOn) dirCache = DirCache(0);  // listings only where invalidated
    // Asynchronous creates and unlinks answer from listings, under the master's leases
    // (recalled through the same callback as invalidations).
    asyncDiropsOn = options.asyncDirops && dirCacheOn && master.invalidates();
    xattrFree = AbsentXattrs(secondsToDuration(attrTimeout), 65536);
    // Where the kernel keeps what it read (setCacheFlags), the mount need not.
    ctx.dropBehind = options.dropBehind && !strongMount();
  });
  switch (master.consistency()) {
    case wire::Consistency::EVENTUAL:
      // Other mounts' changes show after these cache times at the latest; usually at
      // once, when the master's invalidation (not waited for) arrives, which also keeps
      // the listings this mount answers lookups from.
      if (!options.attrTimeoutSet) attrTimeout = kCacheSeconds;
      if (!options.entryTimeoutSet) entryTimeout = kCacheSeconds;
      // Nobody waits for this mount's invalidations: listings last entry_timeout at most.
      dirCacheOn = master.invalidates() && entryTimeout > 0;
      if (dirCacheOn) {
        dirCache.setMaxAge(timer, secondsToDuration(entryTimeout));
      }
      break;
    case wire::Consistency::QUORUM:
      if (master.invalidates()) {
        // The master drops what another mount changes from this kernel's caches before
        // that change is acknowledged, so names and attributes can be kept long.
        if (!options.attrTimeoutSet) attrTimeout = kInvalidatedCacheSeconds;
        if (!options.entryTimeoutSet) entryTimeout = kInvalidatedCacheSeconds;
        dirCacheOn = true;
      } else {
        // Names are looked up again at every path walk (entry timeout 0), and each lookup
        // brings fresh attributes, so open() and stat(path) see every close of another
        // mount; cached attributes only serve fstat() and the getattr after a lookup.
        if (!options.attrTimeoutSet) attrTimeout = kCacheSeconds;
      }
      break;
    case wire::Consistency::STRONG:
      break;  // nothing cached: every stat asks the master
  }
}

kj::Promise<capnp::Response<wire::Session::OpenResults>> Filesystem::openAtMaster(
    uint64_t ino) {
  return master
      .call([ino](wire::Session::Client& s) {
        auto r = s.openRequest();
        r.setIno(ino);
        return r.send();
      })
      .then([](capnp::Response<wire::Session::OpenResults> r)
                -> kj::Promise<capnp::Response<wire::Session::OpenResults>> {
        if (r.getErr() != 0) return KJ_EXCEPTION(FAILED, "open refused", r.getErr());
        return kj::mv(r);
      });
}

void Filesystem::flush(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info* fi) {
  uint64_t i = toMaster(ino);
  // The commit that follows the upload needs the file's create applied first: let the
  // master do that while the data goes to the chunk servers.
  master.sendHeld();
  // close() also drops the closing process's fcntl locks (done even if the flush fails).
  auto work = kj::heapArrayBuilder<kj::Promise<void>>(2);
  // cp -a's chown, ACL and utimes after copy_file_range committed the data: no round trip.
  if (keptAttrsMayFollowClose(i)) {
    work.add(kj::READY_NOW);
  } else {
    work.add(commitOwn(i));
  }
  work.add(dropLocksAtFlush(i, fi->lock_owner));
  run(req, kj::joinPromises(work.finish()).then([req]() { fuse_reply_err(req, 0); }));
}

void Filesystem::fsync(fuse_req_t req, fuse_ino_t ino, int datasync, struct fuse_file_info* fi) {
  if (locksLost(fi)) return (void)fuse_reply_err(req, EIO);
  // Commit what is buffered, then make the data (chunk servers) and the metadata (master)
  // durable, both at once. A file created asynchronously: its create must have worked.
  uint64_t i = toMaster(ino);
  run(req, commitOwn(i)
               .then([this]() {
                 auto syncs = kj::heapArrayBuilder<kj::Promise<void>>(2);
                 syncs.add(unsynced.syncAll(chunks, timer.now()));
                 syncs.add(syncMaster());
                 return kj::joinPromises(syncs.finish());
               })
               .then([this, i]() { return asyncSettled(i, false); })
               .then([req](bool failed) { fuse_reply_err(req, failed ? EIO : 0); }));
}

kj::Promise<void> Filesystem::commitOwn(uint64_t ino) {
  KJ_IF_MAYBE(f, findOpen(ino)) {
    if (!f->data->unflushed()) return kj::READY_NOW;
    // What the kernel holds, if anything: after a write it asks again, so only what this
    // mount last answered (the master's attributes with the buffered writes and pending
    // changes on top).
    kj::Maybe<struct stat> shown;
    KJ_IF_MAYBE(a, freshAttr(ino)) shown = toStat(*a);
    return f->data->flush().then([this, ino, shown]() -> kj::Promise<void> {
      changedHere(ino);
      KJ_IF_MAYBE(f, findOpen(ino)) {
        KJ_IF_MAYBE(a, f->data->takeCommittedAttr()) {
          rememberAttr(*a);
          // The commit recorded what was shown (times of the writes, not of the commit):
          // the kernel's copy is still right.
          KJ_IF_MAYBE(s, shown) {
            if (sameStat(*s, toStat(*a))) return kj::READY_NOW;
          }
        }
      }
      return refreshOwnAttrs(ino);
    });
  }
  return kj::READY_NOW;
}

void Filesystem::fsyncdir(fuse_req_t req, fuse_ino_t ino, int datasync,
                          struct fuse_file_info* fi) {
  // The asynchronous creates and unlinks sent in it are answered, and durable with the
  // master's sync (it comes after them); EIO if one of them failed.
  uint64_t dir = toMaster(ino);
  run(req, asyncSettled(dir, true).then([this](bool failed) {
    return syncMaster().then([failed]() { return failed; });
  }).then([req](bool failed) { fuse_reply_err(req, failed ? EIO : 0); }));
}

kj::Promise<void> Filesystem::syncMaster() {
  return master.call([](wire::Session::Client& s) { return s.syncRequest().send(); })
      .ignoreResult();
}

void Filesystem::release(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info* fi) {
  // close() already flushed (FUSE flush); nothing can report an error of release, so the
  // kernel is answered at once and the commit of leftovers + master release follow.
  uint64_t i = toMaster(ino);
  bool lastOpen = false;
  KJ_IF_MAYBE(f, findOpen(i)) { lastOpen = f->opens == 1; }
  fuse_reply_err(req, 0);
  heldLocks.handleClosed(fi->fh);
  background.add(dropLocksAtRelease(i, *fi, lastOpen));
  background.add(releaseOpen(i, forWriting(fi->flags)));
}

}  // namespace dfs
