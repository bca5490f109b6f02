// ReplicationManager and BlockReports over a memory store, with in-process chunk servers
// that record copyBlockTo calls (the data path itself is covered by integration tests).
#include "server/master/service/master_core.h"
#include "server/master/store/block_record.h"
#include "server/master/store/keys.h"
#include "server/master/store/memory_store.h"
#include <capnp/message.h>
#include <gtest/gtest.h>
#include <kj/async.h>
#include <kj/timer.h>
#include <set>

namespace dfs {
namespace {

struct CopyCall {
  uint64_t source;
  BlockId block;
  kj::String target;
};

// A chunk server whose copyBlockTo succeeds (recording the call) or fails on request.
class RecordingChunk final : public wire::ChunkServer::Server {
public:
  RecordingChunk(uint64_t id, kj::Vector<CopyCall>& calls, bool& failCopies)
      : id(id), calls(calls), failCopies(failCopies) {}
  kj::Promise<void> copyBlockTo(CopyBlockToContext context) override {
    if (failCopies) return KJ_EXCEPTION(FAILED, "copy failed (test)");
    auto p = context.getParams();
    calls.add(CopyCall{id, BlockId::fromWire(p.getBlock()), kj::str(p.getTarget())});
    return kj::READY_NOW;
  }

private:
  uint64_t id;
  kj::Vector<CopyCall>& calls;
  bool& failCopies;
};

class ReplicationTest : public ::testing::Test {
protected:
  ReplicationTest()
      : waitScope(loop), timer(kj::origin<kj::TimePoint>()), store(newMemoryStore()),
        core(*store, clock, timer, config()) {}
  ~ReplicationTest() noexcept override {}

  static MasterConfig config() {
    MasterConfig c;
    c.replication.bandwidthBytesPerSec = 0;
    c.replication.rebalanceThreshold = 0;
    c.reportGraceNs = 10'000'000'000LL;
    return c;
  }

  uint64_t addNode(uint64_t capacity = 1ull << 40, uint64_t used = 0) {
    uint64_t next = core.nodes.all().size() + 1;
    auto address = kj::str("127.0.0.1:", 9500 + next);
    wire::ChunkServer::Client cap = kj::heap<RecordingChunk>(next, calls, failCopies);
    uint64_t id = core.nodes.registerNode(0, address, capacity, used, cap);
    core.nodes.endJoining(id);
    return id;
  }

  void heartbeatAll() {
    for (auto& e : core.nodes.all()) {
      auto& n = e.second;
      if (n.removed || dead.count(n.id)) continue;
      core.nodes.heartbeat(n.id, n.capacityBytes, n.usedBytes, 0, 0);
    }
  }

  // Moves time forward in steps, heartbeating every node not in `dead`.
  void advance(kj::Duration d) {
    auto end = timer.now() + d;
    while (timer.now() < end) {
      timer.advanceTo(kj::min(end, timer.now() + 500 * kj::MILLISECONDS));
      heartbeatAll();
      loop.run();
    }
  }

  BlockId putBlock(kj::ArrayPtr<const uint64_t> nodes, uint64_t volumeId = 1,
                   uint64_t size = 1 << 20) {
    BlockInfo b;
    b.refs = 1;
    b.size = size;
    for (auto n : nodes) b.addNode(n);
    b.volumeId = volumeId;
    b.createdNs = clock.nowNs();
    BlockId id = BlockId::random();
    WriteBatch batch;
    batch.put(keys::block(id), b.encode());
    store->write(batch);
    return id;
  }

  BlockInfo block(BlockId id) { return KJ_ASSERT_NONNULL(loadBlock(*store, id)); }

  // One scan, then let the copies it started finish.
  void scan() {
    core.replication.scanOnce().wait(waitScope);
    loop.run();
    for (int i = 0; i < 10 && core.replication.copiesInFlight() > 0; ++i) loop.run();
  }

