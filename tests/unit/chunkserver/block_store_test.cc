// Unit tests for BlockStore: round trips, range reads, quarantine of corrupt copies, scrubs,
// snapshots, temp cleanup, deletes.
#include "server/chunkserver/blockstore/block_store.h"

#include "common/base/limits.h"
#include "server/chunkserver/blockstore/block_format.h"
#include "tests/unit/chunkserver/test_disk.h"

#include <gtest/gtest.h>
#include <kj/exception.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <sys/mman.h>
#include <sys/vfs.h>
#include <unistd.h>
#include <random>
#include <vector>

namespace dfs {
namespace {

using test::randomBytes;

bool has(kj::StringPtr text, const char* needle) {
  return std::string(text.cStr()).find(needle) != std::string::npos;
}

bool same(kj::ArrayPtr<const kj::byte> a, kj::ArrayPtr<const kj::byte> b) {
  return a.size() == b.size() && memcmp(a.begin(), b.begin(), a.size()) == 0;
}

template <typename F>
kj::String exceptionText(F&& f) {
  KJ_IF_MAYBE(e, kj::runCatchingExceptions(kj::fwd<F>(f))) {
    return kj::str(e->getDescription());
  }
  return kj::str("<no exception>");
}

void flipByteInFile(kj::StringPtr path, uint64_t offset) {
  int fd = open(path.cStr(), O_RDWR);
  ASSERT_GE(fd, 0);
  kj::byte b;
  ASSERT_EQ(pread(fd, &b, 1, offset), 1);
  b ^= 0x01;
  ASSERT_EQ(pwrite(fd, &b, 1, offset), 1);
  close(fd);
}

class BlockStoreTest : public ::testing::Test {
protected:
  ~BlockStoreTest() noexcept override {}
  test::TempDir dir;
  kj::Own<Disk> posix = newPosixDisk();
};

TEST_F(BlockStoreTest, RoundTripVariousSizes) {
  BlockStore store(*posix, dir.path);
  uint64_t sizes[] = {1, 100, kChecksumChunk - 1, kChecksumChunk, kChecksumChunk + 1,
                      2 * kChecksumChunk, 3 * kChecksumChunk + 7, kMaxBlockSize};
  uint32_t seed = 1;
  for (uint64_t size : sizes) {
    auto id = BlockId::random();
    auto data = randomBytes(size, seed++);
    store.put(id, data);
    EXPECT_EQ(store.stat(id).orDefault(0), size);
    auto got = store.read(id, 0, kMaxBlockSize);
    EXPECT_TRUE(same(got, data)) << size;
  }
  EXPECT_EQ(store.blockCount(), 8u);
  EXPECT_GT(store.usedBytes(), kMaxBlockSize);

  // The index survives a restart.
  BlockStore reopened(*posix, dir.path);
  EXPECT_EQ(reopened.blockCount(), 8u);
  EXPECT_EQ(reopened.usedBytes(), store.usedBytes());
  EXPECT_EQ(reopened.diskErrors(), 0u);
}

TEST_F(BlockStoreTest, RangeReadsAtChunkEdges) {
  BlockStore store(*posix, dir.path);
  auto id = BlockId::random();
  uint64_t size = 3 * kChecksumChunk + 1000;
  auto data = randomBytes(size, 7);
  store.put(id, data);
  struct Case { uint64_t off, len; };
  Case cases[] = {{0, 1}, {kChecksumChunk - 1, 2}, {kChecksumChunk, kChecksumChunk},
                  {kChecksumChunk - 1, kChecksumChunk + 2}, {size - 1, 1}, {size - 1, 100},
                  {3 * kChecksumChunk, 5000}, {10, 0}, {size, 10}, {0, size}};
  for (auto c : cases) {
    auto got = store.read(id, c.off, c.len);
    uint64_t expect = kj::min(c.len, size - c.off);
    ASSERT_EQ(got.size(), expect) << c.off << " " << c.len;
    EXPECT_TRUE(same(got, data.slice(c.off, c.off + expect))) << c.off << " " << c.len;
  }
  EXPECT_TRUE(has(exceptionText([&]() { store.read(id, size + 1, 1); }), "offset beyond end"));
  EXPECT_TRUE(has(exceptionText([&]() { store.read(BlockId::random(), 0, 1); }), "no such block"));
}

TEST_F(BlockStoreTest, ReadIntoFillsTheCallersBuffer) {
  BlockStore store(*posix, dir.path);
  auto id = BlockId::random();
  uint64_t size = 2 * kChecksumChunk + 77;
  auto data = randomBytes(size, 5);
  store.put(id, data);
  // Whole chunks (read in place), a range ending at the block's end, and a ragged range.
  struct Case { uint64_t off, len; };
  for (auto c : {Case{0, kChecksumChunk}, Case{kChecksumChunk, 4 * kChecksumChunk},
                 Case{100, kChecksumChunk}}) {
    kj::Array<kj::byte> buffer;
    size_t asked = 0;
    store.readInto(id, c.off, c.len, [&](size_t n) {
      asked = n;
      buffer = kj::heapArray<kj::byte>(n);
      return buffer.asPtr();
    });
    uint64_t expect = kj::min(c.len, size - c.off);
    ASSERT_EQ(asked, expect) << c.off;
    EXPECT_TRUE(same(buffer, data.slice(c.off, c.off + expect))) << c.off;
  }
}

// Pages of `path` in [from, to) (rounded inwards to whole pages) the page cache holds.
static size_t residentPages(kj::StringPtr path, uint64_t from, uint64_t to) {
  int fd = open(path.cStr(), O_RDONLY);
  KJ_ASSERT(fd >= 0);
  struct stat st;
  KJ_ASSERT(fstat(fd, &st) == 0);
  void* map = mmap(nullptr, st.st_size, PROT_READ, MAP_SHARED, fd, 0);
  close(fd);
  KJ_ASSERT(map != MAP_FAILED);
  long page = sysconf(_SC_PAGESIZE);
  std::vector<unsigned char> in((st.st_size + page - 1) / page);
  KJ_ASSERT(mincore(map, st.st_size, in.data()) == 0);
  munmap(map, st.st_size);
  size_t n = 0;
  for (uint64_t p = (from + page - 1) / page; p < to / page; p++) n += in[p] & 1;
  return n;
}

// Block data read from disk leaves the page cache once a read reached the block's end
// (unless the store keeps it): the mounts cache what they read.
TEST_F(BlockStoreTest, ReadsLeaveThePageCacheUnlessKept) {
  struct statfs fs;
  ASSERT_EQ(statfs(dir.path.cStr(), &fs), 0);
  if (fs.f_type == TMPFS_MAGIC) GTEST_SKIP() << "tmpfs keeps its pages whatever the advice";
  for (bool keep : {false, true}) {
    BlockStore store(*posix, dir.path);
    store.setKeepReadsCached(keep);
    auto id = BlockId::random();
    uint64_t size = 16 * kChecksumChunk;
    auto data = randomBytes(size, keep ? 3 : 4);
    store.put(id, data);
    auto path = blockPath(dir.path, id);
    uint64_t fileSize = KJ_ASSERT_NONNULL(posix->stat(path)).size;
    uint64_t dataStart = fileSize - size;  // the data ends the file
    size_t pages = (size - 8192) / 4096;
    ASSERT_GE(residentPages(path, dataStart, fileSize), pages) << "written, so cached";
    {
      int fd = open(path.cStr(), O_RDONLY);  // written back: clean pages can go
      ASSERT_GE(fd, 0);
      ASSERT_EQ(fsync(fd), 0);
      close(fd);
    }
    EXPECT_TRUE(same(store.read(id, kChecksumChunk, 2 * kChecksumChunk),
                     data.slice(kChecksumChunk, 3 * kChecksumChunk)));
    kj::Array<kj::byte> whole;
    store.readInto(id, 0, size, [&](size_t n) {
      whole = kj::heapArray<kj::byte>(n);
      return whole.asPtr();
    });
    EXPECT_TRUE(same(whole, data));
    size_t left = residentPages(path, dataStart, fileSize);
    if (keep) {
      EXPECT_GE(left, pages) << "kept";
    } else {
      EXPECT_EQ(left, 0u) << "dropped after the read";
    }
  }
}

TEST_F(BlockStoreTest, InPlaceReadOfACorruptChunkFails) {
  BlockStore store(*posix, dir.path);
  auto id = BlockId::random();
  auto data = randomBytes(2 * kChecksumChunk, 3);
  store.put(id, data);
  uint64_t dataOffset = kBlockHeaderFixed + 4 * 2 + 4;
  flipByteInFile(blockPath(dir.path, id), dataOffset + kChecksumChunk + 9);
  auto buffer = kj::heapArray<kj::byte>(kChecksumChunk);
  EXPECT_TRUE(has(exceptionText([&]() {
                    store.readInto(id, kChecksumChunk, kChecksumChunk,
                                   [&](size_t) { return buffer.asPtr(); });
                  }),
                  "checksum mismatch"));
  EXPECT_EQ(store.counters().corruptCopies, 1u);
  EXPECT_EQ(store.stat(id), nullptr);
}

TEST_F(BlockStoreTest, CorruptChunkQuarantinesTheCopy) {
  BlockStore store(*posix, dir.path);
  auto id = BlockId::random();
  auto other = BlockId::random();
  uint64_t size = 3 * kChecksumChunk;
  auto data = randomBytes(size, 9);
  store.put(id, data);
  store.put(other, data.slice(0, 100));
  uint64_t usedBefore = store.usedBytes();
  uint64_t dataOffset = kBlockHeaderFixed + 4 * 3 + 4;
  flipByteInFile(blockPath(dir.path, id), dataOffset + kChecksumChunk + 123);

  // Chunks before the bad one still verify; the bad one fails and the copy goes.
  EXPECT_TRUE(same(store.read(id, 0, kChecksumChunk), data.slice(0, kChecksumChunk)));
  EXPECT_TRUE(has(exceptionText([&]() { store.read(id, kChecksumChunk + 500, 1); }), "checksum mismatch"));
  EXPECT_EQ(store.diskErrors(), 1u);
  EXPECT_EQ(store.counters().checksumErrors, 1u);
  EXPECT_EQ(store.counters().corruptCopies, 1u);
  EXPECT_EQ(store.counters().quarantined, 1u);
  EXPECT_EQ(store.stat(id), nullptr);
  EXPECT_EQ(store.blockCount(), 1u);
  EXPECT_EQ(store.usedBytes(), usedBefore - BlockStore::fileBytes(size));
  EXPECT_TRUE(has(exceptionText([&]() { store.read(id, 0, 1); }), "no such block"));
  EXPECT_EQ(posix->openRead(blockPath(dir.path, id)), nullptr);
  EXPECT_NE(posix->openRead(corruptPath(dir.path, id)), nullptr);
  ASSERT_EQ(store.unreportedCorrupt().size(), 1u);
  EXPECT_EQ(store.unreportedCorrupt()[0], id);

  // A corrupt header is detected and quarantined too; reports queue in order.
  auto id2 = BlockId::random();
  store.put(id2, data.slice(0, 10));
  flipByteInFile(blockPath(dir.path, id2), kBlockHeaderFixed);
  EXPECT_TRUE(has(exceptionText([&]() { store.read(id2, 0, 1); }), "checksum mismatch"));
  EXPECT_EQ(store.stat(id2), nullptr);
  ASSERT_EQ(store.unreportedCorrupt().size(), 2u);
  store.markCorruptReported(kj::arrayPtr(&id, 1));
  ASSERT_EQ(store.unreportedCorrupt().size(), 1u);
  EXPECT_EQ(store.unreportedCorrupt()[0], id2);
  BlockId both[] = {other, id2};
  store.markCorruptReported(both);
  EXPECT_EQ(store.unreportedCorrupt().size(), 0u);

  // The quarantined copies are not indexed again after a restart.
  BlockStore reopened(*posix, dir.path);
  EXPECT_EQ(reopened.blockCount(), 1u);
  EXPECT_EQ(reopened.diskErrors(), 0u);
  EXPECT_TRUE(same(reopened.read(other, 0, 100), data.slice(0, 100)));
}

TEST_F(BlockStoreTest, TruncatedAndMissingFilesAreDropped) {
  BlockStore store(*posix, dir.path);
  auto shortId = BlockId::random(), goneId = BlockId::random();
  store.put(shortId, randomBytes(2 * kChecksumChunk, 5));
  store.put(goneId, randomBytes(10, 6));
  ASSERT_EQ(truncate(blockPath(dir.path, shortId).cStr(), kChecksumChunk), 0);
  ASSERT_TRUE(posix->unlink(blockPath(dir.path, goneId)));

  EXPECT_TRUE(has(exceptionText([&]() { store.read(shortId, kChecksumChunk, 10); }), "checksum mismatch"));
  EXPECT_TRUE(has(exceptionText([&]() { store.read(goneId, 0, 1); }), "no such block"));
  EXPECT_EQ(store.blockCount(), 0u);
  EXPECT_EQ(store.usedBytes(), 0u);
  EXPECT_EQ(store.counters().corruptCopies, 2u);
  EXPECT_EQ(store.counters().quarantined, 1u);   // nothing to move for the missing one
  EXPECT_EQ(store.counters().checksumErrors, 1u);
  EXPECT_EQ(store.unreportedCorrupt().size(), 2u);
}

TEST_F(BlockStoreTest, FaultDiskCorruptReadQuarantines) {
  test::FaultDisk disk(*posix);
  BlockStore store(disk, dir.path);
  auto id = BlockId::random();
  auto data = randomBytes(2 * kChecksumChunk, 11);
  store.put(id, data);
  uint64_t dataOffset = kBlockHeaderFixed + 4 * 2 + 4;
  disk.corruptOffset = dataOffset + 5;
  EXPECT_TRUE(same(store.read(id, kChecksumChunk, 10), data.slice(kChecksumChunk, kChecksumChunk + 10)));
  EXPECT_TRUE(has(exceptionText([&]() { store.read(id, 0, 10); }), "checksum mismatch"));
  disk.corruptOffset = nullptr;
  EXPECT_TRUE(has(exceptionText([&]() { store.read(id, 0, 10); }), "no such block"));
  EXPECT_EQ(store.unreportedCorrupt().size(), 1u);
}

TEST_F(BlockStoreTest, ScrubVerifiesWholeBlocks) {
  BlockStore store(*posix, dir.path);
  auto good = BlockId::random(), bad = BlockId::random();
  uint64_t size = 3 * kChecksumChunk + 17;
  store.put(good, randomBytes(size, 1));
  store.put(bad, randomBytes(size, 2));
  flipByteInFile(blockPath(dir.path, bad), BlockStore::fileBytes(size) - 1);  // last byte
  uint64_t bytes = 0;
  EXPECT_EQ(store.scrub(good, bytes), ScrubResult::kOk);
  EXPECT_EQ(bytes, BlockStore::fileBytes(size));
  EXPECT_EQ(store.scrub(bad, bytes), ScrubResult::kCorrupt);
  EXPECT_EQ(store.scrub(bad, bytes), ScrubResult::kGone);
  EXPECT_EQ(store.scrub(BlockId::random(), bytes), ScrubResult::kGone);
  EXPECT_EQ(store.stat(bad), nullptr);
  EXPECT_EQ(store.counters().blocksRead, 0u);  // scrubs are not client reads
  ASSERT_EQ(store.unreportedCorrupt().size(), 1u);
  EXPECT_EQ(store.unreportedCorrupt()[0], bad);

  // A stored copy again (re-replicated) is no longer reported corrupt.
  store.put(bad, randomBytes(size, 2));
  EXPECT_EQ(store.unreportedCorrupt().size(), 0u);
}

TEST_F(BlockStoreTest, QuarantineDirIsBounded) {
  ManualClock clock;
  test::MemDisk mem(clock);  // many blocks: no fsync cost
  BlockStore store(mem, "/mem/data", clock);
  for (uint64_t i = 0; i < kMaxQuarantinedFiles + 3; i++) {
    auto id = BlockId::random();
    store.put(id, randomBytes(10, 3));
    mem.writeFileSynced(blockPath("/mem/data", id), randomBytes(5, 3));  // truncated
    uint64_t bytes;
    EXPECT_EQ(store.scrub(id, bytes), ScrubResult::kCorrupt);
    EXPECT_EQ(mem.openRead(blockPath("/mem/data", id)), nullptr);
  }
  EXPECT_EQ(mem.list(corruptDir("/mem/data")).size(), kMaxQuarantinedFiles);
  EXPECT_EQ(store.counters().quarantined, kMaxQuarantinedFiles);
  EXPECT_EQ(store.counters().corruptCopies, kMaxQuarantinedFiles + 3);
}

TEST_F(BlockStoreTest, SnapshotHasSizesAndStoreTimes) {
  int64_t t0 = 1'700'000'000'000'000'000LL;
  ManualClock clock(t0);
  auto a = BlockId::random(), b = BlockId::random();
  {
    BlockStore store(*posix, dir.path, clock);
    store.put(a, randomBytes(10, 1));
    clock.advance(5'000'000'000LL);
    store.put(b, randomBytes(20, 1));
    auto snap = store.snapshot();
    ASSERT_EQ(snap.size(), 2u);
    for (auto& e : snap) {
      EXPECT_EQ(e.size, e.id == a ? 10u : 20u);
      EXPECT_EQ(e.storedNs, e.id == a ? t0 : t0 + 5'000'000'000LL);
    }
    EXPECT_EQ(store.ids().size(), 2u);
  }
  // At startup the store time is the file's mtime.
  BlockStore reopened(*posix, dir.path, clock);
  auto st = posix->stat(blockPath(dir.path, a));
  ASSERT_NE(st, nullptr);
  for (auto& e : reopened.snapshot()) {
    if (e.id == a) {
      EXPECT_EQ(e.storedNs, KJ_ASSERT_NONNULL(st).mtimeNs);
    }
  }
}

TEST_F(BlockStoreTest, FailedWriteLeavesNothing) {
  test::FaultDisk disk(*posix);
  BlockStore store(disk, dir.path);
  auto id = BlockId::random();
  disk.failWrites = true;
  EXPECT_TRUE(has(exceptionText([&]() { store.put(id, randomBytes(1000, 3)); }), "injected write failure"));
  EXPECT_EQ(store.stat(id), nullptr);
  EXPECT_EQ(store.diskErrors(), 1u);
  EXPECT_EQ(posix->list(tmpDir(dir.path)).size(), 0u);
  EXPECT_EQ(posix->openRead(blockPath(dir.path, id)), nullptr);
  disk.failWrites = false;
  store.put(id, randomBytes(1000, 3));
  EXPECT_EQ(store.stat(id).orDefault(0), 1000u);
}

TEST_F(BlockStoreTest, TempFilesRecoveredOrClearedAtStartup) {
  auto whole = BlockId::random(), torn = BlockId::random(), stored = BlockId::random();
  auto data = randomBytes(3 * kChecksumChunk + 17, 5);
  {
    BlockStore store(*posix, dir.path);
    store.put(stored, randomBytes(10, 1));
  }
  // A process crash after writing temp files, before their fsync pass: a whole block is
  // kept, a torn one, one of a block stored already and foreign names are removed.
  auto file = BlockFileBuffer::of(data);
  posix->writeFile(kj::str(tmpDir(dir.path), "/", whole.hex(), ".77.0"), file.bytes());
  posix->writeFile(kj::str(tmpDir(dir.path), "/", torn.hex(), ".77.1"),
                   file.bytes().slice(0, file.bytes().size() - 1));
  posix->writeFile(kj::str(tmpDir(dir.path), "/", stored.hex(), ".77.2"),
                   BlockFileBuffer::of(randomBytes(10, 1)).bytes());
  posix->writeFileSynced(kj::str(tmpDir(dir.path), "/half.tmp"), randomBytes(500, 2));
  posix->writeFileSynced(kj::str(tmpDir(dir.path), "/other"), randomBytes(5, 2));
  BlockStore store(*posix, dir.path);
  EXPECT_EQ(posix->list(tmpDir(dir.path)).size(), 0u);
  EXPECT_EQ(store.blockCount(), 2u);
  EXPECT_EQ(store.stat(torn), nullptr);
  EXPECT_TRUE(same(store.read(whole, 0, data.size()), data));
  EXPECT_NE(posix->openRead(blockPath(dir.path, whole)), nullptr);
  EXPECT_EQ(store.pendingCount(), 0u);
}

TEST_F(BlockStoreTest, DirectWriteLeavesTheExactFile) {
  for (size_t size : {size_t(1), size_t(4000), size_t(kChecksumChunk * 3 + 123), kMaxBlockSize}) {
    auto data = randomBytes(size, uint32_t(size));
    BlockFileBuffer file(size);
    memcpy(file.data().begin(), data.begin(), size);
    file.sealHeader();
    ASSERT_EQ(reinterpret_cast<uintptr_t>(file.paddedBytes().begin()) % kDirectIoAlign, 0u);
    ASSERT_EQ(file.paddedBytes().size() % kDirectIoAlign, 0u);
    auto path = kj::str(dir.path, "/direct");
    posix->writeFileDirect(path, file.paddedBytes(), file.bytes().size());
    auto f = KJ_ASSERT_NONNULL(posix->openRead(path));
    ASSERT_EQ(f->size(), file.bytes().size());
    auto back = kj::heapArray<kj::byte>(file.bytes().size());
    ASSERT_EQ(f->readAt(0, back), back.size());
    EXPECT_TRUE(same(back, file.bytes()));
  }
}

TEST_F(BlockStoreTest, StepsMakeABlockReadableThenDurable) {
  BlockStore store(*posix, dir.path);
  auto id = BlockId::random();
  auto data = randomBytes(kChecksumChunk + 5, 6);
  BlockStore::PendingItem item{id, store.tempPathFor(id)};
  posix->writeFile(item.tmpPath, BlockFileBuffer::of(data).bytes());
  ASSERT_TRUE(store.addPending(id, data.size(), item.tmpPath));
  EXPECT_EQ(store.pendingCount(), 1u);
  EXPECT_TRUE(same(store.read(id, 0, data.size()), data));  // from the temp file
  EXPECT_EQ(posix->openRead(blockPath(dir.path, id)), nullptr);
  // The same block again (a retried upload): kept, the new temp file removed.
  auto again = store.tempPathFor(id);
  posix->writeFile(again, BlockFileBuffer::of(data).bytes());
  EXPECT_FALSE(store.addPending(id, data.size(), again));
  EXPECT_EQ(posix->stat(again), nullptr);

  auto ok = BlockStore::makeDurable(*posix, dir.path, kj::arrayPtr(&item, 1));
  ASSERT_TRUE(ok[0]);
  // Between the rename and settle() a read still finds the block (under its real name).
  EXPECT_TRUE(same(store.read(id, 5, 10), data.slice(5, 15)));
  store.settle(item, true);
  EXPECT_EQ(store.pendingCount(), 0u);
  EXPECT_EQ(posix->list(tmpDir(dir.path)).size(), 0u);
  EXPECT_NE(posix->openRead(blockPath(dir.path, id)), nullptr);
  EXPECT_TRUE(same(store.read(id, 0, data.size()), data));
}

TEST_F(BlockStoreTest, RemovedWhilePendingLeavesNothing) {
  BlockStore store(*posix, dir.path);
  auto id = BlockId::random();
  auto data = randomBytes(100, 7);
  BlockStore::PendingItem item{id, store.tempPathFor(id)};
  posix->writeFile(item.tmpPath, BlockFileBuffer::of(data).bytes());
  ASSERT_TRUE(store.addPending(id, data.size(), item.tmpPath));
  EXPECT_TRUE(store.remove(id));
  EXPECT_EQ(store.pendingCount(), 0u);
  EXPECT_EQ(store.usedBytes(), 0u);
  EXPECT_FALSE(BlockStore::makeDurable(*posix, dir.path, kj::arrayPtr(&item, 1))[0]);
  store.settle(item, false);  // ignored: the block is gone
  EXPECT_EQ(store.diskErrors(), 0u);
  EXPECT_EQ(posix->openRead(blockPath(dir.path, id)), nullptr);
  EXPECT_EQ(posix->list(tmpDir(dir.path)).size(), 0u);
}

TEST_F(BlockStoreTest, FailedSyncDropsTheCopy) {
  test::FaultDisk disk(*posix);
  BlockStore store(disk, dir.path);
  auto id = BlockId::random();
  auto data = randomBytes(100, 8);
  BlockStore::PendingItem item{id, store.tempPathFor(id)};
  disk.writeFile(item.tmpPath, BlockFileBuffer::of(data).bytes());
  ASSERT_TRUE(store.addPending(id, data.size(), item.tmpPath));
  disk.failSyncs = true;
  auto ok = BlockStore::makeDurable(disk, dir.path, kj::arrayPtr(&item, 1));
  EXPECT_FALSE(ok[0]);
  store.settle(item, false);
  EXPECT_EQ(store.stat(id), nullptr);
  EXPECT_EQ(store.diskErrors(), 1u);
  EXPECT_EQ(store.usedBytes(), 0u);
  EXPECT_EQ(posix->list(tmpDir(dir.path)).size(), 0u);
  disk.failSyncs = false;
  EXPECT_TRUE(has(exceptionText([&]() { disk.failSyncs = true; store.put(id, data); }),
                  "could not store the block durably"));
  EXPECT_EQ(store.stat(id), nullptr);
}

TEST_F(BlockStoreTest, BadBlockFileSkippedAtStartup) {
  auto id = BlockId::random();
  {
    BlockStore store(*posix, dir.path);
    store.put(id, randomBytes(100, 1));
  }
  flipByteInFile(blockPath(dir.path, id), 0);  // magic
  BlockStore store(*posix, dir.path);
  EXPECT_EQ(store.blockCount(), 0u);
  EXPECT_EQ(store.diskErrors(), 1u);
}

TEST_F(BlockStoreTest, PutIdempotentAndDelete) {
  BlockStore store(*posix, dir.path);
  auto id = BlockId::random();
  auto data = randomBytes(5000, 4);
  store.put(id, data);
  uint64_t used = store.usedBytes();
  store.put(id, data);  // same size: no-op
  EXPECT_EQ(store.usedBytes(), used);
  EXPECT_TRUE(has(exceptionText([&]() { store.put(id, data.slice(0, 10)); }), "block exists with a different size"));
  EXPECT_TRUE(store.remove(id));
  EXPECT_FALSE(store.remove(id));
  EXPECT_EQ(store.stat(id), nullptr);
  EXPECT_EQ(store.usedBytes(), 0u);
  EXPECT_EQ(posix->openRead(blockPath(dir.path, id)), nullptr);
  EXPECT_TRUE(has(exceptionText([&]() { store.read(id, 0, 1); }), "no such block"));
}

TEST_F(BlockStoreTest, BlockPathLayout) {
  BlockId id{0x0123456789abcdefULL, 0xfedcba9876543210ULL};
  EXPECT_EQ(blockPath("/d", id), "/d/blocks/01/23/0123456789abcdeffedcba9876543210");
}

}  // namespace
}  // namespace dfs
