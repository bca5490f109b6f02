// BlockReports: reconciles each chunk server's block list with the master's block records.
//
// A chunk server sends its whole list after registering, and periodically (pages of
// NodeSession.reportBlocks). Per reported copy:
//   - unknown block (never committed, or collected since): deleted on the node once it is
//     at least `graceNs` old (younger ones may still be waiting for their commit);
//   - known block whose record does not name the node (trimmed, or a copy whose
//     recording was lost): surplus, deleted likewise once older than the grace and not
//     being copied right now; it is never added back (the master may have told the node
//     to delete it already);
//   - size differs from the record: a bad copy: dropped from the record and deleted.
// After the last page, a walk over all records drops the node from records of blocks it
// did not report (lost copies; only blocks committed before the report started), then
// the node stops joining and the replication manager rescans.
#pragma once

#include "server/master/nodes/node_registry.h"
#include "server/master/replication/replication_manager.h"
#include <kj/async.h>
#include <map>
#include <unordered_set>

namespace dfs {

struct BlockReportStats {
  uint64_t reports = 0;         // completed (last page reconciled)
  uint64_t entries = 0;
  uint64_t unknownDeleted = 0;
  uint64_t surplusDeleted = 0;
  uint64_t badCopies = 0;       // size mismatch
  uint64_t lostCopies = 0;      // named by a record, not reported
};

class BlockReports {
public:
  BlockReports(MetaStore& store, Clock& clock, NodeRegistry& nodes,
               ReplicationManager& replication, int64_t graceNs);
  KJ_DISALLOW_COPY(BlockReports);

  // A page of node `nodeId`'s report. Pages after a new registration start a new report.
  void page(uint64_t nodeId, capnp::List<wire::BlockReportEntry>::Reader entries, bool last);

  const BlockReportStats& stats() const { return counters; }
  int64_t graceNs() const { return grace; }

private:
  struct Report {
    uint64_t registration = 0;
    int64_t startedNs = 0;
    std::unordered_set<BlockId, BlockIdHash> seen;
  };
  MetaStore& store;
  Clock& clock;
  NodeRegistry& nodes;
  ReplicationManager& replication;
  int64_t grace;
  BlockReportStats counters;
  std::map<uint64_t, Report> open;  // by node id

  class ErrorHandler final : public kj::TaskSet::ErrorHandler {
  public:
    void taskFailed(kj::Exception&& exception) override;
  };
  ErrorHandler errorHandler;
  kj::TaskSet reconciles;  // last: destroyed (cancelled) first

  kj::Promise<void> reconcile(uint64_t nodeId, Report report);
};

}  // namespace dfs
