// NodeAgent against a fake in-process master: registration, id persistence, heartbeats,
// master-requested deletes, and retry while the master is down.
#include "server/chunkserver/node/node_agent.h"

#include "common/rpc/rpc.h"
#include "server/chunkserver/node/node_id_file.h"
#include "tests/unit/chunkserver/test_disk.h"

#include <gtest/gtest.h>
#include <master.capnp.h>

namespace dfs {
namespace {

struct FakeState {
  uint64_t registrations = 0;
  uint64_t lastRegisteredId = 0;
  kj::String lastAddress;
  uint64_t heartbeats = 0;
  uint64_t lastBlocks = 0;
  kj::Vector<BlockId> toDelete;
};

class FakeNodeSession final : public wire::NodeSession::Server {
public:
  explicit FakeNodeSession(FakeState& s) : s(s) {}
  kj::Promise<void> heartbeat(HeartbeatContext context) override {
    s.heartbeats++;
    s.lastBlocks = context.getParams().getBlocks();
    auto list = context.getResults().initDeleteBlocks(s.toDelete.size());
    for (size_t i = 0; i < s.toDelete.size(); i++) s.toDelete[i].toWire(list[i]);
    s.toDelete.clear();
    return kj::READY_NOW;
  }
private:
  FakeState& s;
};

class FakeMaster final : public wire::Master::Server {
public:
  explicit FakeMaster(FakeState& s) : s(s) {}
  kj::Promise<void> registerNode(RegisterNodeContext context) override {
    auto p = context.getParams();
    s.registrations++;
    s.lastRegisteredId = p.getNodeId();
    s.lastAddress = kj::heapString(p.getAddress());
    auto r = context.getResults();
    r.setNodeId(p.getNodeId() == 0 ? 42 : p.getNodeId());
    r.setNode(kj::heap<FakeNodeSession>(s));
    return kj::READY_NOW;
  }
private:
  FakeState& s;
};

TEST(NodeAgentTest, RegistersHeartbeatsDeletesAndRetries) {
  auto io = kj::setupAsyncIo();
  auto& timer = io.provider->getTimer();
  auto disk = newPosixDisk();
  test::TempDir dir;
  BlockStore store(*disk, dir.path);
  auto keep = BlockId::random(), garbage = BlockId::random();
  kj::byte byte = 1;
  store.put(keep, kj::arrayPtr(&byte, 1));
  store.put(garbage, kj::arrayPtr(&byte, 1));

  // Reserve a port, then close it: the master starts "down".
  auto probe = listenOn(io.provider->getNetwork(), "127.0.0.1:0", 0).wait(io.waitScope);
  auto masterAddr = kj::str("127.0.0.1:", probe->getPort());
  probe = nullptr;

  NodeAgentOptions options;
  options.masterAddress = kj::heapString(masterAddr);
  options.advertiseAddress = kj::str("127.0.0.1:9999");
  options.capacityBytes = 1 << 30;
  options.heartbeatInterval = 20 * kj::MILLISECONDS;
  options.retryInterval = 50 * kj::MILLISECONDS;
  options.rpcDeadline = 1 * kj::SECONDS;
  NodeAgent agent(store, *io.provider, timer, kj::mv(options));
  auto running = agent.run().eagerlyEvaluate(nullptr);
  timer.afterDelay(200 * kj::MILLISECONDS).wait(io.waitScope);
  EXPECT_EQ(agent.nodeId(), 0u);

  FakeState state;
  state.toDelete.add(garbage);
  {
    auto listener = listenOn(io.provider->getNetwork(), masterAddr, 0).wait(io.waitScope);
    auto serving = serveRpc(*listener, kj::heap<FakeMaster>(state)).eagerlyEvaluate(nullptr);
    timer.afterDelay(1500 * kj::MILLISECONDS).wait(io.waitScope);
    EXPECT_EQ(state.registrations, 1u);
    EXPECT_EQ(state.lastRegisteredId, 0u);
    EXPECT_EQ(state.lastAddress, "127.0.0.1:9999");
    EXPECT_GE(state.heartbeats, 3u);
    EXPECT_EQ(agent.nodeId(), 42u);
    EXPECT_EQ(loadNodeId(*disk, dir.path), 42u);
    EXPECT_EQ(store.stat(garbage), nullptr);
    EXPECT_NE(store.stat(keep), nullptr);
    EXPECT_EQ(state.lastBlocks, 1u);
  }
  // Master gone (listener and connections dropped); it comes back on the same port.
  timer.afterDelay(200 * kj::MILLISECONDS).wait(io.waitScope);
  {
    auto listener = listenOn(io.provider->getNetwork(), masterAddr, 0).wait(io.waitScope);
    auto serving = serveRpc(*listener, kj::heap<FakeMaster>(state)).eagerlyEvaluate(nullptr);
    timer.afterDelay(1500 * kj::MILLISECONDS).wait(io.waitScope);
    EXPECT_EQ(state.registrations, 2u);
    EXPECT_EQ(state.lastRegisteredId, 42u);  // the persisted id is sent back
  }
}

TEST(NodeIdFileTest, SaveLoad) {
  auto disk = newPosixDisk();
  test::TempDir dir;
  BlockStore store(*disk, dir.path);
  EXPECT_EQ(loadNodeId(*disk, dir.path), 0u);
  saveNodeId(*disk, dir.path, 123456789012345ULL);
  EXPECT_EQ(loadNodeId(*disk, dir.path), 123456789012345ULL);
}

}  // namespace
}  // namespace dfs
