// NodeAgent: registers this chunk server with the master and heartbeats forever.
#pragma once

#include "server/chunkserver/blockstore/block_store.h"

#include <capnp/capability.h>
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
};

// Connects to the master, calls registerNode (with the id stored in DATA_DIR/node-id, or 0
// on first start, persisting the id the master assigns), then heartbeats every interval and
// deletes the blocks the master returns. Any failure (master down, connection lost, deadline)
// is logged and registration is retried after retryInterval, forever.
class NodeAgent {
public:
  NodeAgent(BlockStore& store, kj::AsyncIoProvider& io, kj::Timer& timer,
            NodeAgentOptions options);
  KJ_DISALLOW_COPY(NodeAgent);

  // Never resolves; cancel by dropping the promise.
  kj::Promise<void> run();

  // The id the master assigned (0 before the first registration).
  uint64_t nodeId() const { return id; }

private:
  BlockStore& store;
  kj::AsyncIoProvider& io;
  kj::Timer& timer;
  NodeAgentOptions options;
  uint64_t id;
  uint64_t failures = 0;  // consecutive failed sessions (for log throttling)

  kj::Promise<void> registerAndHeartbeat();
  kj::Promise<void> heartbeatLoop(capnp::Capability::Client session);
};

}  // namespace dfs
