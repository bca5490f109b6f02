// ChunkMetrics: registration of the chunk server's metric series.
#include "server/chunkserver/service/chunk_metrics.h"

namespace dfs {

ChunkMetrics::ChunkMetrics(MetricsRegistry& registry, BlockStore& store, Scrubber& scrubber,
                           LoadTracker& load, BlockSyncer& syncer)
    : readBlockSeconds(registry.histogram("dfs_chunk_read_block_seconds",
                                          "readBlock handling time in seconds.")),
      writeBlockFinishSeconds(registry.histogram(
          "dfs_chunk_write_block_finish_seconds",
          "BlockWriter.finish time (block stored; durable unless deferSync) in seconds.")) {
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
                     "Block reads and scrubs that found a bad checksum, header or length.", {},
                     [s]() { return s->counters().checksumErrors; });
  registry.counterFn("dfs_chunk_corrupt_copies_total",
                     "Block copies found corrupt (or missing) and dropped from the index.", {},
                     [s]() { return s->counters().corruptCopies; });
  registry.counterFn("dfs_chunk_quarantined_copies_total",
                     "Corrupt block copies moved to DATA_DIR/corrupt/.", {},
                     [s]() { return s->counters().quarantined; });
  registry.gaugeFn("dfs_chunk_blocks", "Blocks stored.", {},
                   [s]() { return static_cast<double>(s->blockCount()); });
  registry.gaugeFn("dfs_chunk_used_bytes", "Bytes used by stored blocks (data + headers).", {},
                   [s]() { return static_cast<double>(s->usedBytes()); });
  registry.gaugeFn("dfs_chunk_disk_errors", "Disk errors since start.", {},
                   [s]() { return static_cast<double>(s->diskErrors()); });

  registry.gaugeFn("dfs_chunk_pending_sync_blocks",
                   "Blocks stored and readable but not yet fsynced (deferSync writes).", {},
                   [s]() { return static_cast<double>(s->pendingCount()); });
  BlockSyncer* sy = &syncer;
  registry.counterFn("dfs_chunk_sync_passes_total",
                     "Sync passes (fsync + rename of every waiting block) completed.", {},
                     [sy]() { return sy->counters().passes; });
  registry.counterFn("dfs_chunk_blocks_synced_total", "Blocks made durable by sync passes.", {},
                     [sy]() { return sy->counters().blocksSynced; });
  registry.counterFn("dfs_chunk_sync_failures_total",
                     "Blocks that could not be made durable (their copy was dropped).", {},
                     [sy]() { return sy->counters().failures; });
  registry.counterFn("dfs_chunk_sync_microseconds_total", "Time spent in sync passes.", {},
                     [sy]() { return sy->counters().syncNs / 1000; });

  Scrubber* scrub = &scrubber;
  registry.counterFn("dfs_chunk_scrubbed_bytes_total", "Block file bytes verified by the scrubber.",
                     {}, [scrub]() { return scrub->counters().bytes; });
  registry.counterFn("dfs_chunk_scrubbed_blocks_total", "Blocks verified by the scrubber.", {},
                     [scrub]() { return scrub->counters().blocks; });
  registry.counterFn("dfs_chunk_scrub_passes_total", "Full scrubber passes completed.", {},
                     [scrub]() { return scrub->counters().passes; });
  registry.counterFn("dfs_chunk_scrub_corrupt_total", "Corrupt copies found by the scrubber.", {},
                     [scrub]() { return scrub->counters().corrupt; });

  LoadTracker* l = &load;
  registry.gaugeFn("dfs_chunk_requests_in_flight", "RPCs being served now.", {},
                   [l]() { return static_cast<double>(l->inFlight()); });
  registry.counterFn("dfs_chunk_requests_total", "RPCs served (ChunkServer and BlockWriter).", {},
                     [l]() { return l->totals().requests; });
  registry.counterFn("dfs_chunk_request_service_microseconds_total",
                     "Summed service time of the RPCs served, in microseconds.", {},
                     [l]() { return l->totals().serviceNs / 1000; });
  // The figures of the last heartbeat's interval, as sent to the master.
  registry.gaugeFn("dfs_chunk_load_read_bytes_per_second",
                   "Block bytes read per second over the last heartbeat interval.", {},
                   [l]() { return static_cast<double>(l->lastSample().readBytesPerSec); });
  registry.gaugeFn("dfs_chunk_load_write_bytes_per_second",
                   "Block bytes received per second over the last heartbeat interval.", {},
                   [l]() { return static_cast<double>(l->lastSample().writeBytesPerSec); });
  registry.gaugeFn("dfs_chunk_load_requests_per_second",
                   "RPCs completed per second over the last heartbeat interval.", {},
                   [l]() { return static_cast<double>(l->lastSample().requestsPerSec); });
  registry.gaugeFn("dfs_chunk_load_avg_latency_microseconds",
                   "Mean RPC service time over the last heartbeat interval.", {},
                   [l]() { return static_cast<double>(l->lastSample().avgLatencyUs); });
}

}  // namespace dfs
