// Filesystem: fcntl (POSIX, OFD) and flock locks. The master holds them, keyed by this
// mount's session and the kernel's lock owner, so they hold across mounts. A blocking
// request waits at the master without the RPC deadline; a signal to the waiting process
// (FUSE interrupt) ends the wait at the master, which answers EINTR unless it granted
// the lock first (the caller then has it, exactly as the master says). Every grant and
// release is also recorded in heldLocks, from which a new session reclaims them
// (lock_reclaim.cc); a handle whose locks were lost refuses new locks with EIO.
#include "filesystem.h"

#include <kj/debug.h>
#include <cerrno>
#include <fcntl.h>
#include <sys/file.h>

namespace dfs {
namespace {

constexpr uint64_t kToEof = UINT64_MAX;  // wire: a range that reaches past the end

kj::Maybe<wire::LockType> typeOf(short type) {
  switch (type) {
    case F_RDLCK: return wire::LockType::READ;
    case F_WRLCK: return wire::LockType::WRITE;
    case F_UNLCK: return wire::LockType::UNLOCK;
    default: return nullptr;
  }
}

// The kernel resolved l_whence and negative lengths already (l_whence is SEEK_SET, l_len
// 0 means to the end). Returns false for a range no kernel sends.
bool rangeOf(const struct flock& lock, uint64_t& start, uint64_t& end) {
  if (lock.l_start < 0 || lock.l_len < 0) return false;
  start = static_cast<uint64_t>(lock.l_start);
  end = lock.l_len == 0 ? kToEof : start + static_cast<uint64_t>(lock.l_len) - 1;
  return end >= start;
}

LockType localType(wire::LockType type) {
  switch (type) {
    case wire::LockType::READ: return LockType::READ;
    case wire::LockType::WRITE: return LockType::WRITE;
    default: return LockType::UNLOCK;
  }
}

}  // namespace

struct Filesystem::LockWait {
  LockWait(Filesystem& fs, uint64_t ino) : fs(fs), tag(fs.nextWaitTag++), ino(ino) {
    fs.lockWaits[tag] = this;
  }
  ~LockWait() { fs.lockWaits.erase(tag); }
  KJ_DISALLOW_COPY(LockWait);

