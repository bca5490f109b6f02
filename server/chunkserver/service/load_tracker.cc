// LoadTracker: request scopes and per-interval rates from counter deltas.
#include "server/chunkserver/service/load_tracker.h"

#include <cmath>

namespace dfs {

LoadTracker::LoadTracker(const kj::MonotonicClock& clock) : clock(clock), sampledAt(clock.now()) {}

LoadTracker::Request::Request(Request&& other) : tracker(other.tracker), start(other.start) {
  other.tracker = nullptr;
}

LoadTracker::Request::~Request() noexcept(false) {
  if (tracker != nullptr) tracker->finish(start);
}

LoadTracker::Request LoadTracker::track(kj::Maybe<LoadTracker&> tracker) {
  KJ_IF_MAYBE(t, tracker) {
    t->inFlightNow++;
    return Request(t, t->clock.now());
  }
  return Request(nullptr, kj::origin<kj::TimePoint>());
}

void LoadTracker::finish(kj::TimePoint start) {
  inFlightNow--;
  totalsNow.requests++;
  totalsNow.serviceNs += (clock.now() - start) / kj::NANOSECONDS;
}

LoadFigures LoadTracker::sample() {
  auto now = clock.now();
  double seconds = kj::max(int64_t(1), (now - sampledAt) / kj::NANOSECONDS) * 1e-9;
  auto perSec = [seconds](uint64_t n) { return uint64_t(std::llround(n / seconds)); };
  uint64_t requests = totalsNow.requests - totalsAtSample.requests;
  uint64_t serviceNs = totalsNow.serviceNs - totalsAtSample.serviceNs;
  LoadFigures f;
  f.requestsInFlight = inFlightNow;
  f.readBytesPerSec = perSec(totalsNow.readBytes - totalsAtSample.readBytes);
  f.writeBytesPerSec = perSec(totalsNow.writeBytes - totalsAtSample.writeBytes);
  f.requestsPerSec = perSec(requests);
  f.avgLatencyUs = requests == 0 ? 0 : (serviceNs / requests + 999) / 1000;
  totalsAtSample = totalsNow;
  sampledAt = now;
  last = f;
  return f;
}

}  // namespace dfs
