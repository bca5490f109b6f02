// Unit tests for BlockSyncer on a real disk and event loop: deferred blocks are readable at
// once and durable after syncAll() or the interval; durable stores wait; sync failures
// reach the waiters.
#include "server/chunkserver/service/block_syncer.h"

#include "common/base/limits.h"
#include "tests/unit/chunkserver/test_disk.h"

#include <gtest/gtest.h>
#include <kj/async-io.h>

namespace dfs {
namespace {

using test::randomBytes;

bool same(kj::ArrayPtr<const kj::byte> a, kj::ArrayPtr<const kj::byte> b) {
  return a.size() == b.size() && memcmp(a.begin(), b.begin(), a.size()) == 0;
}

BlockFileBuffer fileOf(kj::ArrayPtr<const kj::byte> data) {
  BlockFileBuffer file(data.size());
  memcpy(file.data().begin(), data.begin(), data.size());
  return file;  // the syncer seals the header
}

class BlockSyncerTest : public ::testing::Test {
protected:
  ~BlockSyncerTest() noexcept override {}
  kj::AsyncIoContext io = kj::setupAsyncIo();
  test::TempDir dir;
  kj::Own<Disk> posix = newPosixDisk();
  test::FaultDisk disk{*posix};
  BlockStore store{disk, dir.path};

  bool durableOnDisk(BlockId id) { return posix->stat(blockPath(dir.path, id)) != nullptr; }
  size_t tempFiles() { return posix->list(tmpDir(dir.path)).size(); }
};

TEST_F(BlockSyncerTest, DeferredBlocksAreReadableThenSyncedTogether) {
  BlockSyncerOptions options;
  options.interval = 3600 * kj::SECONDS;  // only syncAll() syncs
  BlockSyncer syncer(store, io.provider->getTimer(), options);
  kj::Vector<BlockId> ids;
  kj::Vector<kj::Array<kj::byte>> datas;
  for (int i = 0; i < 5; i++) {
    ids.add(BlockId::random());
    datas.add(randomBytes(kChecksumChunk * i + 100, i));
    syncer.store(ids.back(), fileOf(datas.back()), false).wait(io.waitScope);
  }
  EXPECT_EQ(store.pendingCount(), 5u);
  EXPECT_EQ(tempFiles(), 5u);
  for (int i = 0; i < 5; i++) {
    EXPECT_TRUE(same(store.read(ids[i], 0, kMaxBlockSize), datas[i]));
    EXPECT_FALSE(durableOnDisk(ids[i]));
  }
  syncer.syncAll().wait(io.waitScope);
  EXPECT_EQ(store.pendingCount(), 0u);
  EXPECT_EQ(tempFiles(), 0u);
  for (int i = 0; i < 5; i++) {
    EXPECT_TRUE(durableOnDisk(ids[i]));
    EXPECT_TRUE(same(store.read(ids[i], 0, kMaxBlockSize), datas[i]));
  }
  EXPECT_EQ(syncer.counters().passes, 1u);
  EXPECT_EQ(syncer.counters().blocksSynced, 5u);
  syncer.syncAll().wait(io.waitScope);  // nothing waiting: at once
  EXPECT_EQ(syncer.counters().passes, 1u);
}

TEST_F(BlockSyncerTest, DurableStoreWaitsAndIntervalSyncsTheRest) {
  BlockSyncerOptions options;
  options.interval = 20 * kj::MILLISECONDS;
  BlockSyncer syncer(store, io.provider->getTimer(), options);
  auto running = syncer.run().eagerlyEvaluate(nullptr);
  auto a = BlockId::random(), b = BlockId::random();
  syncer.store(a, fileOf(randomBytes(10, 1)), true).wait(io.waitScope);
  EXPECT_TRUE(durableOnDisk(a));
  syncer.store(b, fileOf(randomBytes(10, 2)), false).wait(io.waitScope);
  auto& timer = io.provider->getTimer();
  auto end = timer.now() + 5 * kj::SECONDS;
  while (store.pendingCount() > 0 && timer.now() < end) {
    timer.afterDelay(5 * kj::MILLISECONDS).wait(io.waitScope);
  }
  EXPECT_TRUE(durableOnDisk(b));
  EXPECT_EQ(tempFiles(), 0u);
}

TEST_F(BlockSyncerTest, SyncFailureRejectsWaitersAndDropsTheCopy) {
  BlockSyncerOptions options;
  options.interval = 3600 * kj::SECONDS;
  BlockSyncer syncer(store, io.provider->getTimer(), options);
  auto id = BlockId::random();
  syncer.store(id, fileOf(randomBytes(10, 3)), false).wait(io.waitScope);
  disk.failSyncs = true;
  auto result = syncer.syncAll().then([]() { return kj::str("ok"); },
                                      [](kj::Exception&& e) { return kj::str(e.getDescription()); })
                    .wait(io.waitScope);
  EXPECT_NE(std::string(result.cStr()).find("could not be made durable"), std::string::npos)
      << result.cStr();
  EXPECT_EQ(store.stat(id), nullptr);
  EXPECT_EQ(syncer.counters().failures, 1u);
  // A later sync with nothing failing succeeds again.
  disk.failSyncs = false;
  auto other = BlockId::random();
  syncer.store(other, fileOf(randomBytes(10, 4)), true).wait(io.waitScope);
  EXPECT_TRUE(durableOnDisk(other));
}

TEST_F(BlockSyncerTest, WriteFailureRejectsAndLeavesNothing) {
  BlockSyncer syncer(store, io.provider->getTimer());
  auto id = BlockId::random();
  disk.failWrites = true;
  bool failed = false;
  syncer.store(id, fileOf(randomBytes(1000, 5)), false)
      .then([]() {}, [&](kj::Exception&&) { failed = true; })
      .wait(io.waitScope);
  EXPECT_TRUE(failed);
  EXPECT_EQ(store.stat(id), nullptr);
  EXPECT_EQ(tempFiles(), 0u);
  EXPECT_EQ(store.diskErrors(), 1u);
}

}  // namespace
}  // namespace dfs
