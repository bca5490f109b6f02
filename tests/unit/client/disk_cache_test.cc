// Tests for DiskCache: loads and stores through the worker thread, reuse after reopening,
// a corrupt file as a miss, an unusable directory as an always-empty cache.
#include <gtest/gtest.h>
#include <kj/async.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>
#include <string>
#include "client/cache/disk_cache.h"

namespace dfs {
namespace {

class TempDir {
public:
  TempDir() {
    char tmpl[] = "/tmp/dfs-diskcache-XXXXXX";
    path = mkdtemp(tmpl);
  }
  ~TempDir() { (void)system(("rm -rf '" + path + "'").c_str()); }
  std::string path;
};

kj::Own<SharedBytes> bytes(size_t n, kj::byte fill) {
  auto a = kj::heapArray<kj::byte>(n);
  for (size_t i = 0; i < n; i++) a[i] = static_cast<kj::byte>(fill + i);
  return kj::refcounted<SharedBytes>(kj::mv(a));
}

// The event loop and a temporary directory of one test (not a gtest fixture: an EventLoop's
// destructor may throw).
struct Env {
  kj::EventLoop loop;
  kj::WaitScope ws{loop};
  TempDir dir;

  kj::Maybe<kj::Own<SharedBytes>> load(DiskCache& c, const SegmentKey& k) {
    return c.load(k).wait(ws);
  }
};

TEST(DiskCache, StoreLoadAndReuseAfterReopen) {
  Env env;
  auto& ws = env.ws;
  auto& dir = env.dir;
  auto load = [&](DiskCache& c, const SegmentKey& k) { return env.load(c, k); };
  SegmentKey k{BlockId{3, 4}, 2};
  {
    DiskCache cache(dir.path.c_str(), 1 << 20);
    cache.idle().wait(ws);
    EXPECT_TRUE(load(cache, k) == nullptr);
    cache.store(k, bytes(5000, 9));
    cache.store(k, bytes(5000, 9));  // already stored or queued: ignored
    cache.idle().wait(ws);
    KJ_IF_MAYBE(got, load(cache, k)) {
      EXPECT_TRUE((*got)->get() == bytes(5000, 9)->get());
    } else {
      FAIL() << "expected a hit";
    }
    auto s = cache.stats();
    EXPECT_EQ(s.hits, 1u);
    EXPECT_EQ(s.misses, 1u);
    EXPECT_EQ(s.bytesWritten, 5000u);
    EXPECT_EQ(s.bytesRead, 5000u);
    EXPECT_EQ(s.usedBytes, 5000 + SegmentFiles::kHeaderSize);
    EXPECT_EQ(s.errors, 0u);
  }
  DiskCache again(dir.path.c_str(), 1 << 20);
  again.idle().wait(ws);
  EXPECT_TRUE(load(again, k) != nullptr);
}

TEST(DiskCache, CorruptFileIsAMiss) {
  Env env;
  auto& ws = env.ws;
  auto& dir = env.dir;
  auto load = [&](DiskCache& c, const SegmentKey& k) { return env.load(c, k); };
  SegmentKey k{BlockId{5, 6}, 0};
  DiskCache cache(dir.path.c_str(), 1 << 20);
  cache.store(k, bytes(3000, 1));
  cache.idle().wait(ws);
  auto path = dir.path + "/" + SegmentFiles::fileName(k).cStr();
  int fd = open(path.c_str(), O_WRONLY);
  ASSERT_GE(fd, 0);
  kj::byte x = 0;
  ASSERT_EQ(pwrite(fd, &x, 1, SegmentFiles::kHeaderSize + 2999), 1);
  close(fd);
  EXPECT_TRUE(load(cache, k) == nullptr);
  EXPECT_EQ(cache.stats().errors, 1u);
  EXPECT_NE(access(path.c_str(), F_OK), 0);
  // Stored again, it is good again.
  cache.store(k, bytes(3000, 1));
  cache.idle().wait(ws);
  EXPECT_TRUE(load(cache, k) != nullptr);
}

TEST(DiskCache, StaysWithinItsBound) {
  Env env;
  auto& ws = env.ws;
  auto& dir = env.dir;
  auto load = [&](DiskCache& c, const SegmentKey& k) { return env.load(c, k); };
  uint64_t one = 10000 + SegmentFiles::kHeaderSize;
  DiskCache cache(dir.path.c_str(), 5 * one);
  for (uint64_t i = 0; i < 20; i++) {
    cache.store(SegmentKey{BlockId{9, i + 1}, 0}, bytes(10000, kj::byte(i)));
  }
  cache.idle().wait(ws);
  auto s = cache.stats();
  EXPECT_LE(s.usedBytes, 5 * one);
  EXPECT_EQ(s.evictions, 15u);
  EXPECT_TRUE(load(cache, SegmentKey{BlockId{9, 1}, 0}) == nullptr);
  EXPECT_TRUE(load(cache, SegmentKey{BlockId{9, 20}, 0}) != nullptr);
}

TEST(DiskCache, UnusableDirectoryIsAnEmptyCache) {
  Env env;
  auto& ws = env.ws;
  auto& dir = env.dir;
  auto load = [&](DiskCache& c, const SegmentKey& k) { return env.load(c, k); };
  // A directory below a regular file cannot be created.
  std::string file = dir.path + "/plain";
  close(open(file.c_str(), O_CREAT | O_WRONLY, 0600));
  DiskCache cache((file + "/cache").c_str(), 1 << 20);
  SegmentKey k{BlockId{1, 1}, 0};
  cache.store(k, bytes(100, 1));
  cache.idle().wait(ws);
  EXPECT_TRUE(load(cache, k) == nullptr);
  cache.store(k, bytes(100, 1));
  cache.idle().wait(ws);
  EXPECT_EQ(cache.stats().errors, 1u);
  EXPECT_EQ(cache.stats().bytesWritten, 0u);
}

}  // namespace
}  // namespace dfs
