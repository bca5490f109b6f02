// Lock records shared by the master's lock manager and the mount's table of held locks:
// who owns a lock, which class it is (fcntl/POSIX byte ranges or flock whole-file locks)
// and the byte range it covers. On the mount, owner.session is 0 (its own session).
#pragma once

#include <cstdint>

namespace dfs {

enum class LockType : uint8_t { UNLOCK, READ, WRITE };

// POSIX (fcntl, including OFD) and flock locks are independent: they never conflict with
// each other, as on Linux.
enum class LockClass : uint8_t { POSIX, FLOCK };

// End of a range that runs to the end of the file (and beyond).
constexpr uint64_t kLockToEof = UINT64_MAX;

// A lock owner: the client session plus the owner id the kernel gave (per process for
// classic POSIX locks, per open file description for OFD and flock locks).
struct LockOwner {
  uint64_t session = 0;
  uint64_t owner = 0;
  bool operator==(const LockOwner& o) const { return session == o.session && owner == o.owner; }
  bool operator!=(const LockOwner& o) const { return !(*this == o); }
  bool operator<(const LockOwner& o) const {
    return session != o.session ? session < o.session : owner < o.owner;
  }
};

// A held lock, or a request for one. `end` is inclusive; kLockToEof = to end of file.
struct FileLock {
  LockOwner owner;
  LockType type = LockType::UNLOCK;
  uint64_t start = 0;
  uint64_t end = kLockToEof;
  uint32_t pid = 0;  // the process the client named (reported by F_GETLK only)

  bool overlaps(const FileLock& o) const { return start <= o.end && o.start <= end; }
  // Another owner's overlapping lock where at least one side is a write lock.
  bool conflictsWith(const FileLock& o) const {
    return owner != o.owner && overlaps(o) &&
           (type == LockType::WRITE || o.type == LockType::WRITE);
  }
};

}  // namespace dfs
