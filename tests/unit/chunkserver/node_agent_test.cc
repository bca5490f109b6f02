// NodeAgent against a fake in-process master: registration (with the server's own ChunkServer
// capability), id persistence, heartbeats (load, data dir, corrupt copies), master-requested
// deletes, paged block reports, report failures, and retry while the master is down.
#include "server/chunkserver/node/node_agent.h"

#include "common/base/limits.h"
#include "common/rpc/rpc.h"
#include "server/chunkserver/blockstore/block_format.h"
#include "server/chunkserver/node/block_report.h"
#include "server/chunkserver/node/node_id_file.h"
#include "server/chunkserver/service/chunk_server_impl.h"
#include "tests/unit/chunkserver/test_disk.h"

#include <gtest/gtest.h>
#include <fcntl.h>
#include <unistd.h>
#include <unordered_map>

namespace dfs {
namespace {

enum class ReportMode { kAccept, kUnimplemented, kHang };

struct FakeState {
  uint64_t registrations = 0;
  uint64_t lastRegisteredId = 0;
  kj::String lastAddress;
  kj::Maybe<wire::ChunkServer::Client> chunk;  // from the last registerNode
  uint64_t heartbeats = 0;
  uint64_t lastBlocks = 0;
  kj::Vector<BlockId> toDelete;

  // What successful heartbeats carried.
  kj::Vector<BlockId> corruptReported;
  uint64_t lastChecksumErrors = 0;
  uint64_t maxReadBytesPerSec = 0, maxWriteBytesPerSec = 0, maxRequestsPerSec = 0;
  uint64_t maxAvgLatencyUs = 0;
  kj::String dirPath;
  uint64_t dirCapacity = 0, dirUsed = 0, dirFree = 0, dirCount = 0;
  bool failFirstCorruptHeartbeat = false;

  ReportMode reportMode = ReportMode::kAccept;
  uint64_t reportCalls = 0;
  kj::Vector<std::pair<size_t, bool>> pages;  // (entries, last)
  std::unordered_map<BlockId, uint64_t, BlockIdHash> ages;  // ageMs by block
};

class FakeNodeSession final : public wire::NodeSession::Server {
public:
  explicit FakeNodeSession(FakeState& s) : s(s) {}
  kj::Promise<void> heartbeat(HeartbeatContext context) override {
    auto p = context.getParams();
    if (p.getCorruptBlocks().size() > 0 && s.failFirstCorruptHeartbeat) {
      s.failFirstCorruptHeartbeat = false;
      return KJ_EXCEPTION(FAILED, "injected heartbeat failure");
    }
    s.heartbeats++;
    s.lastBlocks = p.getBlocks();
    for (auto b : p.getCorruptBlocks()) s.corruptReported.add(BlockId::fromWire(b));
    s.lastChecksumErrors = p.getChecksumErrors();
    auto load = p.getLoad();
    s.maxReadBytesPerSec = kj::max(s.maxReadBytesPerSec, load.getReadBytesPerSec());
    s.maxWriteBytesPerSec = kj::max(s.maxWriteBytesPerSec, load.getWriteBytesPerSec());
    s.maxRequestsPerSec = kj::max(s.maxRequestsPerSec, load.getRequestsPerSec());
    s.maxAvgLatencyUs = kj::max(s.maxAvgLatencyUs, load.getAvgLatencyUs());
    s.dirCount = p.getDataDirs().size();
    if (s.dirCount > 0) {
      auto d = p.getDataDirs()[0];
      s.dirPath = kj::heapString(d.getPath());
      s.dirCapacity = d.getCapacityBytes();
      s.dirUsed = d.getUsedBytes();
      s.dirFree = d.getFreeBytes();
    }
    auto list = context.getResults().initDeleteBlocks(s.toDelete.size());
    for (size_t i = 0; i < s.toDelete.size(); i++) s.toDelete[i].toWire(list[i]);
    s.toDelete.clear();
    return kj::READY_NOW;
  }
  kj::Promise<void> reportBlocks(ReportBlocksContext context) override {
    s.reportCalls++;
    switch (s.reportMode) {
      case ReportMode::kUnimplemented:
        return KJ_EXCEPTION(UNIMPLEMENTED, "reportBlocks not implemented");
      case ReportMode::kHang:
        return kj::NEVER_DONE;
      case ReportMode::kAccept:
        break;
    }
    auto p = context.getParams();
    s.pages.add(p.getBlocks().size(), p.getLast());
    for (auto e : p.getBlocks()) s.ages[BlockId::fromWire(e.getBlock())] = e.getAgeMs();
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
    s.chunk = p.getChunk();
    auto r = context.getResults();
    r.setNodeId(p.getNodeId() == 0 ? 42 : p.getNodeId());
    r.setNode(kj::heap<FakeNodeSession>(s));
    r.setReportGraceMs(60000);
    return kj::READY_NOW;
  }
private:
  FakeState& s;
};

// A fake master listening on 127.0.0.1, and the options of an agent pointed at it.
struct FakeMasterServer {
  FakeMasterServer(kj::AsyncIoContext& io, FakeState& state)
      : listener(listenOn(io.provider->getNetwork(), "127.0.0.1:0", 0).wait(io.waitScope)),
        address(kj::str("127.0.0.1:", listener->getPort())),
        serving(serveRpc(*listener, kj::heap<FakeMaster>(state)).eagerlyEvaluate(nullptr)) {}
  kj::Own<kj::ConnectionReceiver> listener;
  kj::String address;
  kj::Promise<void> serving;

