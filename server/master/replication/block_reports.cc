// BlockReports: per-entry checks of report pages and the lost-copy walk after the last.
#include "server/master/replication/block_reports.h"
#include "server/master/replication/block_scan.h"
#include "server/master/store/keys.h"
#include "common/base/limits.h"
#include <kj/debug.h>

namespace dfs {

// Blocks committed this shortly before a report started may be missing from its
// snapshot without being lost.
static constexpr int64_t kReportSlackNs = 5'000'000'000LL;
static constexpr size_t kMaxPageEntries = 16384;
static constexpr size_t kReconcilePageSize = 4096;

BlockReports::BlockReports(MetaStore& store, Clock& clock, NodeRegistry& nodes,
                           ReplicationManager& replication, int64_t graceNs)
    : store(store), clock(clock), nodes(nodes), replication(replication), grace(graceNs),
      reconciles(errorHandler) {}

void BlockReports::ErrorHandler::taskFailed(kj::Exception&& exception) {
  KJ_LOG(ERROR, "block report reconciliation failed", exception);
}

void BlockReports::page(uint64_t nodeId, capnp::List<wire::BlockReportEntry>::Reader entries,
                        bool last) {
  KJ_REQUIRE(entries.size() <= kMaxPageEntries, "reportBlocks: page too large", entries.size());
  NodeState& node = KJ_REQUIRE_NONNULL(nodes.find(nodeId), "reportBlocks from an unknown node");
  KJ_REQUIRE(!node.removed, "reportBlocks from a removed node");
  auto& report = open[nodeId];
  if (report.registration != node.registration || report.startedNs == 0) {
    report = Report{node.registration, clock.nowNs(), {}};
  }
  WriteBatch batch;
  kj::Vector<BlockId> doomed;
  for (auto e : entries) {
    BlockId id = BlockId::fromWire(e.getBlock());
    counters.entries++;
    report.seen.insert(id);
    bool oldEnough = e.getAgeMs() >= static_cast<uint64_t>(grace / 1'000'000);
    KJ_IF_MAYBE(rec, loadBlock(store, id)) {
      if (rec->hasNode(nodeId)) {
        if (e.getSize() != rec->size) {
          rec->removeNode(nodeId);
          batch.put(keys::block(id), rec->encode());
          doomed.add(id);
          counters.badCopies++;
          KJ_LOG(WARNING, "reported copy has the wrong size", nodeId, id.hex(), e.getSize(),
                 rec->size);
        }
      } else if (oldEnough && !replication.copying(id)) {
        doomed.add(id);
        counters.surplusDeleted++;
      }
    } else if (oldEnough) {
      doomed.add(id);
      counters.unknownDeleted++;
    }
  }
  if (!batch.empty()) store.write(batch);
  for (auto& id : doomed) nodes.queueDelete(nodeId, id);
  if (!doomed.empty()) replication.kick();
  if (last) {
    auto done = kj::mv(report);
    open.erase(nodeId);
    reconciles.add(reconcile(nodeId, kj::mv(done)));
  }
}

kj::Promise<void> BlockReports::reconcile(uint64_t nodeId, Report report) {
  auto owned = kj::heap<Report>(kj::mv(report));
  Report* r = owned.get();
  auto lost = kj::heap<uint64_t>(0);
  uint64_t* lostCount = lost.get();
  int64_t cutoff = r->startedNs - kReportSlackNs;
  return scanBlocks(
             store, kReconcilePageSize,
             [this, nodeId, r, cutoff, lostCount](BlockId id, BlockInfo& info) {
               KJ_IF_MAYBE(node, nodes.find(nodeId)) {
                 if (node->registration != r->registration) return false;  // re-registered
               }
               if (!info.hasNode(nodeId) || r->seen.count(id) != 0) return false;
               if (info.createdNs >= cutoff) return false;
               info.removeNode(nodeId);
               ++*lostCount;
               return true;
             },
             []() {})
      .then([this, nodeId, r, lostCount]() {
        counters.lostCopies += *lostCount;
        counters.reports++;
        if (*lostCount > 0) {
          KJ_LOG(WARNING, "chunk server lost copies the master expected", nodeId, *lostCount);
        }
        KJ_IF_MAYBE(node, nodes.find(nodeId)) {
          if (node->registration == r->registration) nodes.endJoining(nodeId);
        }
        replication.kick();
      })
      .attach(kj::mv(owned), kj::mv(lost));
}

}  // namespace dfs
