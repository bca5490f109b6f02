// NodeRegistry: registration ('N' records), heartbeats, health, deletion queues.
#include "server/master/nodes/node_registry.h"
#include "server/master/store/keys.h"
#include "server/master/store/records.h"
#include "common/rpc/rpc.h"
#include <kj/debug.h>
#include <algorithm>
#include <cerrno>

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
    node.draining = r.getDraining();
    node.removed = r.getRemoved();
    nodes.erase(node.id);
    nodes.emplace(node.id, kj::mv(node));
  }
}

void NodeRegistry::persist(const NodeState& node, WriteBatch& batch) {
  capnp::MallocMessageBuilder msg;
  auto rec = msg.initRoot<meta::NodeRecord>();
  rec.setNodeId(node.id);
  rec.setAddress(node.address);
  rec.setRegisteredNs(node.registeredNs);
  rec.setDraining(node.draining);
  rec.setRemoved(node.removed);
  batch.put(keys::node(node.id), encodeRecord<meta::NodeRecord>(msg));
}

void NodeRegistry::persist(const NodeState& node) {
  WriteBatch batch;
  persist(node, batch);
  store.write(batch);
}

uint64_t NodeRegistry::registerNode(uint64_t nodeId, kj::StringPtr address,
                                    uint64_t capacityBytes, uint64_t usedBytes,
                                    kj::Maybe<wire::ChunkServer::Client> chunk) {
  kj::String host;
  unsigned port;
  KJ_REQUIRE(splitHostPort(address, host, port) && port != 0,
             "registerNode: address must be host:port", address);
  KJ_REQUIRE(address.size() <= 256, "registerNode: address too long");
  KJ_REQUIRE(nodeId < (uint64_t(1) << 62), "registerNode: nodeId out of range", nodeId);
  auto existing = nodes.find(nodeId);
  if (nodeId != 0 && existing != nodes.end() && existing->second.removed) {
    KJ_FAIL_REQUIRE(
        "this node was removed from the cluster by an admin; to join again as a new node, "
        "delete the node-id file in its data directory",
        nodeId);
  }

  WriteBatch batch;
  uint64_t next = getCounter(store, kNextNode, 1);
  if (nodeId == 0) {
    nodeId = next;
    putCounter(batch, kNextNode, next + 1);
  } else if (nodeId >= next) {
    putCounter(batch, kNextNode, nodeId + 1);  // an id from before a metadata reset
  }
  int64_t now = clock.nowNs();
  NodeState& node = nodes[nodeId];
  if (node.id == 0) node.registeredNs = now;  // first time this master sees it
  node.id = nodeId;
  node.address = kj::str(address);
  persist(node, batch);
  store.write(batch);

  node.capacityBytes = capacityBytes;
  node.usedBytes = usedBytes;
  node.reservedBytes = 0;
  node.lastHeard = timer.now();
  node.joining = true;
  node.chunk = kj::mv(chunk);
  node.registration++;
  KJ_LOG(INFO, "chunk server registered", nodeId, address);
  return nodeId;
}

