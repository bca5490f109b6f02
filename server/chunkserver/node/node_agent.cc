// NodeAgent: the register → (heartbeat ‖ block report) loops, with retry on any failure.
#include "server/chunkserver/node/node_agent.h"

#include "common/rpc/rpc.h"
#include "server/chunkserver/node/block_report.h"
#include "server/chunkserver/node/node_id_file.h"

#include <kj/debug.h>

namespace dfs {

NodeAgent::NodeAgent(BlockStore& store, kj::AsyncIoProvider& io, kj::Timer& timer,
                     LoadTracker& load, wire::ChunkServer::Client chunkServer,
                     NodeAgentOptions optionsParam)
    : store(store), io(io), timer(timer), load(load), chunkServer(kj::mv(chunkServer)),
      options(kj::mv(optionsParam)), id(loadNodeId(store.getDisk(), store.dataDir())) {}

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
        req.setChunk(chunkServer);
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
              KJ_LOG(INFO, "registered with master", options.masterAddress, id,
                     resp.getReportGraceMs());
              failures = 0;
              auto node = resp.getNode();
              // The report loop never fails, so only the heartbeat loop ends the session.
              return heartbeatLoop(node).exclusiveJoin(reportLoop(node));
            });
        return session.exclusiveJoin(kj::mv(disconnected)).attach(kj::mv(conn));
      });
}

uint64_t NodeAgent::freeBytes() {
  uint64_t free = 0;
  KJ_IF_MAYBE(e, kj::runCatchingExceptions([&]() {
    free = store.getDisk().fileSystemFree(store.dataDir());
  })) {
    KJ_LOG(WARNING, "statvfs of the data dir failed", store.dataDir(), e->getDescription());
  }
  return free;
}

kj::Promise<void> NodeAgent::heartbeatLoop(wire::NodeSession::Client session) {
  auto req = session.heartbeatRequest();
  req.setCapacityBytes(options.capacityBytes);
  req.setUsedBytes(store.usedBytes());
  req.setBlocks(store.blockCount());
  req.setDiskErrors(store.diskErrors());

  auto figures = load.sample();
  auto l = req.initLoad();
  l.setRequestsInFlight(figures.requestsInFlight);
  l.setReadBytesPerSec(figures.readBytesPerSec);
  l.setWriteBytesPerSec(figures.writeBytesPerSec);
  l.setAvgLatencyUs(figures.avgLatencyUs);
  l.setRequestsPerSec(figures.requestsPerSec);

  auto dir = req.initDataDirs(1)[0];
  dir.setPath(store.dataDir());
  dir.setCapacityBytes(options.capacityBytes);
  dir.setUsedBytes(store.usedBytes());
  dir.setFreeBytes(freeBytes());
  dir.setErrors(store.diskErrors());

  // At most one page of corrupt ids per heartbeat; the rest go in the next ones.
  auto pending = store.unreportedCorrupt();
  auto corrupt = kj::heapArray(pending.slice(0, kj::min(pending.size(), kBlockReportPageSize)));
  auto list = req.initCorruptBlocks(corrupt.size());
  for (size_t i = 0; i < corrupt.size(); i++) corrupt[i].toWire(list[i]);
  req.setChecksumErrors(store.counters().checksumErrors);

  return withDeadline(timer, options.rpcDeadline, req.send(), "heartbeat")
      .then([this, corrupt = kj::mv(corrupt)](
                capnp::Response<wire::NodeSession::HeartbeatResults> resp) {
        store.markCorruptReported(corrupt);
        uint32_t deleted = 0;
        for (auto b : resp.getDeleteBlocks()) {
          if (store.remove(BlockId::fromWire(b))) deleted++;
        }
        if (deleted > 0) KJ_LOG(INFO, "deleted blocks at master's request", deleted);
        return timer.afterDelay(options.heartbeatInterval);
      })
      .then([this, session]() mutable { return heartbeatLoop(kj::mv(session)); });
}

kj::Promise<void> NodeAgent::reportLoop(wire::NodeSession::Client session) {
  auto blocks = store.snapshot();
  size_t count = blocks.size();
  return sendBlockReport(session, kj::mv(blocks), store.getClock().nowNs(), timer,
                         options.rpcDeadline)
      .then([this, count]() {
        reportsSent++;
        KJ_LOG(INFO, "block report sent", count);
      }, [this](kj::Exception&& e) {
        reportsFailed++;
        KJ_LOG(WARNING, "block report failed; retrying at the next report interval",
               e.getDescription());
      })
      .then([this]() { return timer.afterDelay(options.blockReportInterval); })
      .then([this, session]() mutable { return reportLoop(kj::mv(session)); });
}

}  // namespace dfs
