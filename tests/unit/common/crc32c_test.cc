// Tests for CRC32C: known vectors, incremental use, hardware/software agreement.
#include <gtest/gtest.h>
#include <string>
#include "common/codec/crc32c.h"

namespace dfs {
namespace {

TEST(Crc32c, KnownVectors) {
  EXPECT_EQ(crc32c("", 0), 0u);
  EXPECT_EQ(crc32c("123456789", 9), 0xe3069283u);
  std::string zeros(32, '\0');
  EXPECT_EQ(crc32c(zeros.data(), zeros.size()), 0x8a9136aau);
}

TEST(Crc32c, Incremental) {
  std::string text = "The quick brown fox jumps over the lazy dog, many times over.";
  uint32_t whole = crc32c(text.data(), text.size());
  for (size_t split = 0; split <= text.size(); split++) {
    uint32_t part = crc32c(text.data(), split);
    EXPECT_EQ(crc32c(text.data() + split, text.size() - split, part), whole);
  }
}

}  // namespace
}  // namespace dfs
