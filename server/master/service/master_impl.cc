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
    core.volumes.toWire(*volume, results.initVolume());
    results.setSession(kj::heap<SessionImpl>(core, kj::mv(*volume), p.getClientName()));
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
  uint64_t id = core.nodes.registerNode(p.getNodeId(), p.getAddress(), p.getCapacityBytes(),
                                        p.getUsedBytes());
  auto results = context.getResults();
  results.setNodeId(id);
  results.setNode(kj::heap<NodeSessionImpl>(core, id));
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

  auto& mounts = core.sessions.all();
  auto mountList = results.initMounts(mounts.size());
  i = 0;
  for (auto& entry : mounts) {
    auto m = mountList[i++];
    m.setSessionId(entry.second.id);
    m.setClientName(entry.second.clientName);
    m.setVolume(entry.second.volume);
    m.setConnectedNs(entry.second.connectedNs);
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

kj::Promise<void> NodeSessionImpl::heartbeat(HeartbeatContext context) {
  RpcScope rpcScope(core.rpcMetrics, RpcMethod::HEARTBEAT);
  auto p = context.getParams();
  core.nodes.heartbeat(nodeId, p.getCapacityBytes(), p.getUsedBytes(), p.getBlocks(),
                       p.getDiskErrors());
  auto deletes = core.nodes.takeDeletes(nodeId, kMaxDeletesPerHeartbeat);
  auto list = context.getResults().initDeleteBlocks(deletes.size());
  for (uint i = 0; i < deletes.size(); ++i) deletes[i].toWire(list[i]);
  return kj::READY_NOW;
}

}  // namespace dfs
