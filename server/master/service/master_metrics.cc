// Master metrics: registration of RPC series and of gauges over MasterCore state.
#include "server/master/service/master_metrics.h"

#include "server/master/service/master_core.h"
#include <capnp/message.h>

namespace dfs {
namespace {

const char* const kMethodNames[] = {
    "lookup",  "getAttr",  "setAttr",    "mknod",          "mkdir",  "symlink",
    "readlink", "link",    "unlink",     "rmdir",          "rename", "readdir",
    "statfs",  "getExtents", "allocateBlocks", "commit",   "ping",   "open",
    "release", "mount",    "registerNode", "heartbeat", "sync",   "fallocate",
    "copyRange", "setXattr", "getXattr", "listXattr", "removeXattr", "getLock",
    "setLock", "releaseLocks", "touchAtime", "addCopies", "reserveInodes"};
static_assert(sizeof(kMethodNames) / sizeof(kMethodNames[0]) ==
                  static_cast<size_t>(RpcMethod::COUNT_),
              "one name per RpcMethod");

kj::Maybe<Histogram&> histogramOf(kj::Maybe<RpcMetrics&> metrics, RpcMethod method) {
  KJ_IF_MAYBE(m, metrics) {
    m->calls(method).inc();
    return m->seconds(method);
  }
  return nullptr;
}

// RocksDB properties exported as gauges: (property, metric name, help).
struct StoreStat {
  const char* property;
  const char* metric;
  const char* help;
};
const StoreStat kStoreStats[] = {
    {"rocksdb.estimate-num-keys", "dfs_master_store_keys", "Estimated keys in the metadata store."},
    {"rocksdb.estimate-live-data-size", "dfs_master_store_live_bytes",
     "Estimated live data in the metadata store, bytes."},
    {"rocksdb.total-sst-files-size", "dfs_master_store_sst_bytes",
     "Size of the metadata store's SST files, bytes."},
    {"rocksdb.cur-size-all-mem-tables", "dfs_master_store_memtable_bytes",
     "Size of the metadata store's memtables, bytes."},
    {"rocksdb.block-cache-usage", "dfs_master_store_block_cache_bytes",
     "Metadata store block cache in use, bytes."},
    {"rocksdb.num-running-compactions", "dfs_master_store_running_compactions",
     "Metadata store compactions running."},
    {"rocksdb.estimate-pending-compaction-bytes", "dfs_master_store_pending_compaction_bytes",
     "Bytes the metadata store estimates compaction still has to rewrite."},
};

}  // namespace

RpcMetrics::RpcMetrics(MetricsRegistry& registry) {
  for (size_t i = 0; i < static_cast<size_t>(RpcMethod::COUNT_); ++i) {
    callCounters[i] = &registry.counter("dfs_master_rpc_total", "RPCs handled, by method.",
                                        {{"method", kMethodNames[i]}});
    latency[i] = &registry.histogram("dfs_master_rpc_seconds",
                                     "RPC handling time in seconds, by method.",
                                     {{"method", kMethodNames[i]}});
  }
}

RpcScope::RpcScope(kj::Maybe<RpcMetrics&> metrics, RpcMethod method)
    : timer(histogramOf(metrics, method)) {}

MasterMetrics::MasterMetrics(MetricsRegistry& registry, MasterCore& core) : rpc(registry) {
  core.rpcMetrics = rpc;
  MasterCore* c = &core;  // captured by value: it outlives the registry's use
  registry.gaugeCollector(
      "dfs_master_nodes", "Chunk servers known to the master, by state.",
      [c](MetricsRegistry::Sink& sink) {
        double counts[6] = {};
        for (auto& entry : c->nodes.all()) {
          auto state = static_cast<size_t>(c->nodes.state(entry.second));
          if (state < 6) counts[state]++;
        }
        const char* names[6] = {"joining", "healthy", "suspect", "dead", "draining", "removed"};
        for (size_t i = 0; i < 6; ++i) sink.add({{"state", names[i]}}, counts[i]);
      });
  for (auto& stat : kStoreStats) {
    if (core.store.intProperty(stat.property) == nullptr) continue;  // engine lacks it
    const char* property = stat.property;
    registry.gaugeFn(stat.metric, stat.help, {}, [c, property]() {
      return static_cast<double>(c->store.intProperty(property).orDefault(0));
    });
  }
  registry.gaugeFn("dfs_master_blocks", "Block records (last replication scan).", {},
                   [c]() { return static_cast<double>(c->replication.stats().blocks); });
  registry.gaugeFn("dfs_master_blocks_under_replicated",
                   "Blocks with fewer good copies than their target (last scan).", {},
                   [c]() { return static_cast<double>(c->replication.stats().underReplicated); });
  registry.gaugeFn("dfs_master_blocks_missing",
                   "Blocks with no copy on a live node (last scan).", {},
                   [c]() { return static_cast<double>(c->replication.stats().missing); });
  registry.gaugeFn("dfs_master_blocks_over_replicated",
                   "Blocks with more good copies than their target (last scan).", {},
                   [c]() { return static_cast<double>(c->replication.stats().overReplicated); });
  registry.gaugeFn("dfs_master_replication_in_flight", "Block copies being made.", {},
                   [c]() { return static_cast<double>(c->replication.copiesInFlight()); });
  registry.gaugeFn("dfs_master_replication_queue", "Blocks waiting for a copy or move.", {},
                   [c]() { return static_cast<double>(c->replication.queued()); });
  registry.counterFn("dfs_master_replication_copies_total", "Re-replication copies made.", {},
                     [c]() { return c->replication.stats().repairedBlocks; });
  registry.counterFn("dfs_master_replication_bytes_total", "Bytes copied by re-replication.",
                     {}, [c]() { return c->replication.stats().repairedBytes; });
  registry.counterFn("dfs_master_replication_failures_total", "Copies that failed.", {},
                     [c]() { return c->replication.stats().failedCopies; });
  registry.counterFn("dfs_master_replication_trimmed_total",
                     "Surplus or draining copies removed.", {},
                     [c]() { return c->replication.stats().trimmedCopies; });
  registry.counterFn("dfs_master_rebalance_moves_total", "Blocks moved by the rebalancer.", {},
                     [c]() { return c->replication.stats().movedBlocks; });
  registry.counterFn("dfs_master_replication_scans_total", "Full scans of block records.", {},
                     [c]() { return c->replication.stats().scanCycles; });
  registry.counterFn("dfs_master_corrupt_copies_total",
                     "Corrupt copies reported by chunk servers.", {},
                     [c]() { return c->replication.stats().corruptCopies; });
  registry.counterFn("dfs_master_block_reports_total", "Block reports reconciled.", {},
                     [c]() { return c->reports.stats().reports; });
  registry.counterFn("dfs_master_report_lost_copies_total",
                     "Copies named by records but missing from a node's block report.", {},
                     [c]() { return c->reports.stats().lostCopies; });
  registry.counterFn("dfs_master_report_deleted_copies_total",
                     "Reported copies deleted as unknown or surplus.", {}, [c]() {
                       return c->reports.stats().unknownDeleted +
                              c->reports.stats().surplusDeleted;
                     });
  registry.gaugeFn("dfs_master_volumes", "Volumes.", {},
                   [c]() { return static_cast<double>(c->volumes.list().size()); });
  registry.gaugeFn("dfs_master_sessions", "Live mounts (client sessions).", {},
                   [c]() { return static_cast<double>(c->sessions.all().size()); });
  registry.gaugeCollector(
      "dfs_master_volume_inodes", "Inodes per volume.", [c](MetricsRegistry::Sink& sink) {
        for (auto& v : c->volumes.list()) {
          capnp::MallocMessageBuilder message(64);
          auto info = message.initRoot<wire::VolumeInfo>();
          c->volumes.toWire(v, info);
          sink.add({{"volume", v.name}}, static_cast<double>(info.getInodes()));
        }
      });
  registry.gaugeFn("dfs_master_pending_block_deletes",
                   "Block copies queued for deletion on chunk servers.", {}, [c]() {
                     double n = 0;
                     for (auto& entry : c->nodes.all()) n += entry.second.pendingDeletes.size();
                     return n;
                   });
  registry.gaugeFn("dfs_master_cache_watchers",
                   "Mounts whose cached names and attributes the master invalidates.", {},
                   [c]() { return static_cast<double>(c->cacheWatch.watchers()); });
  registry.counterFn("dfs_master_invalidate_calls_total",
                     "Invalidate calls sent to mounts (after another mount's change).", {},
                     [c]() { return c->cacheWatch.counters().calls; });
  registry.counterFn("dfs_master_invalidate_items_total",
                     "Inodes and names listed in invalidate calls.", {},
                     [c]() { return c->cacheWatch.counters().items; });
  registry.counterFn("dfs_master_invalidate_timeouts_total",
                     "Invalidate calls a change stopped waiting for.", {},
                     [c]() { return c->cacheWatch.counters().timeouts; });
  registry.counterFn("dfs_master_invalidate_failures_total",
                     "Invalidate calls that failed (mount gone).", {},
                     [c]() { return c->cacheWatch.counters().failures; });
  registry.counterFn("dfs_master_cache_watch_resets_total",
                     "Mounts whose records hit --cache-watch-limit and were forgotten.", {},
                     [c]() { return c->cacheWatch.counters().resets; });
  registry.gaugeFn("dfs_master_dir_leases",
                   "Directories a mount holds the lease on (its creates and unlinks there "
                   "are asynchronous).",
                   {}, [c]() { return static_cast<double>(c->leases.held()); });
  registry.counterFn("dfs_master_dir_leases_granted_total", "Directory leases granted.", {},
                     [c]() { return c->leases.counters().granted; });
  registry.counterFn("dfs_master_dir_lease_recalls_total",
                     "Directory leases recalled (another mount's call touched them).", {},
                     [c]() { return c->leases.counters().recalled; });
  registry.counterFn("dfs_master_dir_lease_revocations_total",
                     "Recalls the holder did not answer in time (its later asynchronous "
                     "operations fail).",
                     {}, [c]() { return c->leases.counters().revoked; });
  registry.gaugeFn("dfs_master_lock_grace_active",
                   "1 while the lock grace period after a restart lasts (reclaims only).", {},
                   [c]() { return c->lockGrace.active() ? 1.0 : 0.0; });
  registry.counterFn("dfs_master_lock_reclaims_total", "Locks reclaimed by returning mounts.",
                     {}, [c]() { return c->lockGrace.reclaimedTotal; });
  registry.counterFn("dfs_master_lock_reclaims_refused_total",
                     "Lock reclaims refused (another owner held a conflicting lock).", {},
                     [c]() { return c->lockGrace.reclaimRefusedTotal; });
  registry.counterFn("dfs_master_lock_grace_waits_total",
                     "Lock requests that waited for the end of the grace period.", {},
                     [c]() { return c->lockGrace.waitedTotal; });
  registry.counterFn("dfs_master_gc_passes_total", "Block GC passes run.", {},
                     [c]() { return c->gc.passCount(); });
  registry.counterFn("dfs_master_gc_blocks_deleted_total",
                     "Blocks deleted by GC (each queued for deletion on its nodes).", {},
                     [c]() { return c->gc.deletedCount(); });
}

}  // namespace dfs
