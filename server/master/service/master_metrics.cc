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
    "release", "mount",    "registerNode", "heartbeat"};
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
      "dfs_master_nodes", "Chunk servers known to the master, by health.",
      [c](MetricsRegistry::Sink& sink) {
        double healthy = 0, suspect = 0, dead = 0;
        for (auto& entry : c->nodes.all()) {
          switch (c->nodes.health(entry.second)) {
            case wire::NodeHealth::HEALTHY: ++healthy; break;
            case wire::NodeHealth::SUSPECT: ++suspect; break;
            default: ++dead; break;
          }
        }
        sink.add({{"state", "healthy"}}, healthy);
        sink.add({{"state", "suspect"}}, suspect);
        sink.add({{"state", "dead"}}, dead);
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
  registry.counterFn("dfs_master_gc_passes_total", "Block GC passes run.", {},
                     [c]() { return c->gc.passCount(); });
  registry.counterFn("dfs_master_gc_blocks_deleted_total",
                     "Blocks deleted by GC (each queued for deletion on its nodes).", {},
                     [c]() { return c->gc.deletedCount(); });
}

}  // namespace dfs
