// Filesystem::exportMetrics: the dfs-mount's /metrics series.
#include "client/fs/filesystem.h"

namespace dfs {

namespace {

// The call counter, failure counter and latency histogram of RPCs to one kind of peer.
RpcStats rpcStats(MetricsRegistry& registry, kj::StringPtr peer) {
  RpcStats stats;
  stats.calls = &registry.counter("dfs_client_rpc_total", "RPCs made, by peer.", {{"peer", peer}});
  stats.failures = &registry.counter("dfs_client_rpc_failures_total",
                                     "RPCs that failed (error or deadline), by peer.",
                                     {{"peer", peer}});
  stats.seconds = &registry.histogram("dfs_client_rpc_seconds",
                                      "RPC round trip in seconds, by peer.", {{"peer", peer}});
  return stats;
}

}  // namespace

void Filesystem::exportMetrics(MetricsRegistry& registry) {
  master.setStats(rpcStats(registry, "master"));
  chunks.setStats(rpcStats(registry, "chunk"));

  Filesystem* fs = this;  // registry callbacks run on this loop while the mount lives
  registry.counterFn("dfs_client_read_bytes_total", "Bytes returned to read() calls.", {},
                     [fs]() { return fs->counters.bytesRead; });
  registry.counterFn("dfs_client_write_bytes_total", "Bytes accepted from write() calls.", {},
                     [fs]() { return fs->counters.bytesWritten; });
  for (uint32_t op = 0; op < FuseWire::kOpcodes; op++) {
    const char* name = FuseWire::opcodeName(op);
    if (name == nullptr) continue;
    registry.counterFn("dfs_client_fuse_requests_total", "Requests from the kernel, by operation.",
                       {{"op", name}}, [fs, op]() { return fs->wire.requests(op); });
  }
  registry.counterFn("dfs_client_readdirplus_attrs_total",
                     "Directory entries listed with their attributes (no lookup needed).", {},
                     [fs]() { return fs->counters.plusEntries; });
  registry.counterFn("dfs_client_cache_hits_total", "Block cache segment hits.", {},
                     [fs]() { return fs->cache.hits(); });
  registry.counterFn("dfs_client_cache_misses_total", "Block cache segment misses.", {},
                     [fs]() { return fs->cache.misses(); });
  registry.gaugeFn("dfs_client_cache_bytes", "Bytes held by the block cache.", {},
                   [fs]() { return static_cast<double>(fs->cache.sizeBytes()); });
  registry.gaugeFn("dfs_client_locks_held", "File locks held by this mount's processes.", {},
                   [fs]() { return static_cast<double>(fs->heldLocks.count()); });
  registry.counterFn("dfs_client_locks_reclaimed_total",
                     "Locks re-asserted on a new master session (restart or lost session).",
                     {}, [fs]() { return fs->lockCounters.reclaimed; });
  registry.counterFn("dfs_client_locks_lost_total",
                     "Locks that could not be reclaimed (another mount took them meanwhile).",
                     {}, [fs]() { return fs->lockCounters.lost; });
  LateCopies* late = &lateCopies;
  registry.counterFn("dfs_client_async_creates_total",
                     "Creates answered without waiting for the master (leased directory).",
                     {}, [fs]() { return fs->asyncCounters.creates; });
  registry.counterFn("dfs_client_async_unlinks_total",
                     "Unlinks answered without waiting for the master (leased directory).",
                     {}, [fs]() { return fs->asyncCounters.unlinks; });
  registry.counterFn("dfs_client_async_failures_total",
                     "Asynchronous creates and unlinks that failed at the master after the "
                     "caller was told they succeeded.",
                     {}, [fs]() { return fs->asyncCounters.failed; });
  registry.counterFn("dfs_client_dir_leases_granted_total", "Directory leases granted.", {},
                     [fs]() { return fs->asyncCounters.granted; });
  registry.counterFn("dfs_client_dir_lease_recalls_total",
                     "Directory leases the master recalled.", {},
                     [fs]() { return fs->asyncCounters.recalled; });
  registry.gaugeFn("dfs_client_dir_leases", "Directory leases held.", {},
                   [fs]() { return static_cast<double>(fs->leasedDirs.held()); });
  registry.gaugeFn("dfs_client_async_dirops_in_flight",
                   "Asynchronous creates and unlinks waiting for the master's reply.", {},
                   [fs]() { return static_cast<double>(fs->leasedDirs.inFlight()); });
  registry.counterFn("dfs_client_late_copies_total",
                     "Block copies an upload stopped waiting for (enough others acked; the "
                     "server was slow), left to finish in the background.", {},
                     [late]() { return late->counters().started; });
  registry.counterFn("dfs_client_late_copies_landed_total",
                     "Late block copies their server acknowledged after all.", {},
                     [late]() { return late->counters().landed; });
  registry.counterFn("dfs_client_late_copies_failed_total",
                     "Late block copies that failed or passed the deadline.", {},
                     [late]() { return late->counters().failed; });
  registry.counterFn("dfs_client_late_copies_reported_total",
                     "Late block copies that landed and were reported to the master.", {},
                     [late]() { return late->counters().reported; });
  registry.gaugeFn("dfs_client_late_copy_bytes", "Bytes of late block copies in flight.", {},
                   [late]() { return static_cast<double>(late->bytesInFlight()); });
  PlacementPool* pool = &placements;
  registry.gaugeFn("dfs_client_avoided_servers",
                   "Chunk servers left out of new placements after missing a write's grace.",
                   {}, [pool]() { return static_cast<double>(pool->avoiding()); });
  registry.counterFn("dfs_client_readahead_segments_total",
                     "Segments prefetched ahead of sequential reads.", {},
                     [fs]() { return fs->fetcher.prefetched(); });
  registry.counterFn("dfs_client_readahead_hits_total",
                     "Reads served by a prefetched segment (cached or in flight).", {},
                     [fs]() { return fs->fetcher.prefetchHits(); });
  KJ_IF_MAYBE(d, diskCache) {
    DiskCache* disk = *d;
    registry.counterFn("dfs_client_disk_cache_hits_total", "Disk cache segment hits.", {},
                       [disk]() { return disk->stats().hits; });
    registry.counterFn("dfs_client_disk_cache_misses_total", "Disk cache segment misses.", {},
                       [disk]() { return disk->stats().misses; });
    registry.counterFn("dfs_client_disk_cache_read_bytes_total",
                       "Bytes read from the disk cache.", {},
                       [disk]() { return disk->stats().bytesRead; });
    registry.counterFn("dfs_client_disk_cache_written_bytes_total",
                       "Bytes written to the disk cache.", {},
                       [disk]() { return disk->stats().bytesWritten; });
    registry.counterFn("dfs_client_disk_cache_evictions_total",
                       "Disk cache files evicted for space.", {},
                       [disk]() { return disk->stats().evictions; });
    registry.counterFn("dfs_client_disk_cache_errors_total",
                       "Corrupt disk cache files, failed writes, unusable directory.", {},
                       [disk]() { return disk->stats().errors; });
    registry.gaugeFn("dfs_client_disk_cache_bytes", "Bytes of files in the disk cache.", {},
                     [disk]() { return static_cast<double>(disk->stats().usedBytes); });
  }
  registry.gaugeFn("dfs_client_open_files", "Files open through this mount.", {},
                   [fs]() { return static_cast<double>(fs->openFiles.size()); });
}

}  // namespace dfs
