// Tests for SegmentFiles: store/load, corruption and short files as misses, the size
// bound with LRU eviction, reuse of the directory after reopening, unwritable directory.
#include <gtest/gtest.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cstdio>
#include <string>
#include "client/cache/segment_files.h"

namespace dfs {
namespace {

class TempDir {
public:
  TempDir() {
    char tmpl[] = "/tmp/dfs-segfiles-XXXXXX";
    path = mkdtemp(tmpl);
  }
  ~TempDir() { (void)system(("rm -rf '" + path + "'").c_str()); }
  std::string path;
};

kj::Array<kj::byte> bytes(size_t n, kj::byte fill) {
  auto a = kj::heapArray<kj::byte>(n);
  for (size_t i = 0; i < n; i++) a[i] = static_cast<kj::byte>(fill + i % 7);
  return a;
}

std::string fileOf(const TempDir& d, const SegmentKey& k) {
  return d.path + "/" + SegmentFiles::fileName(k).cStr();
}

TEST(SegmentFiles, StoreAndLoad) {
  TempDir d;
  SegmentFiles files(d.path.c_str(), 1 << 20);
  SegmentKey k{BlockId{1, 2}, 3};
  EXPECT_TRUE(files.load(k) == nullptr);
  auto data = bytes(1000, 5);
  ASSERT_TRUE(files.store(k, data));
  EXPECT_EQ(files.usedBytes(), 1000 + SegmentFiles::kHeaderSize);
  KJ_IF_MAYBE(got, files.load(k)) {
    EXPECT_TRUE(*got == data.asPtr());
  } else {
    FAIL() << "expected a hit";
  }
  EXPECT_TRUE(files.load(SegmentKey{BlockId{1, 2}, 4}) == nullptr);
}

TEST(SegmentFiles, CorruptOrShortFileIsAMissAndDeleted) {
  TempDir d;
  SegmentFiles files(d.path.c_str(), 1 << 20);
  SegmentKey a{BlockId{7, 7}, 0}, b{BlockId{8, 8}, 1};
  ASSERT_TRUE(files.store(a, bytes(4096, 1)));
  ASSERT_TRUE(files.store(b, bytes(4096, 2)));
  // Flip one data byte of a (same size: only the checksum notices).
  int fd = open(fileOf(d, a).c_str(), O_WRONLY);
  ASSERT_GE(fd, 0);
  kj::byte x = 0xff;
  ASSERT_EQ(pwrite(fd, &x, 1, SegmentFiles::kHeaderSize + 100), 1);
  close(fd);
  // Cut b short.
  ASSERT_EQ(truncate(fileOf(d, b).c_str(), 2000), 0);

  EXPECT_TRUE(files.load(a) == nullptr);
  EXPECT_TRUE(files.load(b) == nullptr);
  EXPECT_EQ(files.corruptions(), 2u);
  EXPECT_EQ(files.files(), 0u);
  EXPECT_EQ(files.usedBytes(), 0u);
  EXPECT_NE(access(fileOf(d, a).c_str(), F_OK), 0);
  EXPECT_NE(access(fileOf(d, b).c_str(), F_OK), 0);
  // A corrupt file found by the startup scan is also a miss.
  ASSERT_TRUE(files.store(a, bytes(4096, 1)));
  fd = open(fileOf(d, a).c_str(), O_WRONLY);
  ASSERT_EQ(pwrite(fd, &x, 1, 9), 1);  // inside the block id of the header
  close(fd);
  SegmentFiles reopened(d.path.c_str(), 1 << 20);
  EXPECT_TRUE(reopened.load(a) == nullptr);
  EXPECT_EQ(reopened.files(), 0u);
}

TEST(SegmentFiles, EvictsLeastRecentlyUsedWithinTheBound) {
  TempDir d;
  uint64_t one = 1000 + SegmentFiles::kHeaderSize;
  SegmentFiles files(d.path.c_str(), 3 * one);
  SegmentKey k[5];
  for (int i = 0; i < 5; i++) k[i] = SegmentKey{BlockId{1, uint64_t(i + 1)}, 0};
  for (int i = 0; i < 3; i++) ASSERT_TRUE(files.store(k[i], bytes(1000, i)));
  EXPECT_TRUE(files.load(k[0]) != nullptr);  // k[1] is now the oldest
  ASSERT_TRUE(files.store(k[3], bytes(1000, 3)));
  EXPECT_LE(files.usedBytes(), 3 * one);
  EXPECT_EQ(files.evictions(), 1u);
  EXPECT_TRUE(files.load(k[1]) == nullptr);
  EXPECT_NE(access(fileOf(d, k[1]).c_str(), F_OK), 0);
  EXPECT_TRUE(files.load(k[0]) != nullptr);
  EXPECT_TRUE(files.load(k[2]) != nullptr);
  EXPECT_TRUE(files.load(k[3]) != nullptr);
  auto dropped = files.takeDropped();
  ASSERT_EQ(dropped.size(), 1u);
  EXPECT_TRUE(dropped[0] == k[1]);
  // Larger than the whole bound: not stored, not an error.
  EXPECT_TRUE(files.store(k[4], bytes(4 * one, 4)));
  EXPECT_TRUE(files.load(k[4]) == nullptr);
}

TEST(SegmentFiles, ReopenReusesFilesAndShrinksToANewBound) {
  TempDir d;
  uint64_t one = 1000 + SegmentFiles::kHeaderSize;
  SegmentKey k[4];
  for (int i = 0; i < 4; i++) k[i] = SegmentKey{BlockId{2, uint64_t(i + 1)}, uint64_t(i)};
  {
    SegmentFiles files(d.path.c_str(), 10 * one);
    for (int i = 0; i < 4; i++) {
      ASSERT_TRUE(files.store(k[i], bytes(1000, i)));
      // Distinct mtimes, oldest first.
      struct timespec ts[2] = {{1000 + i, 0}, {1000 + i, 0}};
      ASSERT_EQ(utimensat(AT_FDCWD, fileOf(d, k[i]).c_str(), ts, 0), 0);
    }
    // A write cut short by a crash.
    FILE* f = fopen((fileOf(d, k[0]) + ".tmp").c_str(), "w");
    fclose(f);
  }
  {
    SegmentFiles files(d.path.c_str(), 10 * one);
    EXPECT_EQ(files.files(), 4u);
    EXPECT_EQ(files.usedBytes(), 4 * one);
    KJ_IF_MAYBE(got, files.load(k[2])) {
      EXPECT_TRUE(*got == bytes(1000, 2).asPtr());
    } else {
      FAIL() << "expected a hit after reopening";
    }
    EXPECT_NE(access((fileOf(d, k[0]) + ".tmp").c_str(), F_OK), 0);
  }
  // A smaller bound keeps the most recent files: k[2] (just loaded) and k[3].
  SegmentFiles files(d.path.c_str(), 2 * one);
  EXPECT_EQ(files.files(), 2u);
  EXPECT_TRUE(files.load(k[2]) != nullptr);
  EXPECT_TRUE(files.load(k[3]) != nullptr);
  EXPECT_TRUE(files.load(k[0]) == nullptr);
}

TEST(SegmentFiles, UnwritableDirectoryFailsStores) {
  TempDir d;
  // Root writes through permissions, but not into /proc.
  std::string path = geteuid() == 0 ? "/proc/self/fdinfo" : d.path;
  SegmentFiles files(path.c_str(), 1 << 20);
  chmod(d.path.c_str(), 0500);
  EXPECT_FALSE(files.store(SegmentKey{BlockId{1, 1}, 0}, bytes(10, 1)));
  EXPECT_EQ(files.files(), 0u);
  EXPECT_TRUE(files.load(SegmentKey{BlockId{1, 1}, 0}) == nullptr);
  chmod(d.path.c_str(), 0700);
}

}  // namespace
}  // namespace dfs