  NodeAgentOptions options() {
    NodeAgentOptions o;
    o.masterAddress = kj::heapString(address);
    o.advertiseAddress = kj::str("127.0.0.1:9999");
    o.capacityBytes = 1 << 30;
    o.heartbeatInterval = 20 * kj::MILLISECONDS;
    o.retryInterval = 50 * kj::MILLISECONDS;
    o.rpcDeadline = 1 * kj::SECONDS;
    return o;
  }
};

// Runs the event loop until `done()` or `limit` passes.
template <typename F>
void waitUntil(kj::AsyncIoContext& io, F&& done, kj::Duration limit = 3 * kj::SECONDS) {
  auto& timer = io.provider->getTimer();
  auto end = timer.now() + limit;
  while (!done() && timer.now() < end) timer.afterDelay(10 * kj::MILLISECONDS).wait(io.waitScope);
}

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
  LoadTracker load(kj::systemPreciseMonotonicClock());
  BlockSyncer syncer(store, timer);
  wire::ChunkServer::Client self = kj::heap<ChunkServerImpl>(store, syncer, *io.provider, timer);
  NodeAgent agent(store, *io.provider, timer, load, self, kj::mv(options));
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
    EXPECT_EQ(agent.blockReportsSent(), 1u);

    // The master can call the server back over the registration connection.
    auto req = KJ_ASSERT_NONNULL(state.chunk).statBlockRequest();
    keep.toWire(req.initBlock());
    EXPECT_TRUE(req.send().wait(io.waitScope).getExists());
    state.chunk = nullptr;
  }
  // Master gone (listener and connections dropped); it comes back on the same port.
  timer.afterDelay(200 * kj::MILLISECONDS).wait(io.waitScope);
  {
    auto listener = listenOn(io.provider->getNetwork(), masterAddr, 0).wait(io.waitScope);
    auto serving = serveRpc(*listener, kj::heap<FakeMaster>(state)).eagerlyEvaluate(nullptr);
    timer.afterDelay(1500 * kj::MILLISECONDS).wait(io.waitScope);
    EXPECT_EQ(state.registrations, 2u);
    EXPECT_EQ(state.lastRegisteredId, 42u);  // the persisted id is sent back
    EXPECT_EQ(agent.blockReportsSent(), 2u);  // one report after every registration
    state.chunk = nullptr;
  }
}

