// ChunkMetrics: the chunk server's metrics (block store counts, RPC latency histograms).
#pragma once

#include "common/metrics/metrics.h"
#include "server/chunkserver/blockstore/block_store.h"

namespace dfs {

// Registers the chunk server's metrics in `registry`. Counters and gauges read `store` at
// render time (both must outlive the registry's use); the histograms are filled by
// ChunkServerImpl (readBlock) and BlockWriterImpl (finish).
class ChunkMetrics {
public:
  ChunkMetrics(MetricsRegistry& registry, BlockStore& store);
  KJ_DISALLOW_COPY(ChunkMetrics);

  Histogram& readBlockSeconds;
  Histogram& writeBlockFinishSeconds;
};

}  // namespace dfs
