// NodeRegistry: registration ('N' records), heartbeats, health, deletion queues.
#include "server/master/nodes/node_registry.h"
#include "server/master/store/keys.h"
#include "server/master/store/records.h"
#include "common/rpc/rpc.h"
#include <kj/debug.h>

namespace dfs {

static constexpr kj::StringPtr kNextNode = "next_node"_kj;

NodeRegistry::NodeRegistry(MetaStore& store, Clock& clock, kj::Timer& timer,
                           NodeTimeouts timeouts)
    : store(store), clock(clock), timer(timer), timeouts(timeouts) {}

void NodeRegistry::load() {
  auto prefix = keys::nodePrefix();
  auto it = store.newIterator();
  for (it->seek(prefix); it->valid() && keys::hasPrefix(it->key(), prefix); it->next()) {
    Record<meta::NodeRecord> rec(it->value());
    auto r = rec.get();
    NodeState node;
    node.id = r.getNodeId();
    node.address = kj::str(r.getAddress());
    node.registeredNs = r.getRegisteredNs();
    nodes.erase(node.id);
    nodes.emplace(node.id, kj::mv(node));
  }
}

uint64_t NodeRegistry::registerNode(uint64_t nodeId, kj::StringPtr address,
                                    uint64_t capacityBytes, uint64_t usedBytes) {
  kj::String host;
  unsigned port;
  KJ_REQUIRE(splitHostPort(address, host, port) && port != 0,
             "registerNode: address must be host:port", address);
  KJ_REQUIRE(address.size() <= 256, "registerNode: address too long");
  KJ_REQUIRE(nodeId < (uint64_t(1) << 62), "registerNode: nodeId out of range", nodeId);

  WriteBatch batch;
  uint64_t next = getCounter(store, kNextNode, 1);
  if (nodeId == 0) {
    nodeId = next;
    putCounter(batch, kNextNode, next + 1);
  } else if (nodeId >= next) {
    putCounter(batch, kNextNode, nodeId + 1);  // an id from before a metadata reset
  }
  int64_t now = clock.nowNs();
  auto existing = nodes.find(nodeId);
  int64_t registeredNs = existing != nodes.end() ? existing->second.registeredNs : now;
  capnp::MallocMessageBuilder msg;
  auto rec = msg.initRoot<meta::NodeRecord>();
  rec.setNodeId(nodeId);
  rec.setAddress(address);
  rec.setRegisteredNs(registeredNs);
  batch.put(keys::node(nodeId), encodeRecord<meta::NodeRecord>(msg));
  store.write(batch);

  NodeState& node = nodes[nodeId];
  node.id = nodeId;
  node.address = kj::str(address);
  node.registeredNs = registeredNs;
  node.capacityBytes = capacityBytes;
  node.usedBytes = usedBytes;
  node.reservedBytes = 0;
  node.lastHeard = timer.now();
  KJ_LOG(INFO, "chunk server registered", nodeId, address);
  return nodeId;
}

void NodeRegistry::heartbeat(uint64_t id, uint64_t capacityBytes, uint64_t usedBytes,
                             uint64_t blocks, uint64_t diskErrors) {
  auto it = nodes.find(id);
  KJ_REQUIRE(it != nodes.end(), "heartbeat from an unknown node", id);
  auto& node = it->second;
  node.capacityBytes = capacityBytes;
  node.usedBytes = usedBytes;
  node.blocks = blocks;
  node.diskErrors = diskErrors;
  node.reservedBytes = 0;
  node.lastHeard = timer.now();
}

void NodeRegistry::queueDelete(uint64_t id, BlockId block) {
  auto it = nodes.find(id);
  if (it == nodes.end()) return;
  it->second.pendingDeletes.add(block);
}

kj::Array<BlockId> NodeRegistry::takeDeletes(uint64_t id, size_t max) {
  auto it = nodes.find(id);
  if (it == nodes.end()) return nullptr;
  auto& pending = it->second.pendingDeletes;
  size_t n = kj::min(max, pending.size());
  auto out = kj::heapArray<BlockId>(pending.begin(), n);
  kj::Vector<BlockId> rest(pending.size() - n);
  for (size_t i = n; i < pending.size(); ++i) rest.add(pending[i]);
  pending = kj::mv(rest);
  return out;
}

wire::NodeHealth NodeRegistry::health(const NodeState& node) const {
  KJ_IF_MAYBE(heard, node.lastHeard) {
    auto age = timer.now() - *heard;
    if (age >= timeouts.deadAfter) return wire::NodeHealth::DEAD;
    if (age >= timeouts.suspectAfter) return wire::NodeHealth::SUSPECT;
    return wire::NodeHealth::HEALTHY;
  }
  return wire::NodeHealth::DEAD;
}

uint64_t NodeRegistry::heartbeatAgeMs(const NodeState& node) const {
  KJ_IF_MAYBE(heard, node.lastHeard) {
    return (timer.now() - *heard) / kj::MILLISECONDS;
  }
  return UINT64_MAX;
}

kj::Maybe<NodeState&> NodeRegistry::find(uint64_t id) {
  auto it = nodes.find(id);
  if (it == nodes.end()) return nullptr;
  return it->second;
}

kj::Vector<const NodeState*> NodeRegistry::orderReplicas(kj::ArrayPtr<const uint64_t> ids) const {
  kj::Vector<const NodeState*> out(ids.size());
  for (auto h : {wire::NodeHealth::HEALTHY, wire::NodeHealth::SUSPECT, wire::NodeHealth::DEAD}) {
    for (auto id : ids) {
      auto it = nodes.find(id);
      if (it != nodes.end() && health(it->second) == h) out.add(&it->second);
    }
  }
  return out;
}

void NodeRegistry::fillStatus(const NodeState& node, wire::NodeStatus::Builder out) const {
  out.setNodeId(node.id);
  out.setAddress(node.address);
  out.setHealth(health(node));
  out.setCapacityBytes(node.capacityBytes);
  out.setUsedBytes(node.usedBytes);
  out.setFreeBytes(node.capacityBytes > node.usedBytes ? node.capacityBytes - node.usedBytes : 0);
  out.setBlocks(node.blocks);
  out.setLastHeartbeatAgeMs(heartbeatAgeMs(node));
  out.setDiskErrors(node.diskErrors);
}

}  // namespace dfs
