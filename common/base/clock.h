// Clock: the wall-clock source, behind an interface so tests can inject time.
#pragma once

#include <kj/time.h>
#include <cstdint>

namespace dfs {

class Clock {
public:
  virtual ~Clock() = default;
  // Nanoseconds since the Unix epoch (CLOCK_REALTIME).
  virtual int64_t nowNs() = 0;
};

// The real clock. Stateless; one instance may be shared.
class SystemClock final : public Clock {
public:
  int64_t nowNs() override;
};

// A clock that only moves when told to (tests).
class ManualClock final : public Clock {
public:
  explicit ManualClock(int64_t startNs = 1'000'000'000'000'000'000LL) : now(startNs) {}
  int64_t nowNs() override { return now; }
  void advance(int64_t ns) { now += ns; }
private:
  int64_t now;
};

// A configured time in seconds (a mount option, a cache time) as a duration, to the
// millisecond.
inline kj::Duration secondsToDuration(double seconds) {
  return static_cast<int64_t>(seconds * 1000) * kj::MILLISECONDS;
}

}  // namespace dfs
