// HeldLocks: the file locks this mount's processes hold, as the master granted them, so
// that they can be re-asserted (reclaimed) on a new master session after a master
// restart or a lost session; and the open file handles whose locks were lost (another
// mount took a conflicting lock while this mount had no session), on which I/O then
// fails with EIO, as NFS does. Ranges follow the master's rules (common/locks/LockSet:
// a new lock of an owner replaces, splits and merges its ranges). Single-threaded.
#pragma once

#include "common/locks/lock_set.h"
#include <kj/vector.h>
#include <set>
#include <unordered_map>

namespace dfs {

class HeldLocks {
public:
  // One held lock; lock.owner.session is 0, lock.owner.owner the kernel's lock owner.
  struct Held {
    uint64_t ino;
    LockClass cls;
    FileLock lock;
  };

  // The master granted `lock` (READ/WRITE) through open handle `fh`, or an unlock
  // (UNLOCK, recorded before it is sent: the lock is gone whatever the master answers).
  void apply(uint64_t ino, LockClass cls, const FileLock& lock, uint64_t fh);
  // close(): the owner's locks of class `cls` on `ino` end.
  void dropOwner(uint64_t ino, LockClass cls, uint64_t owner);
  // The last close of `ino` in this mount: every lock of class `cls` on it ends.
  void dropInode(uint64_t ino, LockClass cls);

  kj::Vector<Held> all() const;
  size_t count() const;
  bool empty() const { return inodes.empty(); }

  // `held` could not be reclaimed: forgets it and marks the handles its owner took locks
  // through on that inode as having lost locks.
  void lost(const Held& held);
  // Whether I/O through `fh` must fail (its locks were lost); until it is closed.
  bool handleLost(uint64_t fh) const;
  void handleClosed(uint64_t fh) { handles.erase(fh); }

private:
  struct InodeLocks {
    LockSet posix;
    LockSet flock;
    LockSet& of(LockClass cls) { return cls == LockClass::POSIX ? posix : flock; }
    bool empty() const { return posix.empty() && flock.empty(); }
  };
  struct Handle {
    uint64_t ino = 0;
    std::set<uint64_t> owners;  // lock owners that took locks through this handle
    bool locksLost = false;
  };
  void dropIfEmpty(uint64_t ino);

  std::unordered_map<uint64_t, InodeLocks> inodes;
  std::unordered_map<uint64_t, Handle> handles;  // only handles locks were taken through
};

}  // namespace dfs
