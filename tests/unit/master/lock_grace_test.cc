// The lock grace period after a restart: LockGrace on its own (waits end at the timer,
// by interrupt, or when dropped), and over in-process RPC a master that finds lock
// holders of its previous run in the store: reclaims are granted at once, other lock
// requests wait for the grace period's end (and then see the reclaimed locks), the old
// records go at its end; a master with no previous holders has no grace period; a mount
// that replaces its own session gets its locks back even before the old one ended; the
// grace period ends early once every previous holder is back with all its reclaims.
#include "server/master/store/keys.h"
#include "tests/unit/master/service_fixture.h"
#include <cerrno>

namespace dfs {
namespace {

void turns(kj::WaitScope& ws) {
  for (int i = 0; i < 20; ++i) kj::evalLater([]() {}).wait(ws);
}

TEST(LockGrace, WaitsEndAtExpiryOrInterrupt) {
  kj::EventLoop loop;
  kj::WaitScope ws(loop);
  kj::TimerImpl timer(kj::origin<kj::TimePoint>());
  LockGrace grace(timer);
  EXPECT_TRUE(grace.wait(1, 0).wait(ws));  // no grace period: at once
  bool ended = false;
  grace.start(5 * kj::SECONDS, [&]() { ended = true; });
  EXPECT_TRUE(grace.active());
  auto first = grace.wait(1, 0);
  auto tagged = grace.wait(2, 7);
  {
    auto dropped = grace.wait(3, 0);
    EXPECT_EQ(grace.waiting(), 3u);
  }
  EXPECT_EQ(grace.waiting(), 2u);  // a dropped wait is withdrawn
  EXPECT_FALSE(grace.interrupt(1, 7));  // wrong session
  EXPECT_TRUE(grace.interrupt(2, 7));
  EXPECT_FALSE(tagged.wait(ws));
  EXPECT_FALSE(first.poll(ws));
  timer.advanceTo(timer.now() + 4 * kj::SECONDS);
  turns(ws);
  EXPECT_FALSE(first.poll(ws));
  EXPECT_TRUE(grace.active());
  timer.advanceTo(timer.now() + 1 * kj::SECONDS);
  EXPECT_TRUE(first.wait(ws));
  EXPECT_FALSE(grace.active());
  EXPECT_TRUE(ended);
  EXPECT_EQ(grace.waitedTotal, 3u);  // the first came before the grace period
}

// A store as a master that stopped while a session of it held locks leaves it.
kj::Own<MetaStore> storeWithHolder() {
  auto store = newMemoryStore();
  LockHolders previous(*store, 12345);
  previous.taking(3, "old-client");
  return store;
}

class LockGraceServiceTest : public ServiceFixture {
protected:
  LockGraceServiceTest() : ServiceFixture(storeWithHolder()) {}

  struct Mounted {
    wire::Session::Client session;
    uint64_t boot;
    uint64_t id;
  };
  Mounted mount(uint64_t replacesBoot = 0, uint64_t replacesSession = 0,
                uint32_t reclaims = 0) {
    auto req = master.mountRequest();
    req.setVolume("default");
    req.setClientName("test");
    req.setReplacesBoot(replacesBoot);
    req.setReplacesSession(replacesSession);
    req.setReclaims(reclaims);
    auto resp = req.send().wait(waitScope);
    EXPECT_EQ(resp.getErr(), 0);
    return Mounted{resp.getSession(), resp.getBoot(), resp.getSessionId()};
  }

  capnp::Request<wire::Session::SetLockParams, wire::Session::SetLockResults> setLock(
      wire::Session::Client& s, wire::LockType type, uint64_t start, uint64_t end,
      bool reclaim, bool wait = false) {
    auto req = s.setLockRequest();
    auto l = req.initLock();
    l.setIno(7);
    l.setOwner(1);
    l.setType(type);
    l.setStart(start);
    l.setEnd(end);
    req.setReclaim(reclaim);
    req.setWait(wait);
    return req;
  }

  size_t holderRecords() {
    size_t n = 0;
    auto prefix = keys::lockHolderPrefix();
    auto it = store->newPrefixIterator(prefix);
    for (it->seek(prefix); it->valid() && keys::hasPrefix(it->key(), prefix); it->next()) ++n;
    return n;
  }

