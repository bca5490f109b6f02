// LockManager: non-blocking and blocking sets, F_GETLK, flock vs POSIX independence,
// wakeup order, releases (owner, session), deadlock detection and cancelled waits.
#include "server/master/locks/lock_manager.h"
#include "tests/unit/master/lock_test_util.h"
#include <gtest/gtest.h>
#include <cerrno>

namespace dfs {
namespace {

const LockOwner A{1, 10}, B{1, 11}, C{2, 7};
constexpr uint64_t kIno = 5;

class LockManagerTest : public ::testing::Test {
protected:
  LockManagerTest() : waitScope(loop) {}
  ~LockManagerTest() noexcept override {}

  int setNow(LockOwner o, LockType t, uint64_t s = 0, uint64_t e = kLockToEof,
             LockClass cls = LockClass::POSIX) {
    return locks.set(kIno, cls, lk(o, t, s, e), false).wait(waitScope);
  }
  // A blocking request; stays pending until granted (poll it to see).
  kj::Promise<int> setWait(LockOwner o, LockType t, uint64_t s = 0, uint64_t e = kLockToEof,
                           LockClass cls = LockClass::POSIX, uint64_t ino = kIno) {
    return locks.set(ino, cls, lk(o, t, s, e), true).eagerlyEvaluate(nullptr);
  }

