// ChunkMetrics: registration of the chunk server's metric series.
#include "server/chunkserver/service/chunk_metrics.h"

namespace dfs {

ChunkMetrics::ChunkMetrics(MetricsRegistry& registry, BlockStore& store)
    : readBlockSeconds(registry.histogram("dfs_chunk_read_block_seconds",
                                          "readBlock handling time in seconds.")),
      writeBlockFinishSeconds(registry.histogram(
          "dfs_chunk_write_block_finish_seconds",
          "BlockWriter.finish time (durable block store) in seconds.")) {
  BlockStore* s = &store;  // captured by value: it outlives the registry's use
  registry.counterFn("dfs_chunk_blocks_written_total", "Blocks stored.", {},
                     [s]() { return s->counters().blocksWritten; });
  registry.counterFn("dfs_chunk_bytes_written_total", "Data bytes of the blocks stored.", {},
                     [s]() { return s->counters().bytesWritten; });
  registry.counterFn("dfs_chunk_blocks_read_total", "Successful block reads.", {},
                     [s]() { return s->counters().blocksRead; });
  registry.counterFn("dfs_chunk_bytes_read_total", "Data bytes returned by block reads.", {},
                     [s]() { return s->counters().bytesRead; });
  registry.counterFn("dfs_chunk_blocks_deleted_total", "Blocks deleted.", {},
                     [s]() { return s->counters().blocksDeleted; });
  registry.counterFn("dfs_chunk_checksum_errors_total",
                     "Block reads that failed checksum verification.", {},
                     [s]() { return s->counters().checksumErrors; });
  registry.gaugeFn("dfs_chunk_blocks", "Blocks stored.", {},
                   [s]() { return static_cast<double>(s->blockCount()); });
  registry.gaugeFn("dfs_chunk_used_bytes", "Bytes used by stored blocks (data + headers).", {},
                   [s]() { return static_cast<double>(s->usedBytes()); });
  registry.gaugeFn("dfs_chunk_disk_errors", "Disk errors since start.", {},
                   [s]() { return static_cast<double>(s->diskErrors()); });
}

}  // namespace dfs
