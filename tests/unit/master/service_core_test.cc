// Tests for MasterCore wiring: restart over RocksDB, node health, placement spreading.
#include "server/master/service/master_core.h"
#include "server/master/namespace/namespace.h"
#include "server/master/store/memory_store.h"
#include "server/master/store/rocks_store.h"
#include <gtest/gtest.h>
#include <kj/timer.h>
#include <filesystem>
#include <map>
#include <stdlib.h>

namespace dfs {
namespace {

TEST(MasterCoreTest, RestartKeepsVolumesInodesAndNodes) {
  char tmpl[] = "/tmp/dfs-core-test-XXXXXX";
  std::string dir = mkdtemp(tmpl);
  ManualClock clock;
  kj::TimerImpl timer(kj::origin<kj::TimePoint>());
  uint64_t firstIno;
  {
    auto store = openRocksStore((dir + "/meta").c_str());
    MasterCore core(*store, clock, timer, MasterConfig{});
    auto vol = core.volumes.find("default");
    KJ_IF_MAYBE(v, vol) {
      EXPECT_EQ(v->rootIno, 2u);
      EXPECT_EQ(v->replicas, 2u);
      Namespace ns(*store, clock, v->id, v->rootIno, 0);
      Inode out;
      ASSERT_EQ(ns.mkdir(v->rootIno, bytesOf("d"), 0755, 0, 0, out), 0);
      firstIno = out.ino;
    } else {
      FAIL() << "no default volume";
    }
    EXPECT_EQ(core.nodes.registerNode(0, "127.0.0.1:9501", 1000, 0), 1u);
    EXPECT_EQ(core.nodes.registerNode(7, "127.0.0.1:9507", 1000, 0), 7u);
  }
  {
    auto store = openRocksStore((dir + "/meta").c_str());
    MasterConfig config;
    config.defaultReplicas = 3;  // ignored: "default" already exists
    MasterCore core(*store, clock, timer, config);
    auto volumes = core.volumes.list();
    ASSERT_EQ(volumes.size(), 1u);
    EXPECT_EQ(volumes[0].replicas, 2u);
    Namespace ns(*store, clock, volumes[0].id, volumes[0].rootIno, 0);
    Inode out;
    ASSERT_EQ(ns.lookup(volumes[0].rootIno, bytesOf("d"), out), 0);
    EXPECT_EQ(out.ino, firstIno);
    ASSERT_EQ(ns.mknod(firstIno, bytesOf("f"), S_IFREG | 0644, 0, 0, 0, true, out), 0);
    EXPECT_GT(out.ino, firstIno);
    // Known nodes are dead until they register again; new ids continue past the largest.
    ASSERT_EQ(core.nodes.all().size(), 2u);
    for (auto& n : core.nodes.all()) {
      EXPECT_EQ(core.nodes.health(n.second), wire::NodeHealth::DEAD);
    }
    EXPECT_EQ(core.nodes.registerNode(0, "127.0.0.1:9508", 1000, 0), 8u);
    EXPECT_EQ(core.nodes.registerNode(1, "127.0.0.1:9601", 1000, 0), 1u);
    KJ_IF_MAYBE(n, core.nodes.find(1)) {
      EXPECT_EQ(n->address, "127.0.0.1:9601");
      EXPECT_EQ(core.nodes.health(*n), wire::NodeHealth::HEALTHY);
    } else {
      FAIL();
    }
  }
  std::filesystem::remove_all(dir);
}

TEST(MasterCoreTest, PlacementSpreadsAndPrefersFreeSpace) {
  kj::EventLoop loop;
  kj::WaitScope ws(loop);
  ManualClock clock;
  kj::TimerImpl timer(kj::origin<kj::TimePoint>());
  auto store = newMemoryStore();
  MasterCore core(*store, clock, timer, MasterConfig{});
  for (int i = 0; i < 4; ++i) {
    core.nodes.registerNode(0, kj::str("127.0.0.1:", 9501 + i), 100ull << 30, 0);
  }
  std::map<uint64_t, int> count;
  for (int i = 0; i < 400; ++i) {
    auto ids = core.placement.place(2, nullptr, 4 << 20);
    ASSERT_EQ(ids.size(), 2u);
    EXPECT_NE(ids[0], ids[1]);
    for (auto id : ids) ++count[id];
  }
  ASSERT_EQ(count.size(), 4u);
  for (auto& c : count) {
    EXPECT_GE(c.second, 150) << c.first;
    EXPECT_LE(c.second, 250) << c.first;
  }
  // A much emptier node gets picked first.
  core.nodes.heartbeat(4, 1000ull << 30, 0, 0, 0);
  auto ids = core.placement.place(1, nullptr, 4 << 20);
  ASSERT_EQ(ids.size(), 1u);
  EXPECT_EQ(ids[0], 4u);
  // Fewer healthy nodes than replicas: as many as exist; excluded nodes are skipped.
  uint64_t excl[] = {1, 2, 3};
  ids = core.placement.place(3, excl, 4 << 20);
  ASSERT_EQ(ids.size(), 1u);
  EXPECT_EQ(ids[0], 4u);
  // Dead nodes get nothing.
  timer.advanceTo(timer.now() + 11 * kj::SECONDS);
  EXPECT_EQ(core.placement.place(2, nullptr, 4 << 20).size(), 0u);
}

TEST(MasterCoreTest, BackgroundGcRunsOnTimer) {
  kj::EventLoop loop;
  kj::WaitScope ws(loop);
  ManualClock clock;
  kj::TimerImpl timer(kj::origin<kj::TimePoint>());
  auto store = newMemoryStore();
  MasterConfig config;
  config.gcGraceNs = 0;
  MasterCore core(*store, clock, timer, config);
  core.nodes.registerNode(0, "127.0.0.1:9501", 1000, 0);
  auto vol = core.volumes.list();
  Namespace ns(*store, clock, vol[0].id, vol[0].rootIno, 0);
  Inode out;
  ASSERT_EQ(ns.mknod(vol[0].rootIno, bytesOf("f"), S_IFREG, 0, 0, 0, true, out), 0);
  CommitPiece piece{ExtentPiece{0, 10, BlockId{5, 5}, 0, 10}, kj::heapArray<uint64_t>({1})};
  ASSERT_EQ(ns.commit(out.ino, kj::arrayPtr(&piece, 1), 0, out), 0);
  ASSERT_EQ(ns.unlink(vol[0].rootIno, bytesOf("f")), 0);
  core.startBackground();
  loop.run();
  EXPECT_EQ(core.nodes.takeDeletes(1, 10).size(), 0u);
  timer.advanceTo(timer.now() + 2 * kj::SECONDS);
  loop.run();
  auto deletes = core.nodes.takeDeletes(1, 10);
  ASSERT_EQ(deletes.size(), 1u);
  EXPECT_EQ(deletes[0], (BlockId{5, 5}));
}

}  // namespace
}  // namespace dfs
