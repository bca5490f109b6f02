// NodeAgent: registers this chunk server with the master, heartbeats and reports blocks.
#pragma once

#include "server/chunkserver/blockstore/block_store.h"
#include "server/chunkserver/service/load_tracker.h"

#include <capnp/capability.h>
#include <chunk.capnp.h>
#include <master.capnp.h>
#include <kj/async-io.h>
#include <kj/timer.h>

namespace dfs {

struct NodeAgentOptions {
  kj::String masterAddress;     // "host:port"
  kj::String advertiseAddress;  // this server's "host:port", sent to the master
  uint64_t capacityBytes = 0;
  kj::Duration heartbeatInterval = 1 * kj::SECONDS;
  kj::Duration retryInterval = 1 * kj::SECONDS;
  kj::Duration rpcDeadline = 5 * kj::SECONDS;
  kj::Duration blockReportInterval = 3600 * kj::SECONDS;
};

// Connects to the master and calls registerNode (with the id stored in DATA_DIR/node-id, or 0
// on first start, persisting the id the master assigns; and `chunkServer`, this server's own
// ChunkServer capability, which the master may call back over the connection). Then, for as
// long as the session lasts, two loops run side by side:
//  * heartbeats every heartbeatInterval: store totals, the load sampled from `load` over the
//    interval, the data dir's status, the copies found corrupt since the last successful
//    heartbeat (kept for the next one if it fails) and the checksum error total; the blocks
//    the master returns are deleted.
//  * a block report (sendBlockReport over a fresh snapshot of the store) at once and then
//    every blockReportInterval. A failed report (an older master's UNIMPLEMENTED, a deadline)
//    is logged and retried at the next interval; it does not end the session.
// Any other failure (master down, connection lost, heartbeat deadline) ends the session; it
// is logged and registration is retried after retryInterval, forever. `store`, `io`,
// `timer` and `load` must outlive the agent.
class NodeAgent {
public:
  NodeAgent(BlockStore& store, kj::AsyncIoProvider& io, kj::Timer& timer, LoadTracker& load,
            wire::ChunkServer::Client chunkServer, NodeAgentOptions options);
  KJ_DISALLOW_COPY(NodeAgent);

  // Never resolves; cancel by dropping the promise.
  kj::Promise<void> run();

  // The id the master assigned (0 before the first registration).
  uint64_t nodeId() const { return id; }
  // Block reports the master accepted in full / that failed, since start.
  uint64_t blockReportsSent() const { return reportsSent; }
  uint64_t blockReportsFailed() const { return reportsFailed; }

private:
  BlockStore& store;
  kj::AsyncIoProvider& io;
  kj::Timer& timer;
  LoadTracker& load;
  wire::ChunkServer::Client chunkServer;
  NodeAgentOptions options;
  uint64_t id;
  uint64_t failures = 0;  // consecutive failed sessions (for log throttling)
  uint64_t reportsSent = 0;
  uint64_t reportsFailed = 0;

  kj::Promise<void> registerAndHeartbeat();
  kj::Promise<void> heartbeatLoop(wire::NodeSession::Client session);
  kj::Promise<void> reportLoop(wire::NodeSession::Client session);
  uint64_t freeBytes();
};

}  // namespace dfs