  kj::EventLoop loop;
  kj::WaitScope waitScope;
  LockManager locks;
};

TEST_F(LockManagerTest, ConflictingNonBlockingSetFailsWithEagain) {
  EXPECT_EQ(setNow(A, LockType::WRITE, 0, 99), 0);
  EXPECT_EQ(setNow(B, LockType::READ, 50, 60), EAGAIN);
  EXPECT_EQ(setNow(B, LockType::WRITE, 100, 200), 0);  // beyond A's range
  EXPECT_EQ(setNow(A, LockType::READ, 0, 99), 0);       // downgrade
  EXPECT_EQ(setNow(B, LockType::READ, 50, 60), 0);      // now shares
  EXPECT_EQ(setNow(A, LockType::WRITE, 0, 99), EAGAIN); // upgrade blocked by B's read
  EXPECT_EQ(locks.heldCount(kIno, LockClass::POSIX), 3u);  // A's read kept, B's two
}

TEST_F(LockManagerTest, GetLockReportsTheConflict) {
  EXPECT_EQ(locks.set(kIno, LockClass::POSIX, lk(A, LockType::WRITE, 10, 19, 1234), false)
                .wait(waitScope), 0);
  KJ_IF_MAYBE(c, locks.test(kIno, LockClass::POSIX, lk(B, LockType::READ, 0, kLockToEof))) {
    EXPECT_EQ(c->type, LockType::WRITE);
    EXPECT_EQ(c->start, 10u);
    EXPECT_EQ(c->end, 19u);
    EXPECT_EQ(c->pid, 1234u);
  } else {
    ADD_FAILURE() << "expected a conflict";
  }
  EXPECT_TRUE(locks.test(kIno, LockClass::POSIX, lk(A, LockType::WRITE)) == nullptr);
  EXPECT_TRUE(locks.test(kIno, LockClass::POSIX, lk(B, LockType::WRITE, 20, 30)) == nullptr);
  EXPECT_TRUE(locks.test(kIno, LockClass::FLOCK, lk(B, LockType::WRITE)) == nullptr);
}

TEST_F(LockManagerTest, FlockAndPosixAreIndependent) {
  EXPECT_EQ(setNow(A, LockType::WRITE, 0, kLockToEof, LockClass::FLOCK), 0);
  EXPECT_EQ(setNow(B, LockType::WRITE), 0);  // fcntl lock beside A's flock
  EXPECT_EQ(setNow(B, LockType::READ, 0, kLockToEof, LockClass::FLOCK), EAGAIN);
  EXPECT_EQ(setNow(A, LockType::READ, 0, kLockToEof, LockClass::FLOCK), 0);  // downgrade
  EXPECT_EQ(setNow(B, LockType::READ, 0, kLockToEof, LockClass::FLOCK), 0);
  EXPECT_EQ(setNow(A, LockType::WRITE), EAGAIN);  // B's fcntl lock
}

TEST_F(LockManagerTest, MalformedRequestsThrow) {
  EXPECT_ANY_THROW(locks.set(kIno, LockClass::POSIX, lk(A, LockType::READ, 10, 9), false));
  EXPECT_ANY_THROW(locks.test(kIno, LockClass::POSIX, lk(A, LockType::UNLOCK)));
  EXPECT_ANY_THROW(locks.set(kIno, LockClass::POSIX, lk(A, static_cast<LockType>(7)), false));
}

TEST_F(LockManagerTest, WaitersAreGrantedInOrderOnRelease) {
  EXPECT_EQ(setNow(A, LockType::WRITE), 0);
  auto b = setWait(B, LockType::WRITE);
  auto c = setWait(C, LockType::WRITE);
  EXPECT_FALSE(b.poll(waitScope));
  EXPECT_FALSE(c.poll(waitScope));
  EXPECT_EQ(locks.waiterCount(), 2u);
  EXPECT_EQ(setNow(A, LockType::UNLOCK), 0);
  ASSERT_TRUE(b.poll(waitScope));
  EXPECT_EQ(b.wait(waitScope), 0);
  EXPECT_FALSE(c.poll(waitScope));  // B holds it now
  locks.releaseOwner(kIno, LockClass::POSIX, B);
  EXPECT_EQ(c.wait(waitScope), 0);
  EXPECT_EQ(locks.waiterCount(), 0u);
}

TEST_F(LockManagerTest, SharedWaitersAreAllWoken) {
  EXPECT_EQ(setNow(A, LockType::WRITE, 0, 9), 0);
  auto b = setWait(B, LockType::READ, 5, 5);
  auto c = setWait(C, LockType::READ, 0, 20);
  EXPECT_EQ(setNow(A, LockType::READ, 0, 9), 0);  // downgrade wakes both readers
  EXPECT_EQ(b.wait(waitScope), 0);
  EXPECT_EQ(c.wait(waitScope), 0);
}

TEST_F(LockManagerTest, SessionEndReleasesLocksAndWakesOthers) {
  EXPECT_EQ(setNow(A, LockType::WRITE), 0);
  EXPECT_EQ(setNow(B, LockType::READ, 0, kLockToEof, LockClass::FLOCK), 0);
  auto c = setWait(C, LockType::WRITE);
  auto cf = setWait(C, LockType::WRITE, 0, kLockToEof, LockClass::FLOCK);
  // A and B belong to session 1; C (session 2) waits for both classes.
  locks.releaseSession(1);
  EXPECT_EQ(c.wait(waitScope), 0);
  EXPECT_EQ(cf.wait(waitScope), 0);
  // Session 2's own waits end with it.
  auto a = setWait(A, LockType::READ);
  locks.releaseSession(2);
  EXPECT_EQ(a.wait(waitScope), 0);
  EXPECT_EQ(locks.heldCount(kIno, LockClass::POSIX), 1u);
}

TEST_F(LockManagerTest, SessionEndFailsItsOwnWaits) {
  EXPECT_EQ(setNow(C, LockType::WRITE), 0);
  auto a = setWait(A, LockType::WRITE);
  locks.releaseSession(1);
  EXPECT_ANY_THROW(a.wait(waitScope));
  EXPECT_EQ(locks.waiterCount(), 0u);
}

TEST_F(LockManagerTest, ReleaseSessionInodeDropsEveryOwnerOfTheSession) {
  EXPECT_EQ(setNow(A, LockType::READ, 0, 9), 0);
  EXPECT_EQ(setNow(B, LockType::READ, 20, 29), 0);
  EXPECT_EQ(setNow(C, LockType::READ, 40, 49), 0);
  locks.releaseSessionInode(kIno, LockClass::POSIX, 1);
  EXPECT_EQ(locks.heldCount(kIno, LockClass::POSIX), 1u);
}

TEST_F(LockManagerTest, DroppedWaitIsWithdrawn) {
  EXPECT_EQ(setNow(A, LockType::WRITE), 0);
  {
    auto b = setWait(B, LockType::WRITE);
    EXPECT_FALSE(b.poll(waitScope));
    EXPECT_EQ(locks.waiterCount(), 1u);
  }  // cancelled (an interrupted or disconnected client)
  EXPECT_EQ(locks.waiterCount(), 0u);
  EXPECT_EQ(setNow(A, LockType::UNLOCK), 0);
  EXPECT_EQ(setNow(C, LockType::WRITE), 0);  // B did not get it
  EXPECT_EQ(locks.heldCount(kIno, LockClass::POSIX), 1u);
}

TEST_F(LockManagerTest, InterruptEndsOnlyThatWait) {
  EXPECT_EQ(setNow(C, LockType::WRITE), 0);
  auto a = locks.set(kIno, LockClass::POSIX, lk(A, LockType::WRITE), true, 1)
               .eagerlyEvaluate(nullptr);
  auto b = locks.set(kIno, LockClass::POSIX, lk(B, LockType::WRITE), true, 2)
               .eagerlyEvaluate(nullptr);
  EXPECT_FALSE(locks.interrupt(2, 1));  // another session's tag
  EXPECT_TRUE(locks.interrupt(1, 1));
  EXPECT_EQ(a.wait(waitScope), EINTR);
  EXPECT_FALSE(locks.interrupt(1, 1));  // already ended
  locks.releaseOwner(kIno, LockClass::POSIX, C);
  EXPECT_EQ(b.wait(waitScope), 0);      // B, not A, holds the lock
  EXPECT_FALSE(locks.interrupt(1, 2));  // granted: too late to interrupt
  EXPECT_EQ(locks.heldCount(kIno, LockClass::POSIX), 1u);
  EXPECT_EQ(setNow(A, LockType::READ), EAGAIN);
}

TEST_F(LockManagerTest, DeadlockIsDetected) {
  // A holds 0-9 and waits for B's 10-19; B asking for A's range would wait forever.
  EXPECT_EQ(setNow(A, LockType::WRITE, 0, 9), 0);
  EXPECT_EQ(setNow(B, LockType::WRITE, 10, 19), 0);
  auto a = setWait(A, LockType::WRITE, 10, 19);
  EXPECT_EQ(setWait(B, LockType::WRITE, 0, 9).wait(waitScope), EDEADLK);
  // A three-owner cycle across inodes: C holds ino 6, B waits for it, C asks for A's.
  EXPECT_EQ(locks.set(6, LockClass::POSIX, lk(C, LockType::WRITE), false).wait(waitScope), 0);
  auto b = setWait(B, LockType::WRITE, 0, kLockToEof, LockClass::POSIX, 6);
  EXPECT_EQ(setWait(C, LockType::READ, 5, 5).wait(waitScope), EDEADLK);
  // No cycle: C's wait for a free range elsewhere is fine.
  EXPECT_EQ(setWait(C, LockType::READ, 100, 200).wait(waitScope), 0);
  // flock waits are not checked (Linux does not either): they just wait.
  auto f = setWait(A, LockType::WRITE, 0, kLockToEof, LockClass::FLOCK);
  EXPECT_EQ(f.wait(waitScope), 0);
  locks.releaseOwner(kIno, LockClass::POSIX, B);
  EXPECT_EQ(a.wait(waitScope), 0);
  EXPECT_FALSE(b.poll(waitScope));
}

}  // namespace
}  // namespace dfs
