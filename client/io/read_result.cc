// ReadResult: a read's bytes as pieces for one writev.
#include "client/io/read_result.h"
#include <kj/debug.h>
#include <cstring>

namespace dfs {

namespace {
constexpr size_t kZerosSize = 64u << 10;
// Holes are answered from here.
alignas(4096) const kj::byte kZeros[kZerosSize] = {};
}  // namespace

void ReadResult::addZeros(uint64_t n) {
  while (n > 0) {
    size_t piece = static_cast<size_t>(kj::min(n, uint64_t{kZerosSize}));
    iov.add(iovec{const_cast<kj::byte*>(kZeros), piece});
    total += piece;
    n -= piece;
  }
}

void ReadResult::addCopy(kj::ArrayPtr<const kj::byte> bytes) {
  if (bytes.size() == 0) return;
  auto copy = kj::heapArray<kj::byte>(bytes);
  iov.add(iovec{copy.begin(), copy.size()});
  copies.add(kj::mv(copy));  // moving the array keeps its bytes where they are
  total += bytes.size();
}

size_t ReadResult::addLater(uint64_t n) {
  iov.add(iovec{nullptr, static_cast<size_t>(n)});
  total += n;
  return iov.size() - 1;
}

void ReadResult::fill(size_t index, kj::Own<SharedBytes> bytes, size_t at) {
  auto& piece = iov[index];
  auto b = bytes->get();
  KJ_REQUIRE(at <= b.size() && piece.iov_len <= b.size() - at, "segment shorter than expected",
             at, piece.iov_len, b.size());
  piece.iov_base = const_cast<kj::byte*>(b.begin() + at);
  holds.add(kj::mv(bytes));
}

kj::Array<kj::byte> ReadResult::flatten() const {
  auto out = kj::heapArray<kj::byte>(total);
  size_t at = 0;
  for (auto& piece : iov) {
    KJ_REQUIRE(piece.iov_base != nullptr, "read result not filled");
    memcpy(out.begin() + at, piece.iov_base, piece.iov_len);
    at += piece.iov_len;
  }
  return out;
}

}  // namespace dfs
