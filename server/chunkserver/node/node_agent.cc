// NodeAgent: the register → heartbeat loop, with retry on any failure.
#include "server/chunkserver/node/node_agent.h"

#include "common/rpc/rpc.h"
#include "server/chunkserver/node/node_id_file.h"

#include <master.capnp.h>
#include <kj/debug.h>

namespace dfs {

NodeAgent::NodeAgent(BlockStore& store, kj::AsyncIoProvider& io, kj::Timer& timer,
                     NodeAgentOptions optionsParam)
    : store(store), io(io), timer(timer), options(kj::mv(optionsParam)),
      id(loadNodeId(store.getDisk(), store.dataDir())) {}

kj::Promise<void> NodeAgent::run() {
  return registerAndHeartbeat()
      .catch_([this](kj::Exception&& e) {
        // Log the first failure of a streak, then every 30th, so a long outage does not
        // flood the log.
        if (failures++ % 30 == 0) {
          KJ_LOG(WARNING, "master session ended; retrying every retry interval",
                 options.masterAddress, failures, e.getDescription());
        }
      })
      .then([this]() { return timer.afterDelay(options.retryInterval); })
      .then([this]() { return run(); });
}

kj::Promise<void> NodeAgent::registerAndHeartbeat() {
  return connectRpc(io, timer, options.masterAddress, 0, options.rpcDeadline)
      .then([this](kj::Own<RpcConnection> conn) {
        auto master = conn->bootstrap<wire::Master>();
        auto req = master.registerNodeRequest();
        req.setNodeId(id);
        req.setAddress(options.advertiseAddress);
        req.setCapacityBytes(options.capacityBytes);
        req.setUsedBytes(store.usedBytes());
        auto registering = withDeadline(timer, options.rpcDeadline, req.send(), "registerNode");
        auto disconnected = conn->onDisconnect().then([]() -> kj::Promise<void> {
          return KJ_EXCEPTION(DISCONNECTED, "master connection lost");
        });
        auto session = registering.then(
            [this](capnp::Response<wire::Master::RegisterNodeResults> resp) {
              uint64_t assigned = resp.getNodeId();
              KJ_REQUIRE(assigned != 0, "master assigned node id 0");
              if (assigned != id) {
                saveNodeId(store.getDisk(), store.dataDir(), assigned);
                id = assigned;
              }
              KJ_LOG(INFO, "registered with master", options.masterAddress, id);
              failures = 0;
              return heartbeatLoop(resp.getNode());
            });
        return session.exclusiveJoin(kj::mv(disconnected)).attach(kj::mv(conn));
      });
}

kj::Promise<void> NodeAgent::heartbeatLoop(capnp::Capability::Client sessionCap) {
  auto session = sessionCap.castAs<wire::NodeSession>();
  auto req = session.heartbeatRequest();
  req.setCapacityBytes(options.capacityBytes);
  req.setUsedBytes(store.usedBytes());
  req.setBlocks(store.blockCount());
  req.setDiskErrors(store.diskErrors());
  return withDeadline(timer, options.rpcDeadline, req.send(), "heartbeat")
      .then([this](capnp::Response<wire::NodeSession::HeartbeatResults> resp) {
        uint32_t deleted = 0;
        for (auto b : resp.getDeleteBlocks()) {
          if (store.remove(BlockId::fromWire(b))) deleted++;
        }
        if (deleted > 0) KJ_LOG(INFO, "deleted blocks at master's request", deleted);
        return timer.afterDelay(options.heartbeatInterval);
      })
      .then([this, session]() mutable { return heartbeatLoop(kj::mv(session)); });
}

}  // namespace dfs
