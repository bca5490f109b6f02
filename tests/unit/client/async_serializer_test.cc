// AsyncSerializer: call order, failures that do not block the queue, and idle(), which
// decides when a file's data object may be dropped (Filesystem::forgetIfClosed).
#include "client/io/async_serializer.h"

#include <gtest/gtest.h>
#include <kj/async.h>
#include <kj/debug.h>
#include <kj/vector.h>

namespace dfs {
namespace {

TEST(AsyncSerializer, RunsInCallOrderAndGoesOnAfterAFailure) {
  kj::EventLoop loop;
  kj::WaitScope ws(loop);
  AsyncSerializer serial;
  kj::Vector<int> order;
  auto gate = kj::newPromiseAndFulfiller<void>();
  auto first = serial.run([&, p = kj::mv(gate.promise)]() mutable {
    return p.then([&]() { order.add(1); });
  });
  auto second = serial.run([&]() -> kj::Promise<void> {
    order.add(2);
    return KJ_EXCEPTION(FAILED, "second fails");
  });
  auto third = serial.run([&]() -> kj::Promise<void> { order.add(3); return kj::READY_NOW; });
  ws.poll();
  EXPECT_EQ(order.size(), 0u);  // all wait for the first
  gate.fulfiller->fulfill();
  first.wait(ws);
  EXPECT_ANY_THROW(second.wait(ws));
  third.wait(ws);
  ASSERT_EQ(order.size(), 3u);
  EXPECT_EQ(order[0], 1);
  EXPECT_EQ(order[1], 2);
  EXPECT_EQ(order[2], 3);
}

TEST(AsyncSerializer, IdleOnlyWhenNothingIsQueuedOrRunning) {
  kj::EventLoop loop;
  kj::WaitScope ws(loop);
  AsyncSerializer serial;
  EXPECT_TRUE(serial.idle());
  auto gate = kj::newPromiseAndFulfiller<void>();
  auto running = serial.run([p = kj::mv(gate.promise)]() mutable { return kj::mv(p); });
  bool idleAtSecondsEnd = false;
  // What a caller's continuation sees: the operation it waited for no longer counts.
  auto queued = serial.run([]() -> kj::Promise<void> { return kj::READY_NOW; })
                    .then([&]() { idleAtSecondsEnd = serial.idle(); });
  ws.poll();
  EXPECT_FALSE(serial.idle());
  gate.fulfiller->fulfill();
  running.wait(ws);
  EXPECT_FALSE(serial.idle());  // the second may still be on its way
  queued.wait(ws);
  EXPECT_TRUE(idleAtSecondsEnd);
  EXPECT_TRUE(serial.idle());

  // An operation whose caller dropped the promise still runs, and counts until it ends.
  auto gate2 = kj::newPromiseAndFulfiller<void>();
  bool ran = false;
  serial.run([&, p = kj::mv(gate2.promise)]() mutable {
    return p.then([&]() { ran = true; });
  });
  ws.poll();
  EXPECT_FALSE(serial.idle());
  gate2.fulfiller->fulfill();
  ws.poll();
  EXPECT_TRUE(ran);
  EXPECT_TRUE(serial.idle());
}

}  // namespace
}  // namespace dfs
