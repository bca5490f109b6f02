// ReplicationManager: keeps every block at its volume's replica count, without a person.
//
// A scanner walks all block records in cycles (scanBlocks). For each block it counts the
// live copies (on nodes that are not dead or removed) and the good ones (live and not on
// a draining node) against the target (the block's volume's replica count):
//   - good < target, live > 0: under-replicated; queued for a copy, fewest good copies
//     first. A worker copies it from a live node to a node chosen by Placement (never a
//     joining/draining/suspect node) with ChunkServer.copyBlockTo on the source, paced by
//     a bandwidth limit, a few copies at a time, at most a few per node.
//   - live == 0: missing (counted; nothing to copy from until a holder comes back).
//   - good >= target: copies on draining nodes and surplus copies (fullest nodes first)
//     are trimmed: dropped from the record, then deleted on the node via heartbeats.
//   - removed nodes are dropped from every record.
// When the used fraction of writable nodes differs by more than the rebalance threshold,
// a cycle also queues moves (copy, then drop the source copy) from the fullest node to the
// emptiest. A cycle starts every scanInterval, or sooner after kick() (a node changed
// state, a copy was reported corrupt, an admin action) or when a node's state changes.
#pragma once

#include "server/master/nodes/node_registry.h"
#include "server/master/placement/placement.h"
#include "server/master/replication/rate_limiter.h"
#include "server/master/store/block_record.h"
#include "server/master/volumes/volumes.h"
#include <kj/async.h>
#include <set>
#include <unordered_set>

namespace dfs {

struct ReplicationConfig {
  kj::Duration scanInterval = 5 * kj::SECONDS;
  kj::Duration stateCheckInterval = 500 * kj::MILLISECONDS;
  size_t scanPageSize = 4096;
  uint32_t maxCopies = 4;            // concurrent copies in the cluster
  uint32_t maxCopiesPerNode = 2;     // as source or target
  uint64_t bandwidthBytesPerSec = 128ULL << 20;  // 0 = unlimited
  double rebalanceThreshold = 0.10;  // used-fraction spread that triggers moves; 0 = off
  uint32_t rebalanceMovesPerCycle = 64;
  kj::Duration copyDeadline = 60 * kj::SECONDS;
  size_t queueLimit = 100000;
};

struct ReplicationStats {
  // From the last completed scan:
  uint64_t blocks = 0;
  uint64_t underReplicated = 0;
  uint64_t missing = 0;
  uint64_t overReplicated = 0;
  uint64_t lastScanMs = 0;
  uint64_t scanCycles = 0;
  // Since the master started:
  uint64_t repairedBlocks = 0;
  uint64_t repairedBytes = 0;
  uint64_t trimmedCopies = 0;
  uint64_t movedBlocks = 0;
  uint64_t failedCopies = 0;
  uint64_t corruptCopies = 0;  // reported by chunk servers
};

class ReplicationManager {
public:
  ReplicationManager(MetaStore& store, kj::Timer& timer, NodeRegistry& nodes,
                     Placement& placement, Volumes& volumes, uint32_t defaultReplicas,
                     ReplicationConfig config);
  KJ_DISALLOW_COPY(ReplicationManager);

  // Scans and repairs until the promise is dropped.
  kj::Promise<void> run();
  // One full scan (queueing copies, trimming); copies continue in the background. For
  // tests and tools; run() calls it in a loop.
  kj::Promise<void> scanOnce();

  // Something changed that may need repair: start a scan soon.
  void kick();

  // `block` was just committed with `copies` copies, fewer than its target: queue its
  // completion now (the copy re-checks the record, so a spurious call costs nothing).
  void checkSoon(BlockId block, uint32_t copies);

  // Node `nodeId` found its copy of `block` corrupt and removed it: forget that copy
  // (the block becomes under-replicated and is repaired from a good copy).
  void corruptCopy(uint64_t nodeId, BlockId block);

  // Whether a copy of `block` is queued or being made (a report must not delete it).
  bool copying(BlockId block) const { return busy.count(block) != 0; }

  const ReplicationStats& stats() const { return counters; }
  uint32_t copiesInFlight() const { return inFlight; }
  size_t queued() const { return queue.size(); }
  void fillStatus(wire::ReplicationStatus::Builder out) const;

private:
  enum class Kind { REPAIR, MOVE };
  struct Task {
    uint32_t priority;  // good copies (repairs); moves come after every repair
    uint64_t seq;
    BlockId block;
    Kind kind;
    uint64_t from = 0;  // moves: the node to empty
    uint64_t to = 0;    // moves: the node to fill
    bool operator<(const Task& o) const {
      return priority != o.priority ? priority < o.priority : seq < o.seq;
    }
  };
  // Per-cycle accumulators.
  struct Cycle {
    kj::TimePoint started = kj::origin<kj::TimePoint>();
    ReplicationStats counts;
    std::map<uint64_t, uint32_t> targets;  // volume id -> replicas
    std::map<uint64_t, uint64_t> listed, sole;
    kj::Vector<std::pair<uint64_t, BlockId>> deletes;  // trims to queue after the write
    uint64_t moveFrom = 0, moveTo = 0;
    uint64_t moveBudgetBytes = 0;
    uint32_t moveBudgetCount = 0;
  };

  MetaStore& store;
  kj::Timer& timer;
  NodeRegistry& nodes;
  Placement& placement;
  Volumes& volumes;
  uint32_t defaultReplicas;
  ReplicationConfig config;
  RateLimiter limiter;
  ReplicationStats counters;
  std::set<Task> queue;
  std::unordered_set<BlockId, BlockIdHash> busy;  // queued or being copied
  uint32_t inFlight = 0;
  uint32_t movesPending = 0;
  uint64_t nextSeq = 0;
  bool kicked = false;
  kj::Maybe<kj::Own<kj::PromiseFulfiller<void>>> wake;
  kj::Vector<std::pair<uint64_t, wire::NodeState>> lastStates;
  class ErrorHandler final : public kj::TaskSet::ErrorHandler {
  public:
    void taskFailed(kj::Exception&& exception) override;
  };
  ErrorHandler errorHandler;
  kj::TaskSet copies;  // last: destroyed (cancelled) first

  kj::Promise<void> waitForReason();
  kj::Promise<void> pollStates(kj::TimePoint deadline);
  bool nodeStatesChanged();
  void beginCycle(Cycle& c);
  bool visit(Cycle& c, BlockId id, BlockInfo& info);
  void endCycle(Cycle& c);
  uint32_t targetOf(const Cycle& c, const BlockInfo& info) const;  // the cycle's snapshot
  uint32_t currentTarget(uint64_t volumeId);        // the volume's count right now
  uint32_t goodCopies(const BlockInfo& info);       // copies on live, non-draining nodes
  void enqueue(Task task);
  void pump();
  bool tryStart(const Task& task);
  void finishCopy(const Task& task, uint64_t src, uint64_t dst, uint64_t size,
                  kj::Maybe<kj::Exception> failure);
  NodeState* usableSource(const BlockInfo& info, uint64_t prefer);
};

}  // namespace dfs