  Filesystem& fs;
  const uint64_t tag;
  const uint64_t ino;
  kj::Canceler canceler;  // stops the wait here when the master cannot be asked to
  bool interrupted = false;
};

// libfuse's interrupt callback. It runs on the FUSE reader, which is this event loop's
// thread (fuse_loop.cc), and not after the request was answered.
void Filesystem::onLockInterrupt(fuse_req_t, void* data) {
  auto* wait = static_cast<LockWait*>(data);
  wait->fs.interruptWait(*wait);
}

void Filesystem::getlk(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info* fi,
                       struct flock* lock) {
  uint64_t start, end;
  auto type = typeOf(lock->l_type);
  if (type == nullptr || !rangeOf(*lock, start, end)) return (void)fuse_reply_err(req, EINVAL);
  uint64_t i = toMaster(ino);
  uint64_t owner = fi->lock_owner;
  auto t = KJ_ASSERT_NONNULL(type);
  run(req, master
               .callLock([i, owner, t, start, end](wire::Session::Client& s) {
                 auto r = s.getLockRequest();
                 auto l = r.initLock();
                 l.setIno(i);
                 l.setOwner(owner);
                 l.setType(t);
                 l.setStart(start);
                 l.setEnd(end);
                 return r.send();
               })
               .then([req, in = *lock](capnp::Response<wire::Session::GetLockResults> r) {
                 auto c = r.getConflict();
                 struct flock out = in;
                 out.l_whence = SEEK_SET;
                 switch (c.getType()) {
                   case wire::LockType::READ: out.l_type = F_RDLCK; break;
                   case wire::LockType::WRITE: out.l_type = F_WRLCK; break;
                   default: out.l_type = F_UNLCK; break;
                 }
                 if (out.l_type != F_UNLCK) {
                   out.l_start = static_cast<off_t>(c.getStart());
                   out.l_len = c.getEnd() == kToEof
                                   ? 0
                                   : static_cast<off_t>(c.getEnd() - c.getStart() + 1);
                   out.l_pid = static_cast<pid_t>(c.getPid());
                 }
                 fuse_reply_lock(req, &out);
               }));
}

void Filesystem::setlk(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info* fi,
                       struct flock* lock, int sleep) {
  uint64_t start, end;
  auto type = typeOf(lock->l_type);
  if (type == nullptr || !rangeOf(*lock, start, end)) return (void)fuse_reply_err(req, EINVAL);
  setLock(req, toMaster(ino), fi->fh, fi->lock_owner, static_cast<uint32_t>(lock->l_pid),
          KJ_ASSERT_NONNULL(type), start, end, sleep != 0, false);
}

void Filesystem::flock(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info* fi, int op) {
  wire::LockType type;
  switch (op & (LOCK_SH | LOCK_EX | LOCK_UN)) {
    case LOCK_SH: type = wire::LockType::READ; break;
    case LOCK_EX: type = wire::LockType::WRITE; break;
    case LOCK_UN: type = wire::LockType::UNLOCK; break;
    default: return (void)fuse_reply_err(req, EINVAL);
  }
  setLock(req, toMaster(ino), fi->fh, fi->lock_owner, fuse_req_ctx(req)->pid, type, 0, kToEof,
          (op & LOCK_NB) == 0, true);
}

void Filesystem::setLock(fuse_req_t req, uint64_t ino, uint64_t fh, uint64_t owner, uint32_t pid,
                         wire::LockType type, uint64_t start, uint64_t end, bool wait,
                         bool flock) {
  FileLock local;
  local.owner = LockOwner{0, owner};
  local.type = localType(type);
  local.start = start;
  local.end = end;
  local.pid = pid;
  auto cls = flock ? LockClass::FLOCK : LockClass::POSIX;
  if (type != wire::LockType::UNLOCK) {
    // This handle's locks were lost: the process must not believe it holds new ones on
    // top (it may recover by closing and reopening the file).
    if (heldLocks.handleLost(fh)) return (void)fuse_reply_err(req, EIO);
    auto& locked = lockedInodes[ino];
    (flock ? locked.flock : locked.posix) = true;
  } else {
    heldLocks.apply(ino, cls, local, fh);  // gone whatever the master answers
  }
  wait = wait && type != wire::LockType::UNLOCK;
  kj::Own<LockWait> waiting;
  if (wait) waiting = kj::heap<LockWait>(*this, ino);
  uint64_t tag = wait ? waiting->tag : 0;
  auto send = [ino, owner, pid, type, start, end, wait, flock, tag](wire::Session::Client& s) {
    auto r = s.setLockRequest();
    auto l = r.initLock();
    l.setIno(ino);
    l.setOwner(owner);
    l.setPid(pid);
    l.setType(type);
    l.setStart(start);
    l.setEnd(end);
    l.setFlock(flock);
    r.setWait(wait);
    r.setWaitTag(tag);
    return r.send();
  };
  auto replyErr = [this, req, ino, cls, local, fh](capnp::Response<wire::Session::SetLockResults> r) {
    if (r.getErr() == 0 && local.type != LockType::UNLOCK) heldLocks.apply(ino, cls, local, fh);
    fuse_reply_err(req, r.getErr());
  };
  if (!wait) return run(req, master.callLock(kj::mv(send)).then(kj::mv(replyErr)));

  LockWait* w = waiting.get();
  tasks.add(w->canceler.wrap(master.callWaiting(kj::mv(send)))
                .then(kj::mv(replyErr), [req, w](kj::Exception&& e) {
                  if (w->interrupted) return (void)fuse_reply_err(req, EINTR);
                  // The master connection failed: the session and its locks are gone.
                  KJ_LOG(WARNING, "lock wait failed", e.getDescription());
                  fuse_reply_err(req, ENOLCK);
                })
                .attach(kj::mv(waiting)));
  // Calls onLockInterrupt at once if the interrupt came first; the answer unregisters it.
  fuse_req_interrupt_func(req, onLockInterrupt, w);
}

void Filesystem::interruptWait(LockWait& wait) {
  if (wait.interrupted) return;
  wait.interrupted = true;
  uint64_t ino = wait.ino, tag = wait.tag;
  tasks.add(master
                .call([ino, tag](wire::Session::Client& s) {
                  auto r = s.releaseLocksRequest();
                  r.setIno(ino);
                  r.setInterruptTag(tag);
                  return r.send();
                })
                .then([](capnp::Response<wire::Session::ReleaseLocksResults>) {
                  // The wait's own answer follows: EINTR, or 0 if it was granted first.
                },
                      [this, tag](kj::Exception&& e) {
                        KJ_LOG(WARNING, "could not interrupt a lock wait", e.getDescription());
                        auto it = lockWaits.find(tag);
                        if (it != lockWaits.end()) it->second->canceler.cancel("interrupted");
                      }));
}

kj::Promise<void> Filesystem::dropLocksAtFlush(uint64_t ino, uint64_t owner) {
  heldLocks.dropOwner(ino, LockClass::POSIX, owner);
  auto it = lockedInodes.find(ino);
  if (it == lockedInodes.end() || !it->second.posix) return kj::READY_NOW;
  return master
      .call([ino, owner](wire::Session::Client& s) {
        auto r = s.releaseLocksRequest();
        r.setIno(ino);
        r.setOwner(owner);
        r.setPosix(true);
        return r.send();
      })
      .ignoreResult()
      .catch_([](kj::Exception&& e) {
        KJ_LOG(WARNING, "could not drop locks at close", e.getDescription());
      });
}

kj::Promise<void> Filesystem::dropLocksAtRelease(uint64_t ino, const struct fuse_file_info& fi,
                                                 bool lastOpen) {
  if (fi.flock_release) heldLocks.dropOwner(ino, LockClass::FLOCK, fi.lock_owner);
  if (lastOpen) heldLocks.dropInode(ino, LockClass::POSIX);
  auto it = lockedInodes.find(ino);
  if (it == lockedInodes.end()) return kj::READY_NOW;
  bool flock = fi.flock_release && it->second.flock;
  bool posix = lastOpen && it->second.posix;
  if (lastOpen) lockedInodes.erase(it);
  if (!flock && !posix) return kj::READY_NOW;
  uint64_t owner = fi.lock_owner;
  auto dropFlock = [ino, owner](wire::Session::Client& s) {
    auto r = s.releaseLocksRequest();
    r.setIno(ino);
    r.setOwner(owner);
    r.setFlock(true);
    return r.send();
  };
  auto dropPosix = [ino](wire::Session::Client& s) {
    auto r = s.releaseLocksRequest();
    r.setIno(ino);
    r.setAllOwners(true);
    r.setPosix(true);
    return r.send();
  };
  auto work = kj::heapArrayBuilder<kj::Promise<void>>(2);
  work.add(flock ? master.call(kj::mv(dropFlock)).ignoreResult() : kj::READY_NOW);
  work.add(posix ? master.call(kj::mv(dropPosix)).ignoreResult() : kj::READY_NOW);
  return kj::joinPromises(work.finish()).catch_([](kj::Exception&& e) {
    KJ_LOG(WARNING, "could not drop locks at release", e.getDescription());
  });
}

}  // namespace dfs
