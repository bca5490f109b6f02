// Tests for HoleScan: SEEK_DATA / SEEK_HOLE answers over extent pieces, minimum hole size.
#include "client/io/hole_scan.h"
#include <gtest/gtest.h>
#include <utility>
#include <vector>

namespace dfs {
namespace {

constexpr uint64_t kMin = 1000;  // smallest reported hole in these tests
constexpr int64_t kEnxio = -1;

// Runs a scan over `pieces` of a file of `size`, as the client does; -1 = ENXIO.
int64_t seek(const std::vector<std::pair<uint64_t, uint64_t>>& pieces, uint64_t size,
             uint64_t off, bool data) {
  HoleScan scan(off, data, size, kMin);
  uint64_t from = HoleScan::scanFrom(off, kMin);
  for (auto& p : pieces) {
    if (p.second <= from) continue;  // not in the window the client fetches
    KJ_IF_MAYBE(hit, scan.piece(p.first, p.second)) return static_cast<int64_t>(*hit);
  }
  KJ_IF_MAYBE(hit, scan.finish()) return static_cast<int64_t>(*hit);
  return kEnxio;
}

TEST(HoleScan, BigHolesAreReportedExactly) {
  // data [0,100), hole [100,5000), data [5000,6000), trailing hole to 9000
  std::vector<std::pair<uint64_t, uint64_t>> p{{0, 100}, {5000, 6000}};
  EXPECT_EQ(seek(p, 9000, 0, true), 0);
  EXPECT_EQ(seek(p, 9000, 0, false), 100);
  EXPECT_EQ(seek(p, 9000, 50, false), 100);
  EXPECT_EQ(seek(p, 9000, 100, true), 5000);
  EXPECT_EQ(seek(p, 9000, 2000, true), 5000);
  EXPECT_EQ(seek(p, 9000, 2000, false), 2000);
  EXPECT_EQ(seek(p, 9000, 5000, false), 6000);
  EXPECT_EQ(seek(p, 9000, 5500, true), 5500);
  EXPECT_EQ(seek(p, 9000, 6000, true), kEnxio);
  EXPECT_EQ(seek(p, 9000, 8999, false), 8999);
}

TEST(HoleScan, SmallGapsCountAsData) {
  // data [0,100), small gap [100,600), data [600,700), big hole [700,3000), data to 3500
  std::vector<std::pair<uint64_t, uint64_t>> p{{0, 100}, {600, 700}, {3000, 3500}};
  EXPECT_EQ(seek(p, 3500, 0, false), 700);
  EXPECT_EQ(seek(p, 3500, 300, true), 300);    // inside the small gap: data
  EXPECT_EQ(seek(p, 3500, 300, false), 700);
  EXPECT_EQ(seek(p, 3500, 700, true), 3000);
  EXPECT_EQ(seek(p, 3500, 3000, false), 3500);  // the end of file
  EXPECT_EQ(seek(p, 3500, 3499, true), 3499);
}

TEST(HoleScan, GapsBeforeTheOffsetAreMeasuredWhole) {
  // A gap [100, 1050) is 950 bytes: data, even seen from 1040 (its tail is 10 bytes).
  std::vector<std::pair<uint64_t, uint64_t>> p{{0, 100}, {1050, 2000}};
  EXPECT_EQ(seek(p, 2000, 1040, true), 1040);
  EXPECT_EQ(seek(p, 2000, 1040, false), 2000);
  // A gap [0, 1500) from the start of file: a hole, also seen from inside.
  std::vector<std::pair<uint64_t, uint64_t>> q{{1500, 2000}};
  EXPECT_EQ(seek(q, 2000, 1400, true), 1500);
  EXPECT_EQ(seek(q, 2000, 1400, false), 1400);
  EXPECT_EQ(seek(q, 2000, 0, false), 0);
  // A gap reaching back past scanFrom() is long enough whatever its visible part.
  std::vector<std::pair<uint64_t, uint64_t>> r{{0, 10}, {5000, 6000}};
  EXPECT_EQ(seek(r, 6000, 4999, false), 4999);
  EXPECT_EQ(seek(r, 6000, 4999, true), 5000);
}

TEST(HoleScan, EmptyAndSmallTrailingHoles) {
  EXPECT_EQ(seek({}, 5000, 0, true), kEnxio);
  EXPECT_EQ(seek({}, 5000, 0, false), 0);
  EXPECT_EQ(seek({}, 10, 3, false), 3);
  // A short hole at the end of file is still a hole (the end of file follows it).
  std::vector<std::pair<uint64_t, uint64_t>> p{{0, 100}};
  EXPECT_EQ(seek(p, 150, 0, false), 100);
  EXPECT_EQ(seek(p, 150, 120, true), kEnxio);
  EXPECT_EQ(seek(p, 100, 0, false), 100);
}

}  // namespace
}  // namespace dfs
