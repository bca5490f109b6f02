// HeldLocks: the mount's record of held locks follows grants, unlocks (with splits),
// close and last release, lists what to reclaim, and marks handles of lost locks.
#include "client/locks/held_locks.h"
#include <gtest/gtest.h>

namespace dfs {
namespace {

FileLock lk(uint64_t owner, LockType t, uint64_t s, uint64_t e) {
  FileLock l;
  l.owner = LockOwner{0, owner};
  l.type = t;
  l.start = s;
  l.end = e;
  return l;
}

TEST(HeldLocks, FollowsGrantsUnlocksAndCloses) {
  HeldLocks held;
  held.apply(5, LockClass::POSIX, lk(1, LockType::WRITE, 0, 99), 10);
  held.apply(5, LockClass::POSIX, lk(1, LockType::UNLOCK, 40, 49), 10);  // splits
  held.apply(5, LockClass::FLOCK, lk(2, LockType::READ, 0, kLockToEof), 11);
  held.apply(6, LockClass::POSIX, lk(1, LockType::READ, 0, kLockToEof), 12);
  EXPECT_EQ(held.count(), 4u);
  auto all = held.all();
  size_t ranges = 0;
  for (auto& h : all) {
    if (h.ino == 5 && h.cls == LockClass::POSIX) {
      ++ranges;
      EXPECT_TRUE((h.lock.start == 0 && h.lock.end == 39) || (h.lock.start == 50 && h.lock.end == 99));
    }
  }
  EXPECT_EQ(ranges, 2u);
  held.dropOwner(5, LockClass::POSIX, 1);  // close() by process 1
  EXPECT_EQ(held.count(), 2u);
  held.dropInode(6, LockClass::POSIX);  // last release of inode 6
  held.dropOwner(5, LockClass::FLOCK, 2);
  EXPECT_TRUE(held.empty());
  held.apply(7, LockClass::POSIX, lk(1, LockType::UNLOCK, 0, 0), 0);  // unlock of nothing
  EXPECT_TRUE(held.empty());
}

TEST(HeldLocks, LostLockMarksTheOwnersHandles) {
  HeldLocks held;
  held.apply(5, LockClass::POSIX, lk(1, LockType::WRITE, 0, 99), 10);
  held.apply(5, LockClass::POSIX, lk(3, LockType::READ, 200, 299), 13);
  held.apply(5, LockClass::FLOCK, lk(2, LockType::WRITE, 0, kLockToEof), 11);
  auto all = held.all();
  for (auto& h : all) {
    if (h.lock.owner.owner == 1) held.lost(h);
  }
  EXPECT_EQ(held.count(), 2u);
  EXPECT_TRUE(held.handleLost(10));
  EXPECT_FALSE(held.handleLost(11));
  EXPECT_FALSE(held.handleLost(13));
  EXPECT_FALSE(held.handleLost(99));
  held.handleClosed(10);
  EXPECT_FALSE(held.handleLost(10));
}

}  // namespace
}  // namespace dfs