  void expire() {
    timer.advanceTo(timer.now() + config().lockGrace);
    turns(waitScope);
  }
};

TEST_F(LockGraceServiceTest, OnlyReclaimsUntilTheGracePeriodEnds) {
  ASSERT_TRUE(core.lockGrace.active());
  auto a = mount();
  auto b = mount();
  // A reclaims [0, 99] for writing, granted during grace; a conflicting reclaim is refused.
  EXPECT_EQ(setLock(a.session, wire::LockType::WRITE, 0, 99, true).send().wait(waitScope).getErr(), 0);
  EXPECT_EQ(setLock(b.session, wire::LockType::READ, 50, 60, true).send().wait(waitScope).getErr(),
            EAGAIN);
  EXPECT_EQ(core.lockGrace.reclaimedTotal, 1u);
  EXPECT_EQ(core.lockGrace.reclaimRefusedTotal, 1u);

  // B's ordinary requests wait, even those that do not conflict and do not ask to wait.
  auto conflicting = setLock(b.session, wire::LockType::WRITE, 10, 20, false).send();
  auto free = setLock(b.session, wire::LockType::WRITE, 200, 300, false).send();
  auto test = b.session.getLockRequest();
  {
    auto l = test.initLock();
    l.setIno(7);
    l.setOwner(1);
    l.setType(wire::LockType::READ);
    l.setStart(0);
    l.setEnd(10);
  }
  auto tested = test.send();
  turns(waitScope);
  EXPECT_FALSE(conflicting.poll(waitScope));
  EXPECT_FALSE(free.poll(waitScope));
  EXPECT_FALSE(tested.poll(waitScope));
  EXPECT_EQ(core.lockGrace.waiting(), 3u);
  // The previous run's record stays during grace (a second restart keeps a grace period);
  // A's new session has its own.
  EXPECT_EQ(holderRecords(), 3u);  // old + a + b (b tried to take locks)

  // An interrupted wait answers EINTR before the grace ends.
  auto interruptible = setLock(b.session, wire::LockType::WRITE, 500, 600, false, true);
  interruptible.setWaitTag(42);
  auto interrupted = interruptible.send();
  turns(waitScope);
  auto release = b.session.releaseLocksRequest();
  release.setIno(7);
  release.setInterruptTag(42);
  EXPECT_TRUE(release.send().wait(waitScope).getInterrupted());
  EXPECT_EQ(interrupted.wait(waitScope).getErr(), EINTR);

  expire();
  EXPECT_FALSE(core.lockGrace.active());
  EXPECT_EQ(conflicting.wait(waitScope).getErr(), EAGAIN);  // A's reclaimed lock holds
  EXPECT_EQ(free.wait(waitScope).getErr(), 0);
  auto reply = tested.wait(waitScope);  // the reader below points into it
  auto conflict = reply.getConflict();
  EXPECT_EQ(conflict.getType(), wire::LockType::WRITE);
  EXPECT_EQ(conflict.getEnd(), 99u);
  EXPECT_EQ(holderRecords(), 2u);  // the previous run's record is gone

  // After the grace period a reclaim is an ordinary non-waiting request.
  EXPECT_EQ(setLock(b.session, wire::LockType::READ, 0, 0, true).send().wait(waitScope).getErr(),
            EAGAIN);
  EXPECT_EQ(setLock(b.session, wire::LockType::READ, 1000, 1000, true).send().wait(waitScope).getErr(),
            0);
}

TEST_F(LockGraceServiceTest, EndsEarlyOnceEveryHolderReclaimed) {
  ASSERT_TRUE(core.lockGrace.active());
  auto other = mount();  // not a lock holder of the previous run
  auto waiting = setLock(other.session, wire::LockType::WRITE, 500, 600, false).send();
  auto stranger = mount(999, 3, 1);  // another run's session: not awaited
  auto back = mount(12345, 3, 2);    // the previous run's holder, with two locks
  EXPECT_EQ(setLock(back.session, wire::LockType::WRITE, 0, 99, true).send().wait(waitScope).getErr(), 0);
  turns(waitScope);
  EXPECT_TRUE(core.lockGrace.active());  // one reclaim of two
  EXPECT_FALSE(waiting.poll(waitScope));
  EXPECT_EQ(setLock(back.session, wire::LockType::READ, 550, 560, true).send().wait(waitScope).getErr(), 0);
  EXPECT_FALSE(core.lockGrace.active());
  EXPECT_EQ(waiting.wait(waitScope).getErr(), EAGAIN);  // the reclaimed read lock holds
  EXPECT_EQ(holderRecords(), 2u);  // the previous run's record went with the grace period
}

TEST_F(LockGraceServiceTest, HolderBackWithNothingToReclaimEndsIt) {
  ASSERT_TRUE(core.lockGrace.active());
  auto back = mount(12345, 3, 0);
  EXPECT_FALSE(core.lockGrace.active());
}

TEST_F(LockGraceServiceTest, ReplacedSessionLosesItsLocksAtOnce) {
  expire();
  auto a = mount();
  EXPECT_EQ(setLock(a.session, wire::LockType::WRITE, 0, 99, false).send().wait(waitScope).getErr(), 0);
  EXPECT_NE(a.boot, 0u);
  // The client gave up on session a (its connection is still open here): a new session
  // that names it gets the lock back.
  auto wrongBoot = mount(a.boot + 1, a.id);
  EXPECT_EQ(setLock(wrongBoot.session, wire::LockType::WRITE, 0, 0, true).send().wait(waitScope).getErr(),
            EAGAIN);
  auto a2 = mount(a.boot, a.id);
  EXPECT_EQ(setLock(a2.session, wire::LockType::WRITE, 0, 99, true).send().wait(waitScope).getErr(), 0);
  EXPECT_EQ(core.locks.heldCount(7, LockClass::POSIX), 1u);
}

TEST_F(ServiceFixture, NoGracePeriodWithoutPreviousLockHolders) {
  EXPECT_FALSE(core.lockGrace.active());
  size_t records = 0;
  auto prefix = keys::lockHolderPrefix();
  {
    auto s = mountDefault();
    auto req = s.setLockRequest();
    auto l = req.initLock();
    l.setIno(7);
    l.setOwner(1);
    l.setType(wire::LockType::READ);
    l.setEnd(UINT64_MAX);
    EXPECT_EQ(req.send().wait(waitScope).getErr(), 0);
    auto it = store->newPrefixIterator(prefix);
    for (it->seek(prefix); it->valid() && keys::hasPrefix(it->key(), prefix); it->next()) ++records;
    EXPECT_EQ(records, 1u);
  }
  turns(waitScope);
  // The session ended (the client let go of it): its record is gone.
  auto it = store->newPrefixIterator(prefix);
  it->seek(prefix);
  EXPECT_FALSE(it->valid() && keys::hasPrefix(it->key(), prefix));
}

}  // namespace
}  // namespace dfs