void NodeRegistry::endJoining(uint64_t id) {
  auto it = nodes.find(id);
  if (it == nodes.end() || !it->second.joining) return;
  it->second.joining = false;
  KJ_LOG(INFO, "chunk server joined: block report reconciled", id);
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

void NodeRegistry::heartbeat(uint64_t id, wire::NodeSession::HeartbeatParams::Reader report) {
  heartbeat(id, report.getCapacityBytes(), report.getUsedBytes(), report.getBlocks(),
            report.getDiskErrors());
  auto& node = nodes.find(id)->second;
  auto load = report.getLoad();
  node.load.requestsInFlight = load.getRequestsInFlight();
  node.load.readBytesPerSec = load.getReadBytesPerSec();
  node.load.writeBytesPerSec = load.getWriteBytesPerSec();
  node.load.avgLatencyUs = load.getAvgLatencyUs();
  node.load.requestsPerSec = load.getRequestsPerSec();
  node.checksumErrors = report.getChecksumErrors();
  auto dirs = report.getDataDirs();
  KJ_REQUIRE(dirs.size() <= 256, "heartbeat: too many data dirs", dirs.size());
  node.dataDirs.clear();
  for (auto d : dirs) {
    KJ_REQUIRE(d.getPath().size() <= 4096, "heartbeat: data dir path too long");
    node.dataDirs.add(DataDirInfo{kj::str(d.getPath()), d.getCapacityBytes(), d.getUsedBytes(),
                                  d.getFreeBytes(), d.getErrors()});
  }
}

int NodeRegistry::setDraining(uint64_t id, bool draining) {
  auto it = nodes.find(id);
  if (it == nodes.end() || it->second.removed) return ENOENT;
  if (it->second.draining == draining) return 0;
  it->second.draining = draining;
  persist(it->second);
  KJ_LOG(INFO, draining ? "chunk server draining" : "chunk server no longer draining", id);
  return 0;
}

int NodeRegistry::setRemoved(uint64_t id) {
  auto it = nodes.find(id);
  if (it == nodes.end() || it->second.removed) return ENOENT;
  auto& node = it->second;
  node.removed = true;
  node.pendingDeletes.clear();
  node.cancelledDeletes.clear();
  node.chunk = nullptr;
  persist(node);
  KJ_LOG(INFO, "chunk server removed", id);
  return 0;
}

void NodeRegistry::queueDelete(uint64_t id, BlockId block) {
  auto it = nodes.find(id);
  if (it == nodes.end()) return;
  it->second.pendingDeletes.add(block);
  it->second.cancelledDeletes.erase(block);  // wanted gone again
}

void NodeRegistry::cancelDelete(uint64_t id, BlockId block) {
  auto it = nodes.find(id);
  if (it == nodes.end() || it->second.pendingDeletes.empty()) return;
  it->second.cancelledDeletes.insert(block);  // O(1): the queue may hold millions
}

kj::Array<BlockId> NodeRegistry::takeDeletes(uint64_t id, size_t max) {
  auto it = nodes.find(id);
  if (it == nodes.end()) return nullptr;
  auto& pending = it->second.pendingDeletes;
  auto& cancelled = it->second.cancelledDeletes;
  kj::Vector<BlockId> out;
  size_t i = 0;
  for (; i < pending.size() && out.size() < max; ++i) {
    if (cancelled.count(pending[i]) == 0) out.add(pending[i]);
  }
  kj::Vector<BlockId> rest(pending.size() - i);
  for (; i < pending.size(); ++i) rest.add(pending[i]);
  pending = kj::mv(rest);
  if (pending.empty()) cancelled.clear();
  return out.releaseAsArray();
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

wire::NodeState NodeRegistry::state(const NodeState& node) const {
  if (node.removed) return wire::NodeState::REMOVED;
  auto h = health(node);
  if (h == wire::NodeHealth::DEAD) return wire::NodeState::DEAD;
  if (node.draining) return wire::NodeState::DRAINING;
  if (node.joining) return wire::NodeState::JOINING;
  if (h == wire::NodeHealth::SUSPECT) return wire::NodeState::SUSPECT;
  return wire::NodeState::HEALTHY;
}

bool NodeRegistry::readable(const NodeState& node) const {
  return !node.removed && health(node) != wire::NodeHealth::DEAD;
}

bool NodeRegistry::readable(uint64_t id) const {
  auto it = nodes.find(id);
  return it != nodes.end() && readable(it->second);
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
  // Rank: 0 = fully up (healthy, draining, joining), 1 = suspect, 2 = dead.
  auto rank = [this](const NodeState& n) {
    auto h = health(n);
    return h == wire::NodeHealth::HEALTHY ? 0 : h == wire::NodeHealth::SUSPECT ? 1 : 2;
  };
  // Load: requests in flight dominate; the latency average breaks ties.
  auto load = [](const NodeState& n) {
    return std::make_pair(n.load.requestsInFlight, n.load.avgLatencyUs);
  };
  kj::Vector<const NodeState*> out(ids.size());
  for (auto id : ids) {
    auto it = nodes.find(id);
    if (it != nodes.end() && !it->second.removed) out.add(&it->second);
  }
  std::stable_sort(out.begin(), out.end(), [&](const NodeState* a, const NodeState* b) {
    int ra = rank(*a), rb = rank(*b);
    if (ra != rb) return ra < rb;
    return load(*a) < load(*b);
  });
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
  out.setState(state(node));
  out.setDraining(node.draining);
  auto load = out.initLoad();
  load.setRequestsInFlight(node.load.requestsInFlight);
  load.setReadBytesPerSec(node.load.readBytesPerSec);
  load.setWriteBytesPerSec(node.load.writeBytesPerSec);
  load.setAvgLatencyUs(node.load.avgLatencyUs);
  load.setRequestsPerSec(node.load.requestsPerSec);
  auto dirs = out.initDataDirs(node.dataDirs.size());
  for (uint i = 0; i < node.dataDirs.size(); ++i) {
    auto& d = node.dataDirs[i];
    dirs[i].setPath(d.path);
    dirs[i].setCapacityBytes(d.capacityBytes);
    dirs[i].setUsedBytes(d.usedBytes);
    dirs[i].setFreeBytes(d.freeBytes);
    dirs[i].setErrors(d.errors);
  }
  out.setListedBlocks(node.listedBlocks);
  out.setChecksumErrors(node.checksumErrors);
}

}  // namespace dfs