  kj::EventLoop loop;
  kj::WaitScope waitScope;
  kj::TimerImpl timer;
  ManualClock clock;
  kj::Own<MetaStore> store;
  MasterCore core;
  kj::Vector<CopyCall> calls;
  bool failCopies = false;
  std::set<uint64_t> dead;
};

TEST_F(ReplicationTest, DeadNodeCopiesAreRecreatedThenSurplusTrimmedWhenItReturns) {
  uint64_t a = addNode(), b = addNode(), c = addNode();
  BlockId id = putBlock(kj::arr(a, b));
  scan();
  EXPECT_EQ(calls.size(), 0u);
  EXPECT_EQ(core.replication.stats().underReplicated, 0u);

  dead.insert(b);
  advance(11 * kj::SECONDS);  // past the default dead timeout
  ASSERT_EQ(core.nodes.state(KJ_ASSERT_NONNULL(core.nodes.find(b))), wire::NodeState::DEAD);
  scan();
  EXPECT_EQ(core.replication.stats().underReplicated, 1u);
  ASSERT_EQ(calls.size(), 1u);
  EXPECT_EQ(calls[0].source, a);
  EXPECT_EQ(calls[0].block, id);
  EXPECT_EQ(calls[0].target, KJ_ASSERT_NONNULL(core.nodes.find(c)).address);
  EXPECT_TRUE(block(id).hasNode(c));
  EXPECT_TRUE(block(id).hasNode(b));  // kept: its copy may come back
  EXPECT_EQ(core.replication.stats().repairedBlocks, 1u);

  scan();
  EXPECT_EQ(core.replication.stats().underReplicated, 0u);

  dead.erase(b);
  advance(1 * kj::SECONDS);
  scan();  // three live copies of a 2-replica block: one goes
  EXPECT_EQ(block(id).nodes.size(), 2u);
  EXPECT_EQ(core.replication.stats().trimmedCopies, 1u);
  size_t pending = 0;
  for (auto& e : core.nodes.all()) pending += e.second.pendingDeletes.size();
  EXPECT_EQ(pending, 1u);
  scan();
  EXPECT_EQ(core.replication.stats().overReplicated, 0u);
}

TEST_F(ReplicationTest, FewestCopiesFirst) {
  uint64_t n1 = addNode(), n2 = addNode(), n3 = addNode();
  addNode();
  Volume v;
  ASSERT_EQ(core.volumes.setReplicas("default", 3, v), 0);
  BlockId two = putBlock(kj::arr(n1, n2), v.id);
  BlockId one = putBlock(kj::arr(n3), v.id);
  failCopies = true;  // keep both queued while we look... then let them through one by one
  scan();
  failCopies = false;
  calls.clear();
  scan();
  ASSERT_GE(calls.size(), 2u);
  EXPECT_EQ(calls[0].block, one);
  (void)two;
  scan();
  scan();
  EXPECT_EQ(block(one).nodes.size(), 3u);
  EXPECT_EQ(block(two).nodes.size(), 3u);
  EXPECT_GE(core.replication.stats().failedCopies, 1u);
}

TEST_F(ReplicationTest, DrainMovesEveryCopyOffThenRemoveIsAllowed) {
  uint64_t a = addNode(), b = addNode(), c = addNode();
  kj::Vector<BlockId> ids;
  for (int i = 0; i < 5; ++i) ids.add(putBlock(kj::arr(a, b)));
  ASSERT_EQ(core.nodes.setDraining(a, true), 0);
  scan();  // copies to c
  scan();  // trims a's copies
  for (auto& id : ids) {
    auto info = block(id);
    EXPECT_FALSE(info.hasNode(a));
    EXPECT_TRUE(info.hasNode(b) && info.hasNode(c));
  }
  scan();
  EXPECT_EQ(KJ_ASSERT_NONNULL(core.nodes.find(a)).listedBlocks, 0u);
  EXPECT_EQ(KJ_ASSERT_NONNULL(core.nodes.find(a)).soleCopies, 0u);
  EXPECT_EQ(KJ_ASSERT_NONNULL(core.nodes.find(a)).pendingDeletes.size(), 5u);
}

TEST_F(ReplicationTest, SoleCopyHolderIsCountedAndRemovedNodesArePurged) {
  uint64_t a = addNode(), b = addNode();
  BlockId id = putBlock(kj::arr(a));
  failCopies = true;
  scan();
  EXPECT_EQ(KJ_ASSERT_NONNULL(core.nodes.find(a)).soleCopies, 1u);
  ASSERT_EQ(core.nodes.setRemoved(a), 0);
  scan();
  EXPECT_FALSE(block(id).hasNode(a));
  EXPECT_EQ(core.replication.stats().missing, 1u);
  (void)b;
  // A removed node may not register again.
  EXPECT_ANY_THROW(core.nodes.registerNode(a, "127.0.0.1:9501", 1, 0));
}

TEST_F(ReplicationTest, CorruptCopyIsForgottenAndRepaired) {
  uint64_t a = addNode(), b = addNode(), c = addNode();
  BlockId id = putBlock(kj::arr(a, b));
  core.replication.corruptCopy(a, id);
  EXPECT_FALSE(block(id).hasNode(a));
  scan();
  ASSERT_EQ(calls.size(), 1u);
  EXPECT_EQ(calls[0].source, b);
  auto info = block(id);
  EXPECT_EQ(info.nodes.size(), 2u);
  EXPECT_TRUE(info.hasNode(b));
  EXPECT_TRUE(info.hasNode(a) || info.hasNode(c));
}

TEST_F(ReplicationTest, RebalanceMovesFromFullestToEmptiest) {
  MasterConfig cfg = config();
  cfg.replication.rebalanceThreshold = 0.10;
  ReplicationManager manager(*store, timer, core.nodes, core.placement, core.volumes, 2,
                             cfg.replication);
  uint64_t full = addNode(100 << 20, 80 << 20), other = addNode(100 << 20, 80 << 20);
  uint64_t empty = addNode(100 << 20, 0);
  kj::Vector<BlockId> ids;
  for (int i = 0; i < 10; ++i) ids.add(putBlock(kj::arr(full, other), 1, 4 << 20));
  manager.scanOnce().wait(waitScope);
  for (int i = 0; i < 20; ++i) loop.run();
  EXPECT_GT(manager.stats().movedBlocks, 0u);
  size_t onEmpty = 0;
  for (auto& id : ids) {
    auto info = block(id);
    EXPECT_EQ(info.nodes.size(), 2u);
    if (info.hasNode(empty)) ++onEmpty;
  }
  EXPECT_EQ(onEmpty, manager.stats().movedBlocks);
}

TEST_F(ReplicationTest, BlockReportDeletesOldUnknownCopiesAndForgetsLostOnes) {
  uint64_t a = addNode(), b = addNode();
  BlockId kept = putBlock(kj::arr(a, b));
  BlockId lost = putBlock(kj::arr(a, b));
  clock.advance(60'000'000'000LL);  // both committed well before the report
  BlockId unknownOld = BlockId::random(), unknownYoung = BlockId::random();

  capnp::MallocMessageBuilder msg;
  auto list = msg.initRoot<capnp::AnyPointer>().initAs<capnp::List<wire::BlockReportEntry>>(3);
  kept.toWire(list[0].initBlock());
  list[0].setSize(1 << 20);
  list[0].setAgeMs(60'000);
  unknownOld.toWire(list[1].initBlock());
  list[1].setSize(100);
  list[1].setAgeMs(3'600'000);
  unknownYoung.toWire(list[2].initBlock());
  list[2].setSize(100);
  list[2].setAgeMs(10);
  core.nodes.registerNode(a, "127.0.0.1:9501", 1ull << 40, 0);  // a rejoins
  EXPECT_EQ(core.nodes.state(KJ_ASSERT_NONNULL(core.nodes.find(a))), wire::NodeState::JOINING);
  core.reports.page(a, list.asReader(), true);
  for (int i = 0; i < 5; ++i) loop.run();

  auto& node = KJ_ASSERT_NONNULL(core.nodes.find(a));
  ASSERT_EQ(node.pendingDeletes.size(), 1u);
  EXPECT_EQ(node.pendingDeletes[0], unknownOld);
  EXPECT_TRUE(block(kept).hasNode(a));
  EXPECT_FALSE(block(lost).hasNode(a));
  EXPECT_EQ(core.reports.stats().lostCopies, 1u);
  EXPECT_EQ(core.nodes.state(node), wire::NodeState::HEALTHY);
}

TEST(RateLimiterTest, PacesToTheRateAfterOneSecondOfBurst) {
  kj::EventLoop loop;
  kj::WaitScope waitScope(loop);
  kj::TimerImpl timer(kj::origin<kj::TimePoint>() + 100 * kj::SECONDS);
  RateLimiter limiter(timer, 1 << 20);  // 1 MiB/s
  EXPECT_TRUE(limiter.acquire(1 << 20).poll(waitScope));   // the burst
  auto second = limiter.acquire(1 << 20);
  EXPECT_TRUE(second.poll(waitScope));                     // still within the burst second
  auto third = limiter.acquire(1 << 20);
  EXPECT_FALSE(third.poll(waitScope));
  timer.advanceTo(timer.now() + 999 * kj::MILLISECONDS);
  EXPECT_FALSE(third.poll(waitScope));
  timer.advanceTo(timer.now() + 1 * kj::MILLISECONDS);
  EXPECT_TRUE(third.poll(waitScope));
}

}  // namespace
}  // namespace dfs
