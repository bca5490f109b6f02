// LoadTracker: counts the requests and bytes the chunk server serves, for its load report.
#pragma once

#include <kj/common.h>
#include <kj/time.h>
#include <cstdint>

namespace dfs {

// Load over one interval, as sent in the heartbeat (wire::NodeLoad).
struct LoadFigures {
  uint32_t requestsInFlight = 0;  // at the end of the interval
  uint64_t readBytesPerSec = 0;
  uint64_t writeBytesPerSec = 0;
  uint64_t avgLatencyUs = 0;      // mean service time of the requests completed (0 if none),
                                  // rounded up to whole microseconds
  uint64_t requestsPerSec = 0;
};

// Counts since the tracker was created.
struct LoadTotals {
  uint64_t requests = 0;    // completed (successfully or not)
  uint64_t serviceNs = 0;   // their summed service time
  uint64_t readBytes = 0;   // block bytes sent to clients and peers
  uint64_t writeBytes = 0;  // block bytes received
};

// Fed by ChunkServerImpl and BlockWriterImpl; sampled by the NodeAgent once per heartbeat.
// Service times come from `clock`, which must outlive the tracker. One event loop only.
class LoadTracker {
public:
  explicit LoadTracker(const kj::MonotonicClock& clock);
  KJ_DISALLOW_COPY(LoadTracker);

  // One request being served: in flight from creation until destruction, which ends its
  // service time. Movable (attach it to a promise). The tracker must outlive it.
  class Request {
  public:
    Request(Request&& other);
    ~Request() noexcept(false);
    KJ_DISALLOW_COPY(Request);
  private:
    friend class LoadTracker;
    Request(LoadTracker* tracker, kj::TimePoint start) : tracker(tracker), start(start) {}
    LoadTracker* tracker;  // null: not tracked (moved from, or no tracker)
    kj::TimePoint start;
  };

  // Starts tracking a request on `tracker` (an untracked no-op when there is none).
  static Request track(kj::Maybe<LoadTracker&> tracker);

  void addReadBytes(uint64_t n) { totalsNow.readBytes += n; }
  void addWriteBytes(uint64_t n) { totalsNow.writeBytes += n; }

  uint32_t inFlight() const { return inFlightNow; }
  const LoadTotals& totals() const { return totalsNow; }

  // The figures over the time since the previous sample() (or since construction), which
  // then starts the next interval.
  LoadFigures sample();
  // What the last sample() returned (all zero before the first).
  const LoadFigures& lastSample() const { return last; }

private:
  const kj::MonotonicClock& clock;
  uint32_t inFlightNow = 0;
  LoadTotals totalsNow;
  LoadTotals totalsAtSample;
  kj::TimePoint sampledAt;
  LoadFigures last;

  void finish(kj::TimePoint start);
};

}  // namespace dfs
