// SystemClock: CLOCK_REALTIME in nanoseconds.
#include "clock.h"

#include <time.h>

namespace dfs {

int64_t SystemClock::nowNs() {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return int64_t(ts.tv_sec) * 1'000'000'000LL + ts.tv_nsec;
}

}  // namespace dfs
