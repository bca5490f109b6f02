// NodeRegistry: known chunk servers, their last reported NodeState, health, pending deletes.
//
// Identity (id, address) is persisted as 'N' records; everything else is in memory and
// rebuilt from heartbeats after a master restart. A node known from the store but not
// heard from since this master started is dead until it registers again.
#pragma once

#include "server/master/store/meta_store.h"
#include "common/base/block_id.h"
#include "common/base/clock.h"
#include <common.capnp.h>
#include <kj/timer.h>
#include <map>

namespace dfs {

struct NodeTimeouts {
  kj::Duration suspectAfter = 3 * kj::SECONDS;
  kj::Duration deadAfter = 10 * kj::SECONDS;
};

struct NodeState {
  uint64_t id = 0;
  kj::String address;
  int64_t registeredNs = 0;
  uint64_t capacityBytes = 0;
  uint64_t usedBytes = 0;
  uint64_t blocks = 0;
  uint64_t diskErrors = 0;
  kj::Maybe<kj::TimePoint> lastHeard;   // register or heartbeat since master start
  uint64_t reservedBytes = 0;           // placed on it since its last heartbeat
  kj::Vector<BlockId> pendingDeletes;   // garbage to hand out in heartbeat replies

  uint64_t freeBytes() const {
    uint64_t used = usedBytes + reservedBytes;
    return capacityBytes > used ? capacityBytes - used : 0;
  }
};

class NodeRegistry {
public:
  NodeRegistry(MetaStore& store, Clock& clock, kj::Timer& timer, NodeTimeouts timeouts);

  // Loads the known nodes from the store (all dead until heard from).
  void load();

  // Registers a server: nodeId 0 assigns a new id (persistent counter); a known id gets
  // its address updated. Persists the NodeRecord before returning. Returns the id.
  uint64_t registerNode(uint64_t nodeId, kj::StringPtr address, uint64_t capacityBytes,
                        uint64_t usedBytes);

  // Records a heartbeat from registered node `id` (KJ_REQUIRE it is known).
  void heartbeat(uint64_t id, uint64_t capacityBytes, uint64_t usedBytes, uint64_t blocks,
                 uint64_t diskErrors);

  // Queues `block` for deletion on node `id` (ignored for unknown nodes).
  void queueDelete(uint64_t id, BlockId block);
  // Removes and returns up to `max` queued deletions of node `id`.
  kj::Array<BlockId> takeDeletes(uint64_t id, size_t max);

  wire::NodeHealth health(const NodeState& node) const;
  uint64_t heartbeatAgeMs(const NodeState& node) const;  // UINT64_MAX if never heard
  kj::Maybe<NodeState&> find(uint64_t id);
  std::map<uint64_t, NodeState>& all() { return nodes; }

  // The known nodes among `ids`, healthy first, then suspect, then dead (stable order
  // otherwise). Unknown ids are dropped.
  kj::Vector<const NodeState*> orderReplicas(kj::ArrayPtr<const uint64_t> ids) const;

  void fillStatus(const NodeState& node, wire::NodeStatus::Builder out) const;

private:
  MetaStore& store;
  Clock& clock;
  kj::Timer& timer;
  NodeTimeouts timeouts;
  std::map<uint64_t, NodeState> nodes;
};

}  // namespace dfs
