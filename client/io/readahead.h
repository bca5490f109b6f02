// Readahead: per open file, detects sequential reads and decides which file range to
// prefetch next. Pure bookkeeping (no I/O), so it is unit-tested on its own.
#pragma once

#include <cstdint>

namespace dfs {

// A read starting within this distance of where the previous one ended continues it
// (the kernel may reorder or skip a little).
constexpr uint64_t kReadaheadSlack = 512u << 10;
// The first prefetch covers this much; each further prefetch doubles it up to the maximum.
constexpr uint64_t kReadaheadMinWindow = 1u << 20;
constexpr uint64_t kReadaheadMaxWindow = 16u << 20;
// Reads in a row that must continue each other before anything is prefetched (the first
// read of an open file continues offset 0).
constexpr uint32_t kReadaheadStreak = 2;

class Readahead {
public:
  struct Range {
    uint64_t begin = 0, end = 0;
    bool empty() const { return begin >= end; }
  };

  // `maxWindow` 0 turns readahead off.
  explicit Readahead(uint64_t maxWindow = kReadaheadMaxWindow) : maxWindow(maxWindow) {}

  // Records a read of [offset, offset + size) and returns the range to prefetch now: empty
  // for a random read, or while at least half the window is already prefetched ahead of
  // it. A random read resets the window. The range may pass the end of the file.
  Range onRead(uint64_t offset, uint64_t size);

  // The last prefetch stopped short at `at` (too much in flight): a later read asks again.
  void stoppedAt(uint64_t at) {
    if (at < issuedEnd) issuedEnd = at;
  }

  uint64_t window() const { return windowBytes; }
  bool sequential() const { return streak >= kReadaheadStreak; }

private:
  uint64_t maxWindow;
  uint64_t lastEnd = 0;      // end of the previous read
  uint32_t streak = 0;       // reads in a row that continued the previous one
  uint64_t windowBytes = 0;  // size of the next prefetch (0 until sequential)
  uint64_t issuedEnd = 0;    // prefetched up to here
};

}  // namespace dfs
