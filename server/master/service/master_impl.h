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

private:
  MasterCore& core;
};

class NodeSessionImpl final : public wire::NodeSession::Server {
public:
  NodeSessionImpl(MasterCore& core, uint64_t nodeId) : core(core), nodeId(nodeId) {}
  // Records the node's state; the reply hands out (and forgets) its queued deletions.
  kj::Promise<void> heartbeat(HeartbeatContext context) override;

private:
  MasterCore& core;
  uint64_t nodeId;
};

}  // namespace dfs
