// Tests for strict number parsing: digits only, bounds (including single digits), overflow.
#include <gtest/gtest.h>
#include "common/base/parse.h"

namespace dfs {
namespace {

TEST(ParseUnsigned, AcceptsDigitsWithinMax) {
  uint64_t v = 0;
  EXPECT_TRUE(parseUnsigned("0", v));
  EXPECT_EQ(v, 0u);
  EXPECT_TRUE(parseUnsigned("8", v, 8));
  EXPECT_EQ(v, 8u);
  EXPECT_TRUE(parseUnsigned("18446744073709551615", v));
  EXPECT_EQ(v, UINT64_MAX);
}

TEST(ParseUnsigned, RejectsOutOfRangeAndJunk) {
  uint64_t v = 0;
  EXPECT_FALSE(parseUnsigned("9", v, 8));
  EXPECT_FALSE(parseUnsigned("10", v, 8));
  EXPECT_FALSE(parseUnsigned("18446744073709551616", v));
  EXPECT_FALSE(parseUnsigned("", v));
  EXPECT_FALSE(parseUnsigned(" 2", v));
  EXPECT_FALSE(parseUnsigned("+2", v));
  EXPECT_FALSE(parseUnsigned("-1", v));
  EXPECT_FALSE(parseUnsigned("2x", v));
}

}  // namespace
}  // namespace dfs
