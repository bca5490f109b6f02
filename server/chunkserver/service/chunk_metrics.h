// ChunkMetrics: the chunk server's metrics (block store counts, scrubber, load, RPC latency).
#pragma once

#include "common/metrics/metrics.h"
#include "server/chunkserver/blockstore/block_store.h"
#include "server/chunkserver/blockstore/scrubber.h"
#include "server/chunkserver/service/block_syncer.h"
#include "server/chunkserver/service/load_tracker.h"

namespace dfs {

// Registers the chunk server's metrics in `registry`. Counters and gauges read `store`,
// `scrubber`, `load` and `syncer` at render time (all must outlive the registry's use); the histograms
// are filled by ChunkServerImpl (readBlock) and BlockWriterImpl (finish).
class ChunkMetrics {
public:
  ChunkMetrics(MetricsRegistry& registry, BlockStore& store, Scrubber& scrubber,
               LoadTracker& load, BlockSyncer& syncer);
  KJ_DISALLOW_COPY(ChunkMetrics);

  Histogram& readBlockSeconds;
  Histogram& writeBlockFinishSeconds;
};

}  // namespace dfs
