// Tests for the client's block cache: hits, LRU eviction by bytes, replacement.
#include <gtest/gtest.h>
#include <kj/debug.h>
#include "client/cache/block_cache.h"

namespace dfs {
namespace {

kj::Own<SharedBytes> bytes(size_t n, kj::byte fill) {
  auto a = kj::heapArray<kj::byte>(n);
  for (auto& b : a) b = fill;
  return kj::refcounted<SharedBytes>(kj::mv(a));
}

TEST(BlockCache, HitAndMiss) {
  BlockCache cache(1000);
  SegmentKey k{BlockId{1, 2}, 0};
  EXPECT_TRUE(cache.get(k) == nullptr);
  cache.put(k, bytes(10, 7));
  KJ_IF_MAYBE(hit, cache.get(k)) {
    EXPECT_EQ((*hit)->get().size(), 10u);
    EXPECT_EQ((*hit)->get()[9], 7);
  } else {
    FAIL() << "expected a hit";
  }
  EXPECT_TRUE(cache.get(SegmentKey{BlockId{1, 2}, 1}) == nullptr);
  EXPECT_EQ(cache.hits(), 1u);
  EXPECT_EQ(cache.misses(), 2u);
}

TEST(BlockCache, EvictsLeastRecentlyUsedByBytes) {
  BlockCache cache(300);
  SegmentKey a{BlockId{1, 1}, 0}, b{BlockId{2, 2}, 0}, c{BlockId{3, 3}, 0};
  cache.put(a, bytes(100, 1));
  cache.put(b, bytes(100, 2));
  cache.put(c, bytes(100, 3));
  EXPECT_EQ(cache.sizeBytes(), 300u);
  EXPECT_TRUE(cache.get(a) != nullptr);  // a is now most recent; b is the oldest
  cache.put(SegmentKey{BlockId{4, 4}, 0}, bytes(100, 4));
  EXPECT_TRUE(cache.get(b) == nullptr);
  EXPECT_TRUE(cache.get(a) != nullptr);
  EXPECT_TRUE(cache.get(c) != nullptr);
  EXPECT_EQ(cache.sizeBytes(), 300u);
}

TEST(BlockCache, ReplaceAndOversize) {
  BlockCache cache(100);
  SegmentKey a{BlockId{1, 1}, 0};
  cache.put(a, bytes(50, 1));
  cache.put(a, bytes(60, 2));
  EXPECT_EQ(cache.sizeBytes(), 60u);
  cache.put(SegmentKey{BlockId{9, 9}, 0}, bytes(101, 3));  // larger than the cache: not kept
  EXPECT_EQ(cache.sizeBytes(), 60u);
  EXPECT_TRUE(cache.get(a) != nullptr);
}

TEST(BlockCache, EraseKeepsReadersCopies) {
  BlockCache cache(1000);
  SegmentKey a{BlockId{1, 1}, 0}, b{BlockId{2, 2}, 0};
  cache.put(a, bytes(100, 1));
  cache.put(b, bytes(100, 2));
  auto held = KJ_ASSERT_NONNULL(cache.get(a));
  cache.erase(a);
  cache.erase(SegmentKey{BlockId{9, 9}, 0});  // absent: nothing happens
  EXPECT_EQ(cache.sizeBytes(), 100u);
  EXPECT_TRUE(cache.get(a) == nullptr);
  EXPECT_TRUE(cache.get(b) != nullptr);
  EXPECT_EQ(held->get()[99], 1);
}

}  // namespace
}  // namespace dfs
