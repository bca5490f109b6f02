// Tests for BlockId: randomness, hex round trip, rejection of malformed hex.
#include <gtest/gtest.h>
#include "common/base/block_id.h"

namespace dfs {
namespace {

TEST(BlockId, RandomIdsDifferAndAreNonZero) {
  auto a = BlockId::random();
  auto b = BlockId::random();
  EXPECT_FALSE(a.isZero());
  EXPECT_NE(a, b);
}

TEST(BlockId, HexRoundTrip) {
  BlockId id{0x0123456789abcdefULL, 0xfedcba9876543210ULL};
  EXPECT_EQ(id.hex(), "0123456789abcdeffedcba9876543210");
  BlockId back;
  ASSERT_TRUE(BlockId::parseHex(id.hex(), back));
  EXPECT_EQ(back, id);
}

TEST(BlockId, ParseRejectsBadInput) {
  BlockId out;
  EXPECT_FALSE(BlockId::parseHex("", out));
  EXPECT_FALSE(BlockId::parseHex("0123456789ABCDEFfedcba9876543210", out));
  EXPECT_FALSE(BlockId::parseHex("0123456789abcdeffedcba987654321", out));
  EXPECT_FALSE(BlockId::parseHex("0123456789abcdeffedcba987654321g", out));
}

}  // namespace
}  // namespace dfs
