// MasterCore: the master's components wired together (owned by main or a test).
#pragma once

#include "common/base/limits.h"
#include "server/master/gc/gc.h"
#include "server/master/locks/lock_grace.h"
#include "server/master/locks/lock_holders.h"
#include "server/master/locks/lock_manager.h"
#include "server/master/namespace/open_files.h"
#include "server/master/nodes/node_registry.h"
#include "server/master/placement/placement.h"
#include "server/master/replication/block_reports.h"
#include "server/master/replication/replication_manager.h"
#include "server/master/service/cache_watch.h"
#include "server/master/service/dir_leases.h"
#include "server/master/service/session_registry.h"
#include "server/master/volumes/volumes.h"
#include <unordered_map>

namespace dfs {

class RpcMetrics;  // master_metrics.h

struct MasterConfig {
  uint32_t defaultReplicas = 2;
  NodeTimeouts nodeTimeouts;
  int64_t gcGraceNs = 30'000'000'000LL;
  kj::Duration gcInterval = 2 * kj::SECONDS;
  ReplicationConfig replication;
  // How often the store's unsynced writes are fsynced (when it does not sync every write).
  kj::Duration syncInterval = 100 * kj::MILLISECONDS;
  // Reported copies the master does not need are deleted once this old (younger ones
  // may belong to a write whose commit is still coming).
  int64_t reportGraceNs = 600'000'000'000LL;
  // How long a change waits for other mounts to drop what their kernels cached of it.
  kj::Duration invalidateTimeout = 1 * kj::SECONDS;
  // How long another mount's call waits for a directory lease's holder to answer its
  // recall before the lease is revoked (DirLeases).
  kj::Duration leaseRecallTimeout = 2 * kj::SECONDS;
  // Inodes and directories recorded per mount for invalidation (CacheWatch).
  size_t cacheWatchLimit = CacheWatch::kDefaultMaxRecords;
  // Lock grace period after a restart that found lock holders of the previous run
  // (LockGrace): longer than a mount needs to notice and reconnect (MasterLink's
  // kReconnectInterval plus its connect deadline for those attempts, 1 s + 2 s).
  // Also how long after start every file counts as open (OpenFiles::holdAll), so mounts
  // can register their open files again before an unlink deletes one.
  kj::Duration lockGrace = 5 * kj::SECONDS;
  // Pieces of file data ending at or before this may be committed inline (kept in the
  // store, no block); told to mounts at mount time. At most kMaxInlineBytes; 0 = never.
  uint32_t inlineMax = kMaxInlineBytes;
};

class MasterCore final : private kj::TaskSet::ErrorHandler {
public:
  // Loads known nodes and creates the default volume on first start. If sessions of the
  // previous run held locks, starts the lock grace period.
  MasterCore(MetaStore& store, Clock& clock, kj::Timer& timer, MasterConfig config);
  KJ_DISALLOW_COPY(MasterCore);

  // Starts background work (block GC every config.gcInterval, the replication manager) on
  // the current event loop; it runs until the MasterCore is destroyed.
  void startBackground();
  // The end of the grace after start in which every file counts as open (OpenFiles::
  // holdAll): orphans that no mount registered again are deleted. startBackground()
  // schedules it after lockGrace; public for tests.
  void endOpenGrace();
  // A session ended by its client's side (a lost connection, a killed mount) held files
  // open (`held`: inode -> opens, in volume `volumeId`): they stay open for lockGrace, so a
  // mount that reconnects registers them again (as after a restart) before another mount's
  // unlink, or the end of the session itself, can delete a file still in use. Then they
  // are released like closes: the orphans nobody holds any more are deleted.
  void releaseOpensLater(uint64_t volumeId, uint64_t rootIno,
                         std::unordered_map<uint64_t, uint32_t> held);

  MetaStore& store;
  Clock& clock;
  kj::Timer& timer;
  MasterConfig config;
  Volumes volumes;
  NodeRegistry nodes;
  Placement placement;
  SessionRegistry sessions;
  CacheWatch cacheWatch;  // what quorum mounts cache; invalidations on change
  DirLeases leases;       // directories a mount changes asynchronously
  OpenFiles openFiles;  // files held open by any session (orphans live while open)
  const uint64_t boot;  // random, names this run of the master (Master.mount results)
  LockManager locks;    // fcntl and flock locks of all sessions (memory only)
  LockGrace lockGrace;  // after a restart: only reclaims until it ends
  LockHolders lockHolders;  // sessions that took locks, kept in the store
  // Ends the lock grace period early once every lock holder of the previous run came
  // back and reclaimed what it held.
  void checkLockGrace();
  // Set when the master is shutting down: the sessions' ends that follow are not their
  // clients' doing, so their lock holder records stay for the next run.
  bool stopping = false;
  BlockGc gc;
  ReplicationManager replication;
  BlockReports reports;
  kj::Maybe<RpcMetrics&> rpcMetrics;  // set by MasterMetrics when metrics are served

private:
  kj::TaskSet tasks;
  kj::Promise<void> syncLoop();
  void taskFailed(kj::Exception&& exception) override;
};

}  // namespace dfs
