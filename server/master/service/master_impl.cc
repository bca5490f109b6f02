// Master bootstrap, admin and chunk-server session RPCs.
#include "server/master/service/master_impl.h"
#include "server/master/service/master_metrics.h"
#include "server/master/service/session_impl.h"
#include <cerrno>
#include <kj/debug.h>

namespace dfs {

static constexpr size_t kMaxDeletesPerHeartbeat = 10000;

kj::Promise<void> MasterImpl::mount(MountContext context) {
  RpcScope rpcScope(core.rpcMetrics, RpcMethod::MOUNT);
  auto p = context.getParams();
  KJ_REQUIRE(p.getClientName().size() <= 256, "clientName too long");
  auto results = context.getResults();
  KJ_IF_MAYBE(volume, core.volumes.find(p.getVolume())) {
    auto level = p.getChooseConsistency() ? p.getConsistency() : volume->consistency;
    KJ_REQUIRE(static_cast<uint16_t>(level) <= static_cast<uint16_t>(wire::Consistency::EVENTUAL),
               "mount: unknown consistency level");
    core.volumes.toWire(*volume, results.initVolume());
    results.setConsistency(level);
    // Quorum and eventual mounts cache names and attributes until the master invalidates
    // them (waiting for quorum mounts only; eventual ones also bound them by their cache
    // times); strong mounts cache nothing.
    kj::Maybe<wire::CacheClient::Client> cacheClient;
    if (level != wire::Consistency::STRONG && p.hasCacheClient()) {
      cacheClient = p.getCacheClient();
      results.setInvalidates(true);
    }
    if (p.getReplacesBoot() == core.boot && p.getReplacesSession() != 0) {
      // The client's earlier session of this run is dead to it (its connection dropped,
      // or it gave up on a call): its locks go now, before the new session reclaims them,
      // even if the old connection's end has not reached us yet.
      core.locks.releaseSession(p.getReplacesSession());
      core.leases.ended(p.getReplacesSession());  // not recalled: that connection is dead
      // Its requests still on the way (sent before the client gave up on them) must not
      // apply after the new session's: a late commit would undo newer data.
      core.sessions.supersede(p.getReplacesSession());
    }
    auto session = kj::heap<SessionImpl>(core, kj::mv(*volume), p.getClientName(), level,
                                         kj::mv(cacheClient));
    if (core.lockGrace.active() &&
        core.lockHolders.returning(session->id(), p.getReplacesBoot(), p.getReplacesSession(),
                                   p.getReclaims())) {
      core.checkLockGrace();
    }
    results.setBoot(core.boot);
    results.setInlineMax(core.config.inlineMax);
    results.setSessionId(session->id());
    results.setLockGraceMs(static_cast<uint64_t>(core.lockGrace.remaining() / kj::MILLISECONDS));
    results.setSession(kj::mv(session));
    results.setErr(0);
  } else {
    results.setErr(ENOENT);
  }
  return kj::READY_NOW;
}

kj::Promise<void> MasterImpl::admin(AdminContext context) {
  context.getResults().setAdmin(kj::heap<AdminImpl>(core));
  return kj::READY_NOW;
}

kj::Promise<void> MasterImpl::registerNode(RegisterNodeContext context) {
  RpcScope rpcScope(core.rpcMetrics, RpcMethod::REGISTER_NODE);
  auto p = context.getParams();
  kj::Maybe<wire::ChunkServer::Client> chunk;
  if (p.hasChunk()) chunk = p.getChunk();
  uint64_t id = core.nodes.registerNode(p.getNodeId(), p.getAddress(), p.getCapacityBytes(),
                                        p.getUsedBytes(), kj::mv(chunk));
  auto results = context.getResults();
  results.setNodeId(id);
  auto& node = KJ_ASSERT_NONNULL(core.nodes.find(id));
  results.setNode(kj::heap<NodeSessionImpl>(core, id, node.registration));
  results.setReportGraceMs(static_cast<uint64_t>(core.reports.graceNs() / 1'000'000));
  core.replication.kick();
  return kj::READY_NOW;
}

kj::Promise<void> AdminImpl::status(StatusContext context) {
  auto results = context.getResults();
  auto& nodes = core.nodes.all();
  auto nodeList = results.initNodes(nodes.size());
  uint i = 0;
  for (auto& entry : nodes) core.nodes.fillStatus(entry.second, nodeList[i++]);

  auto volumes = core.volumes.list();
  auto volumeList = results.initVolumes(volumes.size());
  for (i = 0; i < volumes.size(); ++i) core.volumes.toWire(volumes[i], volumeList[i]);

  core.replication.fillStatus(results.initReplication());

  auto& mounts = core.sessions.all();
  auto mountList = results.initMounts(mounts.size());
  i = 0;
  for (auto& entry : mounts) {
    auto m = mountList[i++];
    m.setSessionId(entry.second.id);
    m.setClientName(entry.second.clientName);
    m.setVolume(entry.second.volume);
    m.setConnectedNs(entry.second.connectedNs);
    m.setConsistency(entry.second.consistency);
  }
  return kj::READY_NOW;
}

kj::Promise<void> AdminImpl::listVolumes(ListVolumesContext context) {
  auto volumes = core.volumes.list();
  auto list = context.getResults().initVolumes(volumes.size());
  for (uint i = 0; i < volumes.size(); ++i) core.volumes.toWire(volumes[i], list[i]);
  return kj::READY_NOW;
}

kj::Promise<void> AdminImpl::createVolume(CreateVolumeContext context) {
  auto p = context.getParams();
  uint32_t replicas = p.getReplicas() == 0 ? core.config.defaultReplicas : p.getReplicas();
  Volume volume;
  int err = core.volumes.create(p.getName(), replicas, volume);
  auto results = context.getResults();
  results.setErr(err);
  if (err == 0) {
    core.volumes.toWire(volume, results.initVolume());
    KJ_LOG(INFO, "created volume", volume.name, replicas);
  }
  return kj::READY_NOW;
}

kj::Promise<void> AdminImpl::nodeAction(NodeActionContext context) {
  auto p = context.getParams();
  auto results = context.getResults();
  uint64_t id = p.getNodeId();
  KJ_IF_MAYBE(node, core.nodes.find(id)) {
    int err = 0;
    switch (p.getAction()) {
      case wire::NodeAction::DRAIN:
        err = core.nodes.setDraining(id, true);
        break;
      case wire::NodeAction::UNDRAIN:
        err = core.nodes.setDraining(id, false);
        break;
      case wire::NodeAction::REMOVE:
        if (node->soleCopies > 0 && !p.getForce()) {
          results.setErr(EBUSY);
          results.setMessage(kj::str("node ", id, " holds the only live copy of ",
                                     node->soleCopies,
                                     " blocks (last scan); drain it first, or force"));
          return kj::READY_NOW;
        }
        err = core.nodes.setRemoved(id);
        break;
      default:
        err = EINVAL;
    }
    results.setErr(err);
    if (err == ENOENT) results.setMessage(kj::str("node ", id, " was removed"));
    if (err == 0) core.replication.kick();
  } else {
    results.setErr(ENOENT);
    results.setMessage(kj::str("no node ", id));
  }
  return kj::READY_NOW;
}

kj::Promise<void> AdminImpl::setVolume(SetVolumeContext context) {
  auto p = context.getParams();
  auto results = context.getResults();
  Volume volume;
  KJ_IF_MAYBE(v, core.volumes.find(p.getName())) {
    volume = kj::mv(*v);
  } else {
    results.setErr(ENOENT);
    return kj::READY_NOW;
  }
  if (p.getSetReplicas()) {
    int err = core.volumes.setReplicas(p.getName(), p.getReplicas(), volume);
    if (err != 0) {
      results.setErr(err);
      return kj::READY_NOW;
    }
    KJ_LOG(INFO, "volume replicas changed", volume.name, volume.replicas);
    core.replication.kick();
  }
  if (p.getSetConsistency()) {
    int err = core.volumes.setConsistency(p.getName(), p.getConsistency(), volume);
    if (err != 0) {
      results.setErr(err);
      return kj::READY_NOW;
    }
    KJ_LOG(INFO, "volume default consistency changed", volume.name);
  }
  results.setErr(0);
  core.volumes.toWire(volume, results.initVolume());
  return kj::READY_NOW;
}

void NodeSessionImpl::requireCurrent() {
  auto& node = KJ_REQUIRE_NONNULL(core.nodes.find(nodeId), "unknown node");
  KJ_REQUIRE(!node.removed, "this node was removed from the cluster", nodeId);
  if (node.registration != registration) {
    kj::throwFatalException(
        KJ_EXCEPTION(DISCONNECTED, "stale node session: the node registered again", nodeId));
  }
}

kj::Promise<void> NodeSessionImpl::reportBlocks(ReportBlocksContext context) {
  requireCurrent();
  auto p = context.getParams();
  core.reports.page(nodeId, p.getBlocks(), p.getLast());
  return kj::READY_NOW;
}

kj::Promise<void> NodeSessionImpl::heartbeat(HeartbeatContext context) {
  RpcScope rpcScope(core.rpcMetrics, RpcMethod::HEARTBEAT);
  requireCurrent();
  auto p = context.getParams();
  core.nodes.heartbeat(nodeId, p);
  auto corrupt = p.getCorruptBlocks();
  KJ_REQUIRE(corrupt.size() <= 65536, "heartbeat: too many corrupt blocks", corrupt.size());
  for (auto b : corrupt) core.replication.corruptCopy(nodeId, BlockId::fromWire(b));
  auto deletes = core.nodes.takeDeletes(nodeId, kMaxDeletesPerHeartbeat);
  auto list = context.getResults().initDeleteBlocks(deletes.size());
  for (uint i = 0; i < deletes.size(); ++i) deletes[i].toWire(list[i]);
  return kj::READY_NOW;
}

}  // namespace dfs
