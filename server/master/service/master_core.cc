// MasterCore construction and background tasks.
#include "server/master/service/master_core.h"
#include "server/master/namespace/namespace.h"
#include "common/base/block_id.h"
#include <kj/debug.h>

namespace dfs {

MasterCore::MasterCore(MetaStore& store, Clock& clock, kj::Timer& timer, MasterConfig config)
    : store(store), clock(clock), timer(timer), config(config), volumes(store, clock),
      nodes(store, clock, timer, config.nodeTimeouts), placement(nodes),
      cacheWatch(timer, config.invalidateTimeout, config.cacheWatchLimit),
      leases(timer, config.leaseRecallTimeout, cacheWatch), boot(BlockId::random().lo | 1),
      lockGrace(timer), lockHolders(store, boot),
      gc(store, clock, nodes),
      replication(store, timer, nodes, placement, volumes, config.defaultReplicas,
                  config.replication),
      reports(store, clock, nodes, replication, config.reportGraceNs), tasks(*this) {
  nodes.load();
  volumes.ensureDefault(config.defaultReplicas);
  // No session survives a restart, but mounts that held files open register them again
  // on their new sessions (within about a second): until the grace ends every file counts
  // as open, and orphans go then unless opened again (startBackground, endOpenGrace).
  openFiles.holdAll(true);
  // Clients of the previous run that held locks will come back to reclaim them; with
  // none (first start, or every lock holder had unmounted) there is nothing to wait for.
  size_t holders = lockHolders.loadPrevious();
  if (holders > 0) {
    KJ_LOG(WARNING, "sessions of the previous run held locks", holders);
    lockGrace.start(config.lockGrace, [this]() { lockHolders.forgetPrevious(); });
  }
}

void MasterCore::endOpenGrace() {
  openFiles.holdAll(false);
  Namespace::purgeOrphans(store, clock, config.gcGraceNs, &openFiles);
}

void MasterCore::releaseOpensLater(uint64_t volumeId, uint64_t rootIno,
                                   std::unordered_map<uint64_t, uint32_t> held) {
  if (held.empty()) return;
  tasks.add(timer.afterDelay(config.lockGrace)
                .then([this, volumeId, rootIno, held = kj::mv(held)]() {
                  Namespace ns(store, clock, volumeId, rootIno, config.gcGraceNs, &openFiles);
                  for (auto& entry : held) {
                    for (uint32_t i = 0; i < entry.second; ++i) {
                      if (openFiles.release(entry.first) && !stopping) {
                        ns.releaseOrphan(entry.first);
                      }
                    }
                  }
                }));
}

void MasterCore::checkLockGrace() {
  if (lockGrace.active() && lockHolders.allReturned()) {
    KJ_LOG(WARNING, "every lock holder of the previous run reclaimed its locks");
    lockGrace.end();
  }
}

void MasterCore::startBackground() {
  tasks.add(timer.afterDelay(config.lockGrace).then([this]() { endOpenGrace(); }));
  tasks.add(gc.run(timer, config.gcInterval));
  tasks.add(replication.run());
  tasks.add(syncLoop());
}

kj::Promise<void> MasterCore::syncLoop() {
  return timer.afterDelay(config.syncInterval).then([this]() {
    KJ_IF_MAYBE(e, kj::runCatchingExceptions([this]() { store.sync(); })) {
      KJ_LOG(ERROR, "metadata sync failed", *e);
    }
    return syncLoop();
  });
}

void MasterCore::taskFailed(kj::Exception&& exception) {
  KJ_LOG(ERROR, "master background task failed", exception);
}

}  // namespace dfs
