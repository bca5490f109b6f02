// Tests for AbsentXattrs: expiry, forgetting, bounded size.
#include "client/cache/absent_xattrs.h"
#include <gtest/gtest.h>

namespace dfs {
namespace {

TEST(AbsentXattrs, RememberedUntilTtl) {
  AbsentXattrs cache(1 * kj::SECONDS, 10);
  kj::TimePoint t0 = kj::origin<kj::TimePoint>() + 100 * kj::SECONDS;
  EXPECT_FALSE(cache.absent(5, t0));
  cache.remember(5, t0);
  EXPECT_TRUE(cache.absent(5, t0));
  EXPECT_TRUE(cache.absent(5, t0 + 999 * kj::MILLISECONDS));
  EXPECT_FALSE(cache.absent(5, t0 + 1 * kj::SECONDS));
  EXPECT_FALSE(cache.absent(6, t0));
  cache.remember(5, t0);
  cache.forget(5);
  EXPECT_FALSE(cache.absent(5, t0));
}

TEST(AbsentXattrs, BoundedSize) {
  AbsentXattrs cache(1 * kj::SECONDS, 3);
  kj::TimePoint t0 = kj::origin<kj::TimePoint>();
  for (uint64_t i = 0; i < 3; ++i) cache.remember(i, t0);
  EXPECT_EQ(cache.size(), 3u);
  cache.remember(1, t0);  // already known: no eviction
  EXPECT_EQ(cache.size(), 3u);
  cache.remember(9, t0);  // full: starts over
  EXPECT_EQ(cache.size(), 1u);
  EXPECT_TRUE(cache.absent(9, t0));
  EXPECT_FALSE(cache.absent(0, t0));
}

}  // namespace
}  // namespace dfs
