// ReadResult: the bytes a read answers, as pieces in file order (parts of cached segments,
// held here until the reply is written; copies of inline bytes; zeros for holes), so the
// FUSE reply goes to the kernel in one writev without first copying it into one buffer.
#pragma once

#include "client/cache/block_cache.h"
#include <kj/array.h>
#include <kj/vector.h>
#include <sys/uio.h>

namespace dfs {

class ReadResult {
public:
  ReadResult() = default;
  ReadResult(ReadResult&&) = default;
  ReadResult& operator=(ReadResult&&) = default;
  KJ_DISALLOW_COPY(ReadResult);

  // Appends `n` zero bytes.
  void addZeros(uint64_t n);
  // Appends a copy of `bytes`.
  void addCopy(kj::ArrayPtr<const kj::byte> bytes);
  // Appends a place for `n` bytes that fill() provides later; returns the place's index.
  size_t addLater(uint64_t n);
  // Fills place `index` with its bytes from `bytes` starting at `at` (held until this is
  // destroyed). Requires `bytes` to have them.
  void fill(size_t index, kj::Own<SharedBytes> bytes, size_t at);

  // Pieces one reply may take: a writev takes at most IOV_MAX (1024), and the kernel
  // copies many tiny ones (a file written a line at a time) slower than one buffer.
  static constexpr size_t kMaxPieces = 64;

  size_t size() const { return total; }
  // Every place filled: the pieces for writev.
  kj::ArrayPtr<const struct iovec> pieces() const { return iov; }
  // All bytes in one array.
  kj::Array<kj::byte> flatten() const;

private:
  kj::Vector<struct iovec> iov;
  kj::Vector<kj::Own<SharedBytes>> holds;
  kj::Vector<kj::Array<kj::byte>> copies;
  size_t total = 0;
};

}  // namespace dfs
