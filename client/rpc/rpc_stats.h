// RpcStats: call counts, failures and latency of one kind of client RPC (master or chunk).
#pragma once

#include "common/metrics/metrics.h"
#include <kj/time.h>

namespace dfs {

// Points at series in a MetricsRegistry; all null (the default) records nothing.
struct RpcStats {
  Counter* calls = nullptr;
  Counter* failures = nullptr;
  Histogram* seconds = nullptr;

  void finished(kj::Duration elapsed) {
    if (calls != nullptr) calls->inc();
    if (seconds != nullptr) seconds->observe(static_cast<double>(elapsed / kj::NANOSECONDS) / 1e9);
  }
  void failed() {
    if (failures != nullptr) failures->inc();
  }
};

}  // namespace dfs
