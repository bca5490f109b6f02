// LockSet: POSIX byte-range semantics of one owner's locks (split, merge, upgrade,
// downgrade) and conflicts between owners.
#include "common/locks/lock_set.h"
#include "tests/unit/master/lock_test_util.h"
#include <gtest/gtest.h>

namespace dfs {
namespace {

const LockOwner A{1, 10}, B{1, 11}, C{2, 10};  // C: same owner id, other session

// "start-end:R/W" for each lock, in order.
std::string dump(const LockSet& set) {
  std::string out;
  for (auto& l : set.all()) {
    out += std::to_string(l.start) + "-" +
           (l.end == kLockToEof ? std::string("eof") : std::to_string(l.end)) + ":" +
           (l.type == LockType::READ ? "R" : "W") + " ";
  }
  return out;
}

TEST(LockSet, MergesAdjacentAndOverlappingSameType) {
  LockSet set;
  set.apply(lk(A, LockType::READ, 0, 9));
  set.apply(lk(A, LockType::READ, 10, 19));
  EXPECT_EQ(dump(set), "0-19:R ");
  set.apply(lk(A, LockType::READ, 5, 30));
  EXPECT_EQ(dump(set), "0-30:R ");
  set.apply(lk(A, LockType::READ, 40, kLockToEof));
  EXPECT_EQ(dump(set), "0-30:R 40-eof:R ");
  set.apply(lk(A, LockType::READ, 31, 39));
  EXPECT_EQ(dump(set), "0-eof:R ");
}

TEST(LockSet, UnlockSplitsARange) {
  LockSet set;
  set.apply(lk(A, LockType::WRITE, 0, 99));
  set.apply(lk(A, LockType::UNLOCK, 40, 59));
  EXPECT_EQ(dump(set), "0-39:W 60-99:W ");
  set.apply(lk(A, LockType::UNLOCK, 0, kLockToEof));
  EXPECT_TRUE(set.empty());
}

TEST(LockSet, UpgradeAndDowngradeInTheMiddle) {
  LockSet set;
  set.apply(lk(A, LockType::READ, 0, 99));
  set.apply(lk(A, LockType::WRITE, 10, 19));  // upgrade part: splits the read lock
  EXPECT_EQ(dump(set), "0-9:R 10-19:W 20-99:R ");
  set.apply(lk(A, LockType::READ, 10, 19));  // downgrade: merges back into one
  EXPECT_EQ(dump(set), "0-99:R ");
  set.apply(lk(A, LockType::WRITE, 0, kLockToEof));
  EXPECT_EQ(dump(set), "0-eof:W ");
}

TEST(LockSet, OwnersDoNotMergeOrReplaceEachOther) {
  LockSet set;
  set.apply(lk(A, LockType::READ, 0, 9));
  set.apply(lk(B, LockType::READ, 10, 19));
  set.apply(lk(C, LockType::READ, 0, 19));
  EXPECT_EQ(set.all().size(), 3u);
  set.apply(lk(A, LockType::UNLOCK, 0, kLockToEof));
  EXPECT_EQ(set.all().size(), 2u);
}

TEST(LockSet, ConflictRules) {
  LockSet set;
  set.apply(lk(A, LockType::READ, 0, 9));
  set.apply(lk(A, LockType::WRITE, 100, 199, 42));
  EXPECT_TRUE(set.conflict(lk(B, LockType::READ, 5, 50)) == nullptr);   // read shares
  EXPECT_TRUE(set.conflict(lk(A, LockType::WRITE, 0, 500)) == nullptr); // own locks never
  EXPECT_TRUE(set.conflict(lk(B, LockType::WRITE, 10, 99)) == nullptr); // no overlap
  EXPECT_TRUE(set.conflict(lk(C, LockType::WRITE, 9, 9)) != nullptr);   // other session
  KJ_IF_MAYBE(c, set.conflict(lk(B, LockType::READ, 150, kLockToEof))) {
    EXPECT_EQ(c->type, LockType::WRITE);
    EXPECT_EQ(c->start, 100u);
    EXPECT_EQ(c->end, 199u);
    EXPECT_EQ(c->pid, 42u);
  } else {
    ADD_FAILURE() << "expected a conflict";
  }
}

}  // namespace
}  // namespace dfs
