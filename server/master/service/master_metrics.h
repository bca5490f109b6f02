// Master metrics: RPC counts and latency per method, gauges read from MasterCore at scrape.
#pragma once

#include "common/metrics/metrics.h"

namespace dfs {

class MasterCore;

// The master RPC methods that are counted and timed.
enum class RpcMethod {
  LOOKUP, GET_ATTR, SET_ATTR, MKNOD, MKDIR, SYMLINK, READLINK, LINK, UNLINK, RMDIR, RENAME,
  READDIR, STATFS, GET_EXTENTS, ALLOCATE_BLOCKS, COMMIT, PING, OPEN, RELEASE,
  MOUNT, REGISTER_NODE, HEARTBEAT, SYNC, FALLOCATE, COPY_RANGE, SET_XATTR, GET_XATTR,
  LIST_XATTR, REMOVE_XATTR, GET_LOCK, SET_LOCK, RELEASE_LOCKS, TOUCH_ATIME, ADD_COPIES,
  RESERVE_INODES,
  COUNT_  // number of methods
};

// dfs_master_rpc_total{method} and dfs_master_rpc_seconds{method}, registered once.
class RpcMetrics {
public:
  explicit RpcMetrics(MetricsRegistry& registry);
  KJ_DISALLOW_COPY(RpcMetrics);

  Counter& calls(RpcMethod m) { return *callCounters[static_cast<size_t>(m)]; }
  Histogram& seconds(RpcMethod m) { return *latency[static_cast<size_t>(m)]; }

private:
  Counter* callCounters[static_cast<size_t>(RpcMethod::COUNT_)];
  Histogram* latency[static_cast<size_t>(RpcMethod::COUNT_)];
};

// Put at the top of an RPC handler: counts the call and times it until the scope ends.
// A no-op when `metrics` is null (tests, or metrics not wired).
class RpcScope {
public:
  RpcScope(kj::Maybe<RpcMetrics&> metrics, RpcMethod method);
  KJ_DISALLOW_COPY(RpcScope);

private:
  LatencyTimer timer;
};

// Registers every master metric in `registry`; gauges read `core` at render time, so both
// must outlive the registry's use. Sets core.rpcMetrics to its RpcMetrics.
class MasterMetrics {
public:
  MasterMetrics(MetricsRegistry& registry, MasterCore& core);
  KJ_DISALLOW_COPY(MasterMetrics);

  RpcMetrics rpc;
};

}  // namespace dfs
