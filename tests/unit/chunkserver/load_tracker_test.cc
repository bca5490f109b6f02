// Unit tests for LoadTracker: in-flight counts and per-interval rates under a fake clock.
#include "server/chunkserver/service/load_tracker.h"

#include <gtest/gtest.h>

namespace dfs {
namespace {

class FakeClock final : public kj::MonotonicClock {
public:
  kj::TimePoint now() const override { return time; }
  kj::TimePoint time = kj::origin<kj::TimePoint>() + 1000 * kj::SECONDS;
};

TEST(LoadTrackerTest, RatesOverTheInterval) {
  FakeClock clock;
  LoadTracker load(clock);
  {
    auto r1 = LoadTracker::track(load);
    auto r2 = LoadTracker::track(load);
    EXPECT_EQ(load.inFlight(), 2u);
    clock.time += 3 * kj::MILLISECONDS;
    load.addReadBytes(4 << 20);
    load.addWriteBytes(1 << 20);
    auto moved = kj::mv(r1);  // a moved-from request is not counted twice
  }
  clock.time += 1997 * kj::MILLISECONDS;  // interval: 2 s
  auto slow = LoadTracker::track(load);   // still in flight at the sample
  auto f = load.sample();
  EXPECT_EQ(f.requestsInFlight, 1u);
  EXPECT_EQ(f.readBytesPerSec, uint64_t(2) << 20);
  EXPECT_EQ(f.writeBytesPerSec, uint64_t(1) << 19);
  EXPECT_EQ(f.requestsPerSec, 1u);      // 2 completed in 2 s
  EXPECT_EQ(f.avgLatencyUs, 3000u);
  EXPECT_EQ(load.lastSample().readBytesPerSec, f.readBytesPerSec);

  clock.time += 1 * kj::SECONDS;
  { auto drop = kj::mv(slow); }
  auto g = load.sample();
  EXPECT_EQ(g.requestsInFlight, 0u);
  EXPECT_EQ(g.readBytesPerSec, 0u);
  EXPECT_EQ(g.requestsPerSec, 1u);
  EXPECT_EQ(g.avgLatencyUs, 1'000'000u);
  EXPECT_EQ(load.totals().requests, 3u);

  // No tracker: a no-op scope.
  { auto none = LoadTracker::track(nullptr); }
  EXPECT_EQ(load.totals().requests, 3u);
}

}  // namespace
}  // namespace dfs
