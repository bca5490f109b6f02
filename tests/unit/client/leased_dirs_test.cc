// LeasedDirs: when a directory's operations may go asynchronously, and what a recall,
// fsync (idle) and the end of the session wait for.
#include "client/cache/leased_dirs.h"
#include <gtest/gtest.h>

namespace dfs {
namespace {

TEST(LeasedDirs, UsableOnlyWhileLeasedAndNoSynchronousChangeIsInFlight) {
  LeasedDirs dirs;
  EXPECT_FALSE(dirs.usable(5));
  dirs.granted(5);
  EXPECT_TRUE(dirs.usable(5));
  EXPECT_FALSE(dirs.usable(6));
  {
    auto changing = dirs.changing(5);
    EXPECT_FALSE(dirs.usable(5));  // its result is not in the listing yet
  }
  EXPECT_TRUE(dirs.usable(5));
  EXPECT_EQ(dirs.held(), 1u);
  dirs.lost(5);
  EXPECT_FALSE(dirs.usable(5));
  EXPECT_EQ(dirs.held(), 0u);
}

TEST(LeasedDirs, ARecallWaitsForTheOperationsInFlightThere) {
  kj::EventLoop loop;
  kj::WaitScope ws(loop);
  LeasedDirs dirs;
  dirs.granted(5);
  dirs.granted(6);
  kj::Maybe<LeasedDirs::InFlight> op(dirs.started(5));
  auto other = dirs.started(6);
  EXPECT_EQ(dirs.inFlight(), 2u);
  uint64_t before = dirs.recalls();
  auto recalled = dirs.recalled(5);
  EXPECT_EQ(dirs.recalls(), before + 1);
  EXPECT_FALSE(dirs.usable(5));  // nothing new goes asynchronously there
  EXPECT_TRUE(dirs.usable(6));
  EXPECT_FALSE(recalled.poll(ws));
  op = nullptr;  // its reply came
  EXPECT_TRUE(recalled.poll(ws));
  recalled.wait(ws);
  EXPECT_EQ(dirs.inFlight(), 1u);
}

TEST(LeasedDirs, IdleKeepsTheLeaseAndTheLimitBoundsWhatIsInFlight) {
  kj::EventLoop loop;
  kj::WaitScope ws(loop);
  LeasedDirs dirs;
  dirs.granted(5);
  kj::Vector<LeasedDirs::InFlight> ops;
  for (uint32_t i = 0; i < LeasedDirs::kMaxInFlight; ++i) ops.add(dirs.started(5));
  EXPECT_FALSE(dirs.usable(5));  // at the limit
  auto idle = dirs.idle(5);
  EXPECT_FALSE(idle.poll(ws));
  ops.clear();
  EXPECT_TRUE(idle.poll(ws));
  idle.wait(ws);
  EXPECT_TRUE(dirs.usable(5));
  dirs.clear();  // the session was lost
  EXPECT_FALSE(dirs.usable(5));
  EXPECT_EQ(dirs.held(), 0u);
}

}  // namespace
}  // namespace dfs
