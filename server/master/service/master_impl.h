// MasterImpl (bootstrap), AdminImpl and NodeSessionImpl: the master's non-namespace RPCs.
#pragma once

#include "server/master/service/master_core.h"
#include <master.capnp.h>

namespace dfs {

class MasterImpl final : public wire::Master::Server {
public:
  explicit MasterImpl(MasterCore& core) : core(core) {}
  kj::Promise<void> mount(MountContext context) override;
  kj::Promise<void> admin(AdminContext context) override;
  kj::Promise<void> registerNode(RegisterNodeContext context) override;

private:
  MasterCore& core;
};

class AdminImpl final : public wire::Admin::Server {
public:
  explicit AdminImpl(MasterCore& core) : core(core) {}
  kj::Promise<void> status(StatusContext context) override;
  kj::Promise<void> listVolumes(ListVolumesContext context) override;
  // replicas 0 = the master's --default-replicas.
  kj::Promise<void> createVolume(CreateVolumeContext context) override;
  kj::Promise<void> nodeAction(NodeActionContext context) override;
  kj::Promise<void> setVolume(SetVolumeContext context) override;

private:
  MasterCore& core;
};

class NodeSessionImpl final : public wire::NodeSession::Server {
public:
  NodeSessionImpl(MasterCore& core, uint64_t nodeId, uint64_t registration)
      : core(core), nodeId(nodeId), registration(registration) {}
  // Records the node's state and corrupt copies; the reply hands out (and forgets) its
  // queued deletions.
  kj::Promise<void> heartbeat(HeartbeatContext context) override;
  kj::Promise<void> reportBlocks(ReportBlocksContext context) override;

private:
  MasterCore& core;
  uint64_t nodeId;
  uint64_t registration;  // the node registered again since: this session is stale
  void requireCurrent();
};

}  // namespace dfs
