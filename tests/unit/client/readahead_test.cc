// Tests for Readahead: sequential detection, a growing and bounded window, no prefetch for
// random reads.
#include <gtest/gtest.h>
#include "client/io/readahead.h"

namespace dfs {
namespace {

constexpr uint64_t K = 1024, M = 1024 * 1024;

TEST(Readahead, SequentialReadsPrefetchAGrowingWindow) {
  Readahead ra;
  EXPECT_TRUE(ra.onRead(0, 128 * K).empty());  // one read is no pattern yet
  auto r = ra.onRead(128 * K, 128 * K);
  EXPECT_TRUE(ra.sequential());
  EXPECT_EQ(r.begin, 256 * K);
  EXPECT_EQ(r.end, 256 * K + 1 * M);
  uint64_t issued = r.end, last = 1 * M;
  // Reading on: every prefetch starts where the last ended, and the window doubles up to
  // the maximum.
  for (uint64_t off = 256 * K; off < 256 * M; off += 128 * K) {
    auto n = ra.onRead(off, 128 * K);
    if (n.empty()) continue;
    EXPECT_EQ(n.begin, issued);
    EXPECT_GT(n.end, n.begin);
    EXPECT_LE(n.end - (off + 128 * K), kReadaheadMaxWindow);
    EXPECT_GE(ra.window(), last);
    last = ra.window();
    issued = n.end;
  }
  EXPECT_EQ(ra.window(), kReadaheadMaxWindow);
  EXPECT_GT(issued, 256 * M);
}

TEST(Readahead, RandomReadsNeverPrefetch) {
  Readahead ra;
  uint64_t x = 12345;
  for (int i = 0; i < 10000; i++) {
    x = x * 6364136223846793005ULL + 1442695040888963407ULL;
    uint64_t off = (x >> 20) % (1024 * M) / (4 * K) * (4 * K);
    auto r = ra.onRead(off, 4 * K);
    if (!r.empty()) {
      // Only two reads in a row that happen to continue each other could; they must have.
      EXPECT_TRUE(ra.sequential());
    }
  }
  // Alternating far apart: never sequential.
  Readahead alt;
  for (int i = 0; i < 100; i++) {
    EXPECT_TRUE(alt.onRead((i % 2) * 512 * M + i * 4 * K, 4 * K).empty());
  }
  EXPECT_FALSE(alt.sequential());
}

TEST(Readahead, SmallReorderingStaysSequentialAndAJumpResets) {
  Readahead ra;
  ra.onRead(0, 128 * K);
  ra.onRead(256 * K, 128 * K);  // skipped one request (kernel reordering)
  EXPECT_TRUE(ra.sequential());
  ra.onRead(128 * K, 128 * K);  // the late one
  EXPECT_TRUE(ra.sequential());
  EXPECT_GT(ra.window(), 0u);
  ra.onRead(900 * M, 128 * K);  // a seek far away
  EXPECT_FALSE(ra.sequential());
  EXPECT_EQ(ra.window(), 0u);
  // Sequential again from the new place (two reads continuing): prefetch starts after the
  // read, not where the old run was.
  EXPECT_TRUE(ra.onRead(900 * M + 128 * K, 128 * K).empty());
  auto r = ra.onRead(900 * M + 256 * K, 128 * K);
  EXPECT_EQ(r.begin, 900 * M + 384 * K);
}

TEST(Readahead, StoppedShortAsksAgainAndZeroIsOff) {
  Readahead ra;
  ra.onRead(0, 128 * K);
  auto r = ra.onRead(128 * K, 128 * K);
  ra.stoppedAt(512 * K);
  auto again = ra.onRead(256 * K, 128 * K);
  EXPECT_EQ(again.begin, 512 * K);
  EXPECT_GT(again.end, r.end);

  Readahead off(0);
  for (uint64_t o = 0; o < 16 * M; o += 128 * K) EXPECT_TRUE(off.onRead(o, 128 * K).empty());
}

}  // namespace
}  // namespace dfs
