// Unit tests for Scrubber: finds a corrupt copy with no client read, paced by a virtual timer.
#include "server/chunkserver/blockstore/scrubber.h"

#include "server/chunkserver/blockstore/block_format.h"
#include "tests/unit/chunkserver/test_disk.h"

#include <gtest/gtest.h>
#include <fcntl.h>
#include <unistd.h>

namespace dfs {
namespace {

using test::randomBytes;

void flipLastByte(kj::StringPtr path) {
  int fd = open(path.cStr(), O_RDWR);
  ASSERT_GE(fd, 0);
  off_t end = lseek(fd, 0, SEEK_END);
  kj::byte b;
  ASSERT_EQ(pread(fd, &b, 1, end - 1), 1);
  b ^= 0x80;
  ASSERT_EQ(pwrite(fd, &b, 1, end - 1), 1);
  close(fd);
}

class ScrubberTest : public ::testing::Test {
protected:
  ~ScrubberTest() noexcept override {}
  test::TempDir dir;
  kj::Own<Disk> disk = newPosixDisk();
  BlockStore store{*disk, dir.path};
  kj::EventLoop loop;
  kj::WaitScope waitScope{loop};
  kj::TimerImpl timer{kj::origin<kj::TimePoint>()};

  void advance(kj::Duration d) {
    timer.advanceTo(timer.now() + d);
    waitScope.poll();
  }
};

TEST_F(ScrubberTest, StepFindsCorruptBlockWithoutClientRead) {
  BlockId ids[3] = {BlockId::random(), BlockId::random(), BlockId::random()};
  for (auto& id : ids) store.put(id, randomBytes(100000, 1));
  flipLastByte(blockPath(dir.path, ids[1]));
  Scrubber scrubber(store, timer, ScrubberOptions{});
  for (int i = 0; i < 3; i++) {
    EXPECT_EQ(KJ_ASSERT_NONNULL(scrubber.step()), BlockStore::fileBytes(100000));
  }
  EXPECT_EQ(scrubber.step(), nullptr);  // pass complete
  EXPECT_EQ(scrubber.counters().passes, 1u);
  EXPECT_EQ(scrubber.counters().blocks, 3u);
  EXPECT_EQ(scrubber.counters().corrupt, 1u);
  EXPECT_EQ(store.stat(ids[1]), nullptr);
  EXPECT_EQ(store.blockCount(), 2u);
  ASSERT_EQ(store.unreportedCorrupt().size(), 1u);
  EXPECT_EQ(store.unreportedCorrupt()[0], ids[1]);
  EXPECT_EQ(store.counters().blocksRead, 0u);

  // Next pass lists the store again; a block deleted meanwhile is skipped.
  EXPECT_NE(scrubber.step(), nullptr);
  store.remove(ids[0]);
  store.remove(ids[2]);
  EXPECT_EQ(KJ_ASSERT_NONNULL(scrubber.step()), 0u);
  EXPECT_EQ(scrubber.step(), nullptr);
  EXPECT_EQ(scrubber.counters().passes, 2u);
}

TEST_F(ScrubberTest, RunIsPacedByTheTimer) {
  // 4 blocks of 1 MiB (file bytes just above) at 1 MiB/s: one block per second.
  kj::Vector<BlockId> ids;
  for (int i = 0; i < 4; i++) {
    ids.add(BlockId::random());
    store.put(ids.back(), randomBytes(1 << 20, i));
  }
  Scrubber scrubber(store, timer, ScrubberOptions{1 << 20, 60 * kj::SECONDS});
  auto running = scrubber.run().eagerlyEvaluate(nullptr);
  waitScope.poll();
  EXPECT_EQ(scrubber.counters().blocks, 1u);
  advance(900 * kj::MILLISECONDS);
  EXPECT_EQ(scrubber.counters().blocks, 1u);  // the pause is a little over 1 s
  advance(200 * kj::MILLISECONDS);
  EXPECT_EQ(scrubber.counters().blocks, 2u);

  // Corrupt every copy: the two not yet scrubbed in this pass are found with no client read.
  for (auto& id : ids) flipLastByte(blockPath(dir.path, id));
  for (int i = 0; i < 3; i++) advance(1100 * kj::MILLISECONDS);
  EXPECT_EQ(scrubber.counters().passes, 1u);
  EXPECT_EQ(scrubber.counters().blocks, 4u);
  EXPECT_EQ(scrubber.counters().corrupt, 2u);
  EXPECT_EQ(store.blockCount(), 2u);
  EXPECT_EQ(store.unreportedCorrupt().size(), 2u);

  // Pause between passes, then a new pass finds the others.
  advance(59 * kj::SECONDS);
  EXPECT_EQ(scrubber.counters().blocks, 4u);
  advance(2 * kj::SECONDS);
  EXPECT_EQ(scrubber.counters().blocks, 5u);
  EXPECT_EQ(scrubber.counters().corrupt, 3u);
  EXPECT_EQ(scrubber.counters().bytes, 5 * BlockStore::fileBytes(1 << 20));
}

TEST_F(ScrubberTest, DisabledAtRateZero) {
  store.put(BlockId::random(), randomBytes(10, 1));
  Scrubber scrubber(store, timer, ScrubberOptions{0, 1 * kj::SECONDS});
  auto running = scrubber.run().eagerlyEvaluate(nullptr);
  advance(10 * kj::SECONDS);
  EXPECT_EQ(scrubber.counters().blocks, 0u);
}

}  // namespace
}  // namespace dfs
