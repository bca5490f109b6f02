// ReplicationManager: scan cycles, the copy queue, copies, trims and rebalancing moves.
#include "server/master/replication/replication_manager.h"
#include "server/master/replication/block_scan.h"
#include "server/master/store/keys.h"
#include "common/rpc/rpc.h"
#include <kj/debug.h>
#include <algorithm>

namespace dfs {

ReplicationManager::ReplicationManager(MetaStore& store, kj::Timer& timer, NodeRegistry& nodes,
                                       Placement& placement, Volumes& volumes,
                                       uint32_t defaultReplicas, ReplicationConfig config)
    : store(store), timer(timer), nodes(nodes), placement(placement), volumes(volumes),
      defaultReplicas(defaultReplicas), config(config),
      limiter(timer, config.bandwidthBytesPerSec), copies(errorHandler) {}

void ReplicationManager::ErrorHandler::taskFailed(kj::Exception&& exception) {
  KJ_LOG(ERROR, "replication task failed", exception);
}

// ---- scheduling --------------------------------------------------------------------

kj::Promise<void> ReplicationManager::run() {
  return scanOnce()
      .catch_([](kj::Exception&& e) { KJ_LOG(ERROR, "replication scan failed", e); })
      .then([this]() { return waitForReason(); })
      .then([this]() { return run(); });
}

void ReplicationManager::kick() {
  kicked = true;
  KJ_IF_MAYBE(f, wake) {
    (*f)->fulfill();
    wake = nullptr;
  }
}

bool ReplicationManager::nodeStatesChanged() {
  kj::Vector<std::pair<uint64_t, wire::NodeState>> now;
  for (auto& entry : nodes.all()) now.add(entry.first, nodes.state(entry.second));
  bool changed = now.size() != lastStates.size();
  for (size_t i = 0; !changed && i < now.size(); ++i) changed = now[i] != lastStates[i];
  lastStates = kj::mv(now);
  return changed;
}

kj::Promise<void> ReplicationManager::waitForReason() {
  if (kicked) return kj::READY_NOW;
  auto paf = kj::newPromiseAndFulfiller<void>();
  wake = kj::mv(paf.fulfiller);
  return pollStates(timer.now() + config.scanInterval)
      .exclusiveJoin(kj::mv(paf.promise))
      .then([this]() { wake = nullptr; });
}

kj::Promise<void> ReplicationManager::pollStates(kj::TimePoint deadline) {
  // A node turning dead is a passage of time, not an event: look every stateCheckInterval.
  if (kicked || nodeStatesChanged() || timer.now() >= deadline) return kj::READY_NOW;
  return timer.afterDelay(config.stateCheckInterval).then([this, deadline]() {
    return pollStates(deadline);
  });
}

// ---- scanning ----------------------------------------------------------------------

kj::Promise<void> ReplicationManager::scanOnce() {
  kicked = false;
  nodeStatesChanged();  // remember the states this cycle works from
  auto cycle = kj::heap<Cycle>();
  beginCycle(*cycle);
  Cycle* c = cycle.get();
  return scanBlocks(
             store, config.scanPageSize,
             [this, c](BlockId id, BlockInfo& info) { return visit(*c, id, info); },
             [this, c]() {
               // Trimmed copies are deleted only once the records no longer name them.
               for (auto& d : c->deletes) nodes.queueDelete(d.first, d.second);
               c->deletes.clear();
               pump();
             })
      .then([this, c]() { endCycle(*c); })
      .attach(kj::mv(cycle));
}

void ReplicationManager::beginCycle(Cycle& c) {
  c.started = timer.now();
  for (auto& v : volumes.list()) c.targets[v.id] = v.replicas;
  for (auto& entry : nodes.all()) {
    c.listed[entry.first] = 0;
    c.sole[entry.first] = 0;
  }
  // Rebalance: from the fullest writable node to the emptiest, when they differ by more
  // than the threshold and no earlier moves are still pending.
  if (config.rebalanceThreshold <= 0 || movesPending > 0) return;
  NodeState* full = nullptr;
  NodeState* empty = nullptr;
  double total = 0;
  uint32_t count = 0;
  for (auto& entry : nodes.all()) {
    NodeState& n = entry.second;
    if (!nodes.writable(n) || n.capacityBytes == 0) continue;
    total += n.usedRatio();
    ++count;
    if (full == nullptr || n.usedRatio() > full->usedRatio()) full = &n;
    if (empty == nullptr || n.usedRatio() < empty->usedRatio()) empty = &n;
  }
  if (count < 2 || full == empty) return;
  double spread = full->usedRatio() - empty->usedRatio();
  if (spread <= config.rebalanceThreshold) return;
  double mean = total / count;
  c.moveFrom = full->id;
  c.moveTo = empty->id;
  c.moveBudgetBytes = static_cast<uint64_t>((full->usedRatio() - mean) * full->capacityBytes);
  c.moveBudgetCount = config.rebalanceMovesPerCycle;
  KJ_LOG(INFO, "rebalancing", full->id, empty->id, spread, c.moveBudgetBytes);
}

uint32_t ReplicationManager::targetOf(const Cycle& c, const BlockInfo& info) const {
  auto it = c.targets.find(info.volumeId);
  return it == c.targets.end() ? defaultReplicas : it->second;
}

uint32_t ReplicationManager::currentTarget(uint64_t volumeId) {
  for (auto& v : volumes.list()) {
    if (v.id == volumeId) return v.replicas;
  }
  return defaultReplicas;
}

uint32_t ReplicationManager::goodCopies(const BlockInfo& info) {
  uint32_t good = 0;
  for (auto n : info.nodes) {
    KJ_IF_MAYBE(node, nodes.find(n)) {
      if (nodes.readable(*node) && !node->draining) ++good;
    }
  }
  return good;
}

bool ReplicationManager::visit(Cycle& c, BlockId id, BlockInfo& info) {
  bool changed = false;
  uint32_t live = 0, good = 0;
  kj::Vector<uint64_t> liveIds, goodIds, draining;
  for (auto n : kj::heapArray<uint64_t>(info.nodes.asPtr())) {
    KJ_IF_MAYBE(node, nodes.find(n)) {
      if (node->removed) {
        changed |= info.removeNode(n);
        continue;
      }
      c.listed[n]++;
      if (!nodes.readable(*node)) continue;
      ++live;
      liveIds.add(n);
      if (node->draining) {
        draining.add(n);
      } else {
        ++good;
        goodIds.add(n);
      }
    } else {
      changed |= info.removeNode(n);  // never registered (metadata from elsewhere)
    }
  }
  c.counts.blocks++;
  if (live == 1) {
    c.sole[liveIds[0]]++;
  } else if (live == 0) {
    for (auto n : info.nodes) c.sole[n]++;
  }
  if (info.refs == 0) return changed;  // garbage: GC deletes every copy

  uint32_t target = targetOf(c, info);
  if (live == 0) {
    c.counts.missing++;
    c.counts.underReplicated++;
    return changed;
  }
  if (good < target) {
    c.counts.underReplicated++;
    enqueue(Task{good, 0, id, Kind::REPAIR});
    return changed;
  }
  if (good > target) c.counts.overReplicated++;
  if (busy.count(id) == 0) {
    // Trim: every draining copy, then surplus copies on the fullest nodes.
    kj::Vector<uint64_t> victims;
    for (auto n : draining) victims.add(n);
    if (good > target) {
      kj::Vector<std::pair<double, uint64_t>> fullest;
      for (auto n : goodIds) fullest.add(KJ_ASSERT_NONNULL(nodes.find(n)).usedRatio(), n);
      std::stable_sort(fullest.begin(), fullest.end(),
                       [](auto& a, auto& b) { return a.first > b.first; });
      for (uint32_t i = 0; i < good - target; ++i) victims.add(fullest[i].second);
    }
    for (auto v : victims) {
      info.removeNode(v);
      c.deletes.add(v, id);
      counters.trimmedCopies++;
      changed = true;
    }
    // Rebalance: move this block off the fullest node if the emptiest lacks it.
    if (c.moveBudgetCount > 0 && c.moveBudgetBytes > 0 && info.hasNode(c.moveFrom) &&
        !info.hasNode(c.moveTo)) {
      c.moveBudgetCount--;
      c.moveBudgetBytes = info.size >= c.moveBudgetBytes ? 0 : c.moveBudgetBytes - info.size;
      enqueue(Task{UINT32_MAX, 0, id, Kind::MOVE, c.moveFrom, c.moveTo});
    }
  }
  return changed;
}

void ReplicationManager::endCycle(Cycle& c) {
  for (auto& entry : nodes.all()) {
    entry.second.listedBlocks = c.listed[entry.first];
    entry.second.soleCopies = c.sole[entry.first];
  }
  counters.blocks = c.counts.blocks;
  counters.underReplicated = c.counts.underReplicated;
  counters.missing = c.counts.missing;
  counters.overReplicated = c.counts.overReplicated;
  counters.lastScanMs = (timer.now() - c.started) / kj::MILLISECONDS;
  counters.scanCycles++;
}

// ---- copying -----------------------------------------------------------------------

void ReplicationManager::enqueue(Task task) {
  if (busy.count(task.block) != 0 || queue.size() >= config.queueLimit) return;
  task.seq = nextSeq++;
  if (task.kind == Kind::MOVE) movesPending++;
  busy.insert(task.block);
  queue.insert(task);
}

NodeState* ReplicationManager::usableSource(const BlockInfo& info, uint64_t prefer) {
  NodeState* best = nullptr;
  for (auto n : info.nodes) {
    KJ_IF_MAYBE(node, nodes.find(n)) {
      if (!nodes.readable(*node) || node->chunk == nullptr) continue;
      if (node->copiesInFlight >= config.maxCopiesPerNode) continue;
      if (n == prefer) return node;
      // Prefer fully healthy sources, then the least busy.
      bool healthier = best != nullptr &&
          (nodes.health(*node) == wire::NodeHealth::HEALTHY) !=
              (nodes.health(*best) == wire::NodeHealth::HEALTHY);
      if (best == nullptr ||
          (healthier && nodes.health(*node) == wire::NodeHealth::HEALTHY) ||
          (!healthier && node->copiesInFlight < best->copiesInFlight)) {
        best = node;
      }
    }
  }
  return best;
}

void ReplicationManager::pump() {
  // Start what can start; a task whose nodes are all busy waits for a copy to end.
  auto it = queue.begin();
  for (uint32_t examined = 0; inFlight < config.maxCopies && it != queue.end() && examined < 64;
       ++examined) {
    Task task = *it;
    auto next = std::next(it);
    bool drop = false;
    bool started = false;
    KJ_IF_MAYBE(e, kj::runCatchingExceptions([&]() { started = tryStart(task); })) {
      KJ_LOG(ERROR, "replication: cannot start a copy", task.block.hex(), *e);
      drop = true;
    }
    if (started || drop) {
      queue.erase(it);
      if (!started) {
        busy.erase(task.block);
        if (task.kind == Kind::MOVE) movesPending--;
      }
    }
    it = next;
  }
}

// Starts the copy for `task` if its record still needs it and nodes are free. Returns
// true when the task left the queue (started, or no longer needed: then `busy` is
// cleared here); false to keep it queued.
bool ReplicationManager::tryStart(const Task& task) {
  auto done = [&]() {
    busy.erase(task.block);
    if (task.kind == Kind::MOVE) movesPending--;
    return true;
  };
  BlockInfo info;
  KJ_IF_MAYBE(rec, loadBlock(store, task.block)) { info = kj::mv(*rec); } else { return done(); }
  if (info.refs == 0) return done();

  NodeState* target = nullptr;
  if (task.kind == Kind::MOVE) {
    if (!info.hasNode(task.from) || info.hasNode(task.to)) return done();
    KJ_IF_MAYBE(t, nodes.find(task.to)) {
      if (!nodes.writable(*t)) return done();
      if (t->copiesInFlight >= config.maxCopiesPerNode) return false;
      target = t;
    } else {
      return done();
    }
  } else {
    if (goodCopies(info) >= currentTarget(info.volumeId)) return done();
  }
  NodeState* source = usableSource(info, task.from);
  if (source == nullptr) return false;
  if (target == nullptr) {
    // Never onto a node the record names, even a dead one (its copy may come back).
    auto chosen = placement.place(1, info.nodes.asPtr(), 0, /*allowJoining=*/false);
    if (chosen.size() == 0) return done();  // no node can take it now; a later scan retries
    target = &KJ_ASSERT_NONNULL(nodes.find(chosen[0]));
    if (target->copiesInFlight >= config.maxCopiesPerNode) return false;
  }

  // target/source point into NodeRegistry's std::map: stable while nodes are never erased.
  uint64_t src = source->id, dst = target->id, size = info.size;
  source->copiesInFlight++;
  target->copiesInFlight++;
  target->reservedBytes += size;
  inFlight++;
  auto cap = KJ_ASSERT_NONNULL(source->chunk);
  kj::String address = kj::str(target->address);
  copies.add(limiter.acquire(size)
                 .then([this, cap, address = kj::mv(address), task]() mutable {
                   auto req = cap.copyBlockToRequest();
                   task.block.toWire(req.initBlock());
                   req.setTarget(address);
                   return withDeadline(timer, config.copyDeadline, req.send().ignoreResult(),
                                       "copyBlockTo");
                 })
                 .then([this, task, src, dst, size]() { finishCopy(task, src, dst, size, nullptr); },
                       [this, task, src, dst, size](kj::Exception&& e) {
                         finishCopy(task, src, dst, size, kj::mv(e));
                       }));
  return true;
}

void ReplicationManager::finishCopy(const Task& task, uint64_t src, uint64_t dst, uint64_t size,
                                    kj::Maybe<kj::Exception> failure) {
  inFlight--;
  busy.erase(task.block);
  if (task.kind == Kind::MOVE) movesPending--;
  KJ_IF_MAYBE(n, nodes.find(src)) { n->copiesInFlight--; }
  KJ_IF_MAYBE(n, nodes.find(dst)) { n->copiesInFlight--; }
  KJ_IF_MAYBE(e, failure) {
    counters.failedCopies++;
    KJ_LOG(WARNING, "replication copy failed", task.block.hex(), src, dst, e->getDescription());
  } else {
    KJ_IF_MAYBE(e, kj::runCatchingExceptions([&]() {
      KJ_IF_MAYBE(rec, loadBlock(store, task.block)) {
        bool removed = nodes.find(dst) == nullptr ||
                       KJ_ASSERT_NONNULL(nodes.find(dst)).removed;
        if (!removed) {
          rec->addNode(dst);
          nodes.cancelDelete(dst, task.block);  // a surplus copy there may be queued
        }
        bool moved = task.kind == Kind::MOVE && rec->removeNode(task.from);
        WriteBatch batch;
        batch.put(keys::block(task.block), rec->encode());
        store.write(batch);
        if (moved) {
          nodes.queueDelete(task.from, task.block);
          counters.movedBlocks++;
          KJ_IF_MAYBE(n, nodes.find(task.from)) {
            n->usedBytes = n->usedBytes > size ? n->usedBytes - size : 0;
          }
        } else {
          counters.repairedBlocks++;
          counters.repairedBytes += size;
        }
      } else {
        nodes.queueDelete(dst, task.block);  // collected while copying
      }
    })) {
      counters.failedCopies++;
      KJ_LOG(ERROR, "replication: recording a copy failed", task.block.hex(), *e);
    }
  }
  pump();
  if (queue.empty() && inFlight == 0) kick();  // rescan to confirm (or find more work)
}

void ReplicationManager::checkSoon(BlockId block, uint32_t copies) {
  enqueue(Task{copies, 0, block, Kind::REPAIR});
  pump();
}

void ReplicationManager::corruptCopy(uint64_t nodeId, BlockId block) {
  counters.corruptCopies++;
  KJ_IF_MAYBE(rec, loadBlock(store, block)) {
    if (rec->removeNode(nodeId)) {
      WriteBatch batch;
      batch.put(keys::block(block), rec->encode());
      store.write(batch);
    }
  }
  KJ_LOG(WARNING, "chunk server reported a corrupt copy", nodeId, block.hex());
  kick();
}

void ReplicationManager::fillStatus(wire::ReplicationStatus::Builder out) const {
  out.setBlocks(counters.blocks);
  out.setUnderReplicated(counters.underReplicated);
  out.setMissing(counters.missing);
  out.setOverReplicated(counters.overReplicated);
  out.setRepairsInFlight(inFlight);
  out.setRepairQueue(queue.size());
  out.setRepairedBlocks(counters.repairedBlocks);
  out.setRepairedBytes(counters.repairedBytes);
  out.setTrimmedCopies(counters.trimmedCopies);
  out.setMovedBlocks(counters.movedBlocks);
  out.setFailedRepairs(counters.failedCopies);
  out.setScanCycles(counters.scanCycles);
  out.setLastScanMs(counters.lastScanMs);
}

}  // namespace dfs
