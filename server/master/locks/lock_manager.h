// LockManager: the master's file locks, in memory only (a master restart ends every
// session and so every lock). Per inode it keeps the held POSIX (fcntl, OFD) and flock
// locks and a FIFO of blocked requests; releases wake the waiters that can now proceed.
// Single-threaded: used from the master's event loop only.
#pragma once

#include "common/locks/lock_set.h"
#include <kj/async.h>
#include <list>
#include <unordered_map>

namespace dfs {

class LockManager {
public:
  LockManager() = default;
  KJ_DISALLOW_COPY(LockManager);
  ~LockManager() noexcept(false);

  // F_GETLK: the first held lock of class `cls` that would block `request` (type
  // READ or WRITE), or null if it could be granted now.
  kj::Maybe<FileLock> test(uint64_t ino, LockClass cls, const FileLock& request) const;

  // F_SETLK / F_SETLKW / flock(): sets or clears the range for request.owner. Resolves to
  // 0 once granted, EAGAIN when it conflicts and !wait, EDEADLK when waiting (POSIX class
  // only) would close a cycle of owners waiting for each other. With `wait` the promise
  // stays pending until the lock is granted; dropping it withdraws the request. Unlocks
  // never wait. Malformed requests (start > end) throw. `tag` (nonzero) names a wait for
  // interrupt().
  kj::Promise<int> set(uint64_t ino, LockClass cls, const FileLock& request, bool wait,
                       uint64_t tag = 0);

  // Ends the pending wait of `session` tagged `tag` (the waiting process got a signal):
  // its promise resolves to EINTR. Returns false if there is none (already granted).
  bool interrupt(uint64_t session, uint64_t tag);

  // Drops the locks of class `cls` on `ino` held by `owner` (close() of POSIX locks, the
  // last close of a flock'ed file) and wakes waiters.
  void releaseOwner(uint64_t ino, LockClass cls, LockOwner owner);
  // Drops the locks of class `cls` on `ino` held by any owner of `session`.
  void releaseSessionInode(uint64_t ino, LockClass cls, uint64_t session);
  // The session ended: drops all its locks and pending requests, waking other waiters.
  void releaseSession(uint64_t session);

  // Introspection for tests and metrics.
  size_t heldCount(uint64_t ino, LockClass cls) const;
  size_t waiterCount() const;
  const LockSet* locksOf(uint64_t ino, LockClass cls) const;

private:
  struct Waiter {
    uint64_t id;
    uint64_t tag;  // the client's name for it, 0 = none
    LockClass cls;
    FileLock request;
    kj::Own<kj::PromiseFulfiller<int>> fulfiller;
  };
  struct InodeLocks {
    LockSet posix;
    LockSet flock;
    std::list<Waiter> waiters;  // oldest first
    LockSet& of(LockClass cls) { return cls == LockClass::POSIX ? posix : flock; }
    const LockSet& of(LockClass cls) const { return cls == LockClass::POSIX ? posix : flock; }
    bool empty() const { return posix.empty() && flock.empty() && waiters.empty(); }
  };

  // Grants, in FIFO order, every waiter on `ino` that no longer conflicts; repeats while
  // grants happen. Drops the inode's entry when nothing is left.
  void wake(uint64_t ino);
  void withdraw(uint64_t ino, uint64_t waiterId);
  void dropIfEmpty(uint64_t ino);
  // Whether `request` waiting on `blocker` (a lock of another owner) would wait, through
  // a chain of blocked POSIX owners, for itself (lock_deadlock.cc).
  bool wouldDeadlock(const FileLock& request, const FileLock& blocker) const;

  std::unordered_map<uint64_t, InodeLocks> inodes;
  uint64_t nextWaiterId = 1;
};

}  // namespace dfs