TEST(NodeAgentTest, BlockReportPagesAndAges) {
  auto io = kj::setupAsyncIo();
  auto& timer = io.provider->getTimer();
  int64_t t0 = 1'700'000'000'000'000'000LL;
  ManualClock clock(t0);
  test::MemDisk disk(clock);
  BlockStore store(disk, "/mem/data", clock);
  kj::byte byte = 7;
  kj::Vector<BlockId> older, newer;
  for (int i = 0; i < 20000; i++) {
    older.add(BlockId::random());
    store.put(older.back(), kj::arrayPtr(&byte, 1));
  }
  clock.advance(10'000'000'000LL);
  for (int i = 0; i < 20000; i++) {
    newer.add(BlockId::random());
    store.put(newer.back(), kj::arrayPtr(&byte, 1));
  }
  clock.advance(5'000'000'000LL);

  FakeState state;
  FakeMasterServer master(io, state);
  LoadTracker load(kj::systemPreciseMonotonicClock());
  BlockSyncer syncer(store, timer);
  wire::ChunkServer::Client self = kj::heap<ChunkServerImpl>(store, syncer, *io.provider, timer);
  NodeAgent agent(store, *io.provider, timer, load, self, master.options());
  auto running = agent.run().eagerlyEvaluate(nullptr);
  waitUntil(io, [&]() { return agent.blockReportsSent() == 1 && state.heartbeats >= 3; });

  ASSERT_EQ(state.pages.size(), 3u);
  EXPECT_EQ(state.pages[0], std::make_pair(size_t(kBlockReportPageSize), false));
  EXPECT_EQ(state.pages[1], std::make_pair(size_t(kBlockReportPageSize), false));
  EXPECT_EQ(state.pages[2], std::make_pair(size_t(40000 - 2 * kBlockReportPageSize), true));
  ASSERT_EQ(state.ages.size(), 40000u);
  for (auto& id : older) EXPECT_EQ(state.ages[id], 15000u);
  for (auto& id : newer) EXPECT_EQ(state.ages[id], 5000u);
  EXPECT_GE(state.heartbeats, 3u);
  EXPECT_EQ(state.registrations, 1u);
  EXPECT_EQ(state.dirFree, disk.fsFree);
  state.chunk = nullptr;
}

TEST(NodeAgentTest, EmptyReportIsOneLastPage) {
  auto io = kj::setupAsyncIo();
  auto& timer = io.provider->getTimer();
  ManualClock clock;
  test::MemDisk disk(clock);
  BlockStore store(disk, "/mem/data", clock);
  FakeState state;
  FakeMasterServer master(io, state);
  LoadTracker load(kj::systemPreciseMonotonicClock());
  BlockSyncer syncer(store, timer);
  wire::ChunkServer::Client self = kj::heap<ChunkServerImpl>(store, syncer, *io.provider, timer);
  auto options = master.options();
  options.blockReportInterval = 100 * kj::MILLISECONDS;
  NodeAgent agent(store, *io.provider, timer, load, self, kj::mv(options));
  auto running = agent.run().eagerlyEvaluate(nullptr);
  waitUntil(io, [&]() { return agent.blockReportsSent() >= 2; });
  ASSERT_GE(state.pages.size(), 2u);  // periodic: one report per interval
  EXPECT_EQ(state.pages[0], std::make_pair(size_t(0), true));
  EXPECT_EQ(state.pages[1], std::make_pair(size_t(0), true));
  state.chunk = nullptr;
}

TEST(NodeAgentTest, ReportFailuresKeepTheSession) {
  auto io = kj::setupAsyncIo();
  auto& timer = io.provider->getTimer();
  ManualClock clock;
  test::MemDisk disk(clock);
  BlockStore store(disk, "/mem/data", clock);
  kj::byte byte = 7;
  store.put(BlockId::random(), kj::arrayPtr(&byte, 1));
  FakeState state;
  state.reportMode = ReportMode::kUnimplemented;  // an older master
  FakeMasterServer master(io, state);
  LoadTracker load(kj::systemPreciseMonotonicClock());
  BlockSyncer syncer(store, timer);
  wire::ChunkServer::Client self = kj::heap<ChunkServerImpl>(store, syncer, *io.provider, timer);
  auto options = master.options();
  options.blockReportInterval = 100 * kj::MILLISECONDS;
  options.rpcDeadline = 200 * kj::MILLISECONDS;
  NodeAgent agent(store, *io.provider, timer, load, self, kj::mv(options));
  auto running = agent.run().eagerlyEvaluate(nullptr);
  waitUntil(io, [&]() { return agent.blockReportsFailed() >= 3; });
  EXPECT_GE(agent.blockReportsFailed(), 3u);
  EXPECT_EQ(agent.blockReportsSent(), 0u);
  EXPECT_EQ(state.registrations, 1u);

  // A master that never answers: each page hits the deadline; heartbeats go on meanwhile.
  state.reportMode = ReportMode::kHang;
  uint64_t failed = agent.blockReportsFailed(), beats = state.heartbeats;
  waitUntil(io, [&]() { return agent.blockReportsFailed() >= failed + 2; });
  EXPECT_GE(agent.blockReportsFailed(), failed + 2);
  EXPECT_GE(state.heartbeats, beats + 10);
  EXPECT_EQ(state.registrations, 1u);

  // A master that accepts again gets the report at the next interval.
  state.reportMode = ReportMode::kAccept;
  waitUntil(io, [&]() { return agent.blockReportsSent() >= 1; });
  EXPECT_EQ(agent.blockReportsSent(), 1u);
  EXPECT_EQ(state.registrations, 1u);
  state.chunk = nullptr;
}

TEST(NodeAgentTest, HeartbeatCarriesCorruptCopiesOnceLoadAndDataDir) {
  auto io = kj::setupAsyncIo();
  auto& timer = io.provider->getTimer();
  auto disk = newPosixDisk();
  test::TempDir dir;
  BlockStore store(*disk, dir.path);
  auto good = BlockId::random(), bad = BlockId::random();
  auto data = test::randomBytes(2 * kChecksumChunk, 3);
  store.put(good, data);
  store.put(bad, data);

  FakeState state;
  state.failFirstCorruptHeartbeat = true;  // the first report of it is lost
  FakeMasterServer master(io, state);
  LoadTracker load(kj::systemPreciseMonotonicClock());
  BlockSyncer syncer(store, timer);
  wire::ChunkServer::Client self =
      kj::heap<ChunkServerImpl>(store, syncer, *io.provider, timer, 30 * kj::SECONDS, nullptr, load);
  NodeAgent agent(store, *io.provider, timer, load, self, master.options());
  auto running = agent.run().eagerlyEvaluate(nullptr);
  waitUntil(io, [&]() { return state.heartbeats >= 2; });

  // Client traffic through the served interface.
  for (int i = 0; i < 20; i++) {
    auto req = self.readBlockRequest();
    good.toWire(req.initBlock());
    req.setLength(kMaxReadLength);
    EXPECT_EQ(req.send().wait(io.waitScope).getData().size(), data.size());
  }
  uint64_t before = state.heartbeats;
  waitUntil(io, [&]() { return state.heartbeats >= before + 2; });
  EXPECT_GT(state.maxReadBytesPerSec, 0u);
  EXPECT_GT(state.maxRequestsPerSec, 0u);
  EXPECT_GT(state.maxAvgLatencyUs, 0u);
  EXPECT_EQ(state.maxWriteBytesPerSec, 0u);
  // One flipped byte in the bad copy: the read fails and the copy is quarantined.
  {
    int fd = open(blockPath(dir.path, bad).cStr(), O_RDWR);
    ASSERT_GE(fd, 0);
    kj::byte b = 0;
    ASSERT_EQ(pwrite(fd, &b, 1, BlockStore::fileBytes(data.size()) - 10), 1);
    ASSERT_EQ(pwrite(fd, "\xff", 1, BlockStore::fileBytes(data.size()) - 11), 1);
    close(fd);
  }
  auto req = self.readBlockRequest();
  bad.toWire(req.initBlock());
  req.setOffset(kChecksumChunk);
  req.setLength(10);
  EXPECT_ANY_THROW(req.send().wait(io.waitScope));
  EXPECT_EQ(store.stat(bad), nullptr);

  waitUntil(io, [&]() { return state.corruptReported.size() > 0 && state.registrations >= 2; });
  uint64_t beats = state.heartbeats;
  waitUntil(io, [&]() { return state.heartbeats >= beats + 5; });
  ASSERT_EQ(state.corruptReported.size(), 1u);  // reported once, after the lost heartbeat
  EXPECT_EQ(state.corruptReported[0], bad);
  EXPECT_EQ(state.registrations, 2u);
  EXPECT_EQ(store.unreportedCorrupt().size(), 0u);
  EXPECT_EQ(state.lastChecksumErrors, 1u);
  EXPECT_EQ(state.lastBlocks, 1u);
  EXPECT_EQ(state.dirCount, 1u);
  EXPECT_EQ(state.dirPath, dir.path);
  EXPECT_EQ(state.dirCapacity, uint64_t(1) << 30);
  EXPECT_EQ(state.dirUsed, store.usedBytes());
  EXPECT_GT(state.dirFree, 0u);
  state.chunk = nullptr;
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
