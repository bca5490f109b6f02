// RateLimiter: paces byte transfers (re-replication copies) to a bandwidth budget.
#pragma once

#include <kj/async.h>
#include <kj/timer.h>
#include <cstdint>

namespace dfs {

// A token bucket in virtual-time form: each acquire() books `bytes` worth of time after the
// previous booking and resolves when that slot starts. Up to one second of unused budget
// carries over as a burst. bytesPerSec 0 = unlimited. Single-threaded (one event loop).
class RateLimiter {
public:
  RateLimiter(kj::Timer& timer, uint64_t bytesPerSec) : timer(timer), rate(bytesPerSec) {}

  kj::Promise<void> acquire(uint64_t bytes);
  uint64_t bytesPerSec() const { return rate; }

private:
  kj::Timer& timer;
  uint64_t rate;
  kj::Maybe<kj::TimePoint> nextFree;  // when the budget is next unbooked
};

}  // namespace dfs
