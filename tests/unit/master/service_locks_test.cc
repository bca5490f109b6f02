// The lock calls over in-process RPC: two sessions contend, a cancelled wait is withdrawn
// at the master, and a session's end hands its locks to the waiter.
#include "tests/unit/master/service_fixture.h"
#include <cerrno>

namespace dfs {
namespace {

class ServiceLocksTest : public ServiceFixture {
protected:
  wire::Session::Client mount() { return mountDefault(); }

  capnp::Request<wire::Session::SetLockParams, wire::Session::SetLockResults> setLock(
      wire::Session::Client& s, uint64_t owner, wire::LockType type, bool wait) {
    auto req = s.setLockRequest();
    auto l = req.initLock();
    l.setIno(7);
    l.setOwner(owner);
    l.setPid(100 + owner);
    l.setType(type);
    l.setStart(0);
    l.setEnd(UINT64_MAX);
    req.setWait(wait);
    return req;
  }

  void turns() {
    for (int i = 0; i < 20; ++i) kj::evalLater([]() {}).wait(waitScope);
  }
};

TEST_F(ServiceLocksTest, ContendCancelAndSessionEnd) {
  auto a = mount();
  auto b = mount();
  EXPECT_EQ(setLock(a, 1, wire::LockType::WRITE, false).send().wait(waitScope).getErr(), 0);
  EXPECT_EQ(setLock(b, 1, wire::LockType::READ, false).send().wait(waitScope).getErr(), EAGAIN);

  auto get = b.getLockRequest();
  auto l = get.initLock();
  l.setIno(7);
  l.setOwner(1);
  l.setType(wire::LockType::READ);
  l.setEnd(UINT64_MAX);
  auto reply = get.send().wait(waitScope);  // the reader below points into it
  auto conflict = reply.getConflict();
  EXPECT_EQ(conflict.getType(), wire::LockType::WRITE);
  EXPECT_EQ(conflict.getPid(), 101u);
  EXPECT_EQ(conflict.getEnd(), UINT64_MAX);

  {
    auto waiting = setLock(b, 1, wire::LockType::WRITE, true).send();
    turns();
    EXPECT_EQ(core.locks.waiterCount(), 1u);
  }  // the client drops the call (a signal): the master withdraws the request
  turns();
  EXPECT_EQ(core.locks.waiterCount(), 0u);

  {
    auto req = setLock(b, 1, wire::LockType::WRITE, true);
    req.setWaitTag(9);
    auto tagged = req.send();
    turns();
    auto intr = b.releaseLocksRequest();
    intr.setIno(7);
    intr.setInterruptTag(9);
    EXPECT_TRUE(intr.send().wait(waitScope).getInterrupted());
    EXPECT_EQ(tagged.wait(waitScope).getErr(), EINTR);
    EXPECT_EQ(core.locks.waiterCount(), 0u);
  }

  auto waiting = setLock(b, 2, wire::LockType::WRITE, true).send();
  turns();
  EXPECT_FALSE(waiting.poll(waitScope));
  a = nullptr;  // mount A goes away: its session ends and its lock passes to B
  EXPECT_EQ(waiting.wait(waitScope).getErr(), 0);
  EXPECT_EQ(core.locks.heldCount(7, LockClass::POSIX), 1u);

  // releaseLocks: B's owner 2 closes the file.
  auto rel = b.releaseLocksRequest();
  rel.setIno(7);
  rel.setOwner(2);
  rel.setPosix(true);
  rel.send().wait(waitScope);
  EXPECT_EQ(core.locks.heldCount(7, LockClass::POSIX), 0u);

  auto bad = setLock(b, 3, wire::LockType::READ, false);
  bad.getLock().setStart(10);
  bad.getLock().setEnd(5);
  EXPECT_ANY_THROW(bad.send().wait(waitScope));
}

TEST_F(ServiceLocksTest, DeadConnectionEndsWaitsAndLocks) {
  auto b = mount();
  // A second client on its own connection: it holds a lock on ino 7 and waits on ino 8.
  auto pipe2 = kj::newTwoWayPipe();
  capnp::TwoPartyClient server2(*pipe2.ends[0], kj::heap<MasterImpl>(core),
                                capnp::rpc::twoparty::Side::SERVER);
  auto client2 = kj::heap<capnp::TwoPartyClient>(*pipe2.ends[1]);
  auto req = client2->bootstrap().castAs<wire::Master>().mountRequest();
  req.setVolume("default");
  auto a = req.send().wait(waitScope).getSession();
  EXPECT_EQ(setLock(a, 1, wire::LockType::WRITE, false).send().wait(waitScope).getErr(), 0);
  auto held = setLock(b, 2, wire::LockType::WRITE, false);  // B's other owner: no cycle
  held.getLock().setIno(8);
  EXPECT_EQ(held.send().wait(waitScope).getErr(), 0);
  auto aWaits = setLock(a, 1, wire::LockType::WRITE, true);
  aWaits.getLock().setIno(8);
  auto pendingA = aWaits.send();
  auto bWaits = setLock(b, 1, wire::LockType::WRITE, true).send();
  turns();
  EXPECT_EQ(core.locks.waiterCount(), 2u);

  // A's process dies: the master sees its connection end with a call still waiting.
  pipe2.ends[1]->shutdownWrite();
  EXPECT_EQ(bWaits.wait(waitScope).getErr(), 0);  // A's lock on 7 passed to B
  turns();
  EXPECT_EQ(core.locks.waiterCount(), 0u);
  EXPECT_EQ(core.locks.heldCount(7, LockClass::POSIX), 1u);
}

}  // namespace
}  // namespace dfs
