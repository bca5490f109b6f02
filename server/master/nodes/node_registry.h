// NodeRegistry: known chunk servers, their last reported NodeState, health, pending deletes.
//
// Identity (id, address) and the admin flags (draining, removed) are persisted as 'N'
// records; everything else is in memory and rebuilt from registrations, block reports and
// heartbeats after a master restart. A node known from the store but not heard from since
// this master started is dead until it registers again.
//
// States (wire::NodeState): removed (admin) > dead (silent past deadAfter) > draining
// (admin) > joining (registered, block report not reconciled yet) > suspect (heartbeat
// late) > healthy. Only healthy nodes take new copies (joining ones as a last resort for
// client writes, never for repairs); every node that is not dead or removed is read from.
#pragma once

#include <unordered_set>

#include "server/master/store/meta_store.h"
#include "common/base/block_id.h"
#include "common/base/clock.h"
#include <chunk.capnp.h>
#include <common.capnp.h>
#include <master.capnp.h>
#include <kj/timer.h>
#include <map>

namespace dfs {

struct NodeTimeouts {
  kj::Duration suspectAfter = 3 * kj::SECONDS;
  kj::Duration deadAfter = 10 * kj::SECONDS;
};

struct NodeLoadInfo {
  uint32_t requestsInFlight = 0;
  uint64_t readBytesPerSec = 0;
  uint64_t writeBytesPerSec = 0;
  uint64_t avgLatencyUs = 0;
  uint64_t requestsPerSec = 0;
};

struct DataDirInfo {
  kj::String path;
  uint64_t capacityBytes = 0;
  uint64_t usedBytes = 0;
  uint64_t freeBytes = 0;
  uint64_t errors = 0;
};

struct NodeState {
  uint64_t id = 0;
  kj::String address;
  int64_t registeredNs = 0;
  bool draining = false;                // admin flags, persisted
  bool removed = false;
  bool joining = false;                 // registered, block report not reconciled yet
  uint64_t capacityBytes = 0;
  uint64_t usedBytes = 0;
  uint64_t blocks = 0;
  uint64_t diskErrors = 0;
  uint64_t checksumErrors = 0;
  NodeLoadInfo load;
  kj::Vector<DataDirInfo> dataDirs;
  kj::Maybe<kj::TimePoint> lastHeard;   // register or heartbeat since master start
  uint64_t reservedBytes = 0;           // placed on it since its last heartbeat
  kj::Vector<BlockId> pendingDeletes;   // garbage to hand out in heartbeat replies
  // Queued deletions called off (cancelDelete): skipped when handed out; emptied with
  // pendingDeletes.
  std::unordered_set<BlockId, BlockIdHash> cancelledDeletes;
  kj::Maybe<wire::ChunkServer::Client> chunk;  // its ChunkServer, over its registration
  uint64_t registration = 0;            // bumped on every registration (stale sessions)
  uint32_t copiesInFlight = 0;          // replication copies it is source or target of
  // Filled by the replication manager's scan of block records:
  uint64_t listedBlocks = 0;            // records naming it
  uint64_t soleCopies = 0;              // blocks no other live node holds a copy of

  uint64_t freeBytes() const {
    uint64_t used = usedBytes + reservedBytes;
    return capacityBytes > used ? capacityBytes - used : 0;
  }
  // Fraction of capacity in use (0 when capacity is unknown).
  double usedRatio() const {
    return capacityBytes == 0 ? 0.0
                              : static_cast<double>(usedBytes + reservedBytes) / capacityBytes;
  }
};

class NodeRegistry {
public:
  NodeRegistry(MetaStore& store, Clock& clock, kj::Timer& timer, NodeTimeouts timeouts);

  // Loads the known nodes from the store (all dead until heard from).
  void load();

  // Registers a server: nodeId 0 assigns a new id (persistent counter); a known id gets
  // its address updated. Persists the NodeRecord before returning. Returns the id. The
  // node is joining until endJoining(). Throws FAILED for a removed node.
  uint64_t registerNode(uint64_t nodeId, kj::StringPtr address, uint64_t capacityBytes,
                        uint64_t usedBytes,
                        kj::Maybe<wire::ChunkServer::Client> chunk = nullptr);
  void endJoining(uint64_t id);

  // Records a heartbeat from registered node `id` (KJ_REQUIRE it is known): space, load,
  // data dirs. (Corrupt copies it lists are the replication manager's business.)
  void heartbeat(uint64_t id, uint64_t capacityBytes, uint64_t usedBytes, uint64_t blocks,
                 uint64_t diskErrors);
  void heartbeat(uint64_t id, wire::NodeSession::HeartbeatParams::Reader report);

  // Admin flags, persisted. Unknown ids: ENOENT. setRemoved also forgets its pending
  // deletes and its ChunkServer capability. Return 0 or an errno value.
  int setDraining(uint64_t id, bool draining);
  int setRemoved(uint64_t id);

  // Queues `block` for deletion on node `id` (ignored for unknown nodes).
  void queueDelete(uint64_t id, BlockId block);
  // Drops a queued deletion of `block` on node `id` (its copy there is now recorded: a
  // surplus copy the master has just copied to again, or a commit slower than the
  // report grace). A deletion already handed out is not recalled; the node's next block
  // report then drops the copy from the record.
  void cancelDelete(uint64_t id, BlockId block);
  // Removes and returns up to `max` queued deletions of node `id`.
  kj::Array<BlockId> takeDeletes(uint64_t id, size_t max);

  wire::NodeHealth health(const NodeState& node) const;
  wire::NodeState state(const NodeState& node) const;
  // May hold new copies (healthy, not draining/joining/removed).
  bool writable(const NodeState& node) const { return state(node) == wire::NodeState::HEALTHY; }
  // Its copies count as live (not dead, not removed).
  bool readable(const NodeState& node) const;
  bool readable(uint64_t id) const;
  uint64_t heartbeatAgeMs(const NodeState& node) const;  // UINT64_MAX if never heard
  kj::Maybe<NodeState&> find(uint64_t id);
  std::map<uint64_t, NodeState>& all() { return nodes; }

  // The known nodes among `ids` to read from, best first: healthy, draining and joining
  // ones (least loaded first), then suspect, then dead. Unknown and removed ids are
  // dropped.
  kj::Vector<const NodeState*> orderReplicas(kj::ArrayPtr<const uint64_t> ids) const;

  void fillStatus(const NodeState& node, wire::NodeStatus::Builder out) const;

private:
  MetaStore& store;
  Clock& clock;
  kj::Timer& timer;
  NodeTimeouts timeouts;
  std::map<uint64_t, NodeState> nodes;
  void persist(const NodeState& node, WriteBatch& batch);
  void persist(const NodeState& node);
};

}  // namespace dfs
