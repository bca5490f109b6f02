// RateLimiter: virtual-time token bucket.
#include "server/master/replication/rate_limiter.h"

namespace dfs {

kj::Promise<void> RateLimiter::acquire(uint64_t bytes) {
  if (rate == 0) return kj::READY_NOW;
  auto now = timer.now();
  auto earliest = now - 1 * kj::SECONDS;  // at most one second of burst
  auto start = now;
  KJ_IF_MAYBE(n, nextFree) { start = *n > earliest ? *n : earliest; } else { start = earliest; }
  // Nanoseconds this transfer occupies at the configured rate (saturating on overflow).
  uint64_t costNs = bytes > UINT64_MAX / 1'000'000'000ULL ? UINT64_MAX / 2
                                                          : bytes * 1'000'000'000ULL / rate;
  nextFree = start + costNs * kj::NANOSECONDS;
  if (start <= now) return kj::READY_NOW;
  return timer.atTime(start);
}

}  // namespace dfs
