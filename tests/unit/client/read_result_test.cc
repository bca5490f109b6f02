// Tests for ReadResult: pieces in order (zeros, copies, segments filled later), the
// segments held until it goes, and a segment too short refused.
#include "client/io/read_result.h"
#include <gtest/gtest.h>
#include <string>

namespace dfs {
namespace {

kj::Own<SharedBytes> segment(kj::StringPtr text) {
  return kj::refcounted<SharedBytes>(kj::heapArray<kj::byte>(text.asBytes()));
}

std::string text(const ReadResult& r) {
  auto bytes = r.flatten();
  return std::string(bytes.asChars().begin(), bytes.size());
}

TEST(ReadResult, PiecesInFileOrderWhateverOrderTheyArrive) {
  ReadResult r;
  r.addCopy(kj::StringPtr("ab").asBytes());
  size_t first = r.addLater(3);
  r.addZeros(2);
  size_t second = r.addLater(4);
  r.addCopy(nullptr);  // nothing
  EXPECT_EQ(r.size(), 11u);
  auto late = segment("0123456789");
  r.fill(second, late->addRef(), 6);
  r.fill(first, segment("xyzw"), 1);
  EXPECT_EQ(text(r), std::string("abyzw\0\0" "6789", 11));
  // It holds the segment: the bytes stay valid when the cache lets go.
  late = nullptr;
  EXPECT_EQ(text(r), std::string("abyzw\0\0" "6789", 11));
  size_t total = 0;
  for (auto& piece : r.pieces()) total += piece.iov_len;
  EXPECT_EQ(total, r.size());
}

TEST(ReadResult, LongHolesAreManyPiecesOfZeros) {
  ReadResult r;
  r.addZeros(200000);
  EXPECT_EQ(r.size(), 200000u);
  EXPECT_GT(r.pieces().size(), 1u);
  EXPECT_EQ(text(r), std::string(200000, '\0'));
}

TEST(ReadResult, SegmentTooShortIsRefused) {
  ReadResult r;
  size_t place = r.addLater(5);
  EXPECT_ANY_THROW(r.fill(place, segment("abcdef"), 2));
  EXPECT_ANY_THROW(r.fill(place, segment("abc"), 4));
  EXPECT_ANY_THROW(r.flatten());  // still not filled
  r.fill(place, segment("abcdef"), 1);
  EXPECT_EQ(text(r), "bcdef");
}

}  // namespace
}  // namespace dfs
