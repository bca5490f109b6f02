// Readahead: sequential detection and a window that doubles from 1 MiB up to 16 MiB.
#include "readahead.h"

#include <algorithm>

namespace dfs {

Readahead::Range Readahead::onRead(uint64_t offset, uint64_t size) {
  uint64_t end = offset + size;
  bool continues = offset + kReadaheadSlack >= lastEnd && offset <= lastEnd + kReadaheadSlack;
  if (continues) {
    streak++;
    lastEnd = std::max(lastEnd, end);
  } else {
    streak = 0;
    windowBytes = 0;
    issuedEnd = 0;
    lastEnd = end;
  }
  if (maxWindow == 0 || streak < kReadaheadStreak) return {};
  if (windowBytes == 0) windowBytes = std::min(kReadaheadMinWindow, maxWindow);
  if (issuedEnd >= end + windowBytes / 2) return {};
  Range r{std::max(issuedEnd, end), end + windowBytes};
  issuedEnd = r.end;
  windowBytes = std::min(windowBytes * 2, maxWindow);
  return r;
}

}  // namespace dfs
