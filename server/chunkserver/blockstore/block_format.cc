// Block file header encoding and decoding, and data directory file names.
#include "server/chunkserver/blockstore/block_format.h"

#include "common/base/limits.h"
#include "common/codec/crc32c.h"

#include <kj/debug.h>
#include <stdlib.h>
#include <string.h>

namespace dfs {
namespace {

constexpr char kMagic[8] = {'D', 'F', 'S', 'B', 'L', 'K', '0', '1'};

void put32(kj::byte* p, uint32_t v) {
  for (int i = 0; i < 4; i++) p[i] = kj::byte(v >> (8 * i));
}
void put64(kj::byte* p, uint64_t v) {
  for (int i = 0; i < 8; i++) p[i] = kj::byte(v >> (8 * i));
}
uint32_t get32(const kj::byte* p) {
  uint32_t v = 0;
  for (int i = 3; i >= 0; i--) v = (v << 8) | p[i];
  return v;
}
uint64_t get64(const kj::byte* p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; i--) v = (v << 8) | p[i];
  return v;
}

uint32_t chunkCountFor(uint64_t size) {
  return uint32_t((size + kChecksumChunk - 1) / kChecksumChunk);
}

}  // namespace

size_t blockHeaderLength(uint64_t blockSize) {
  return kBlockHeaderFixed + 4 * size_t(chunkCountFor(blockSize)) + 4;
}

namespace {

// Frees arrays from posix_memalign().
class FreeDisposer final : public kj::ArrayDisposer {
protected:
  void disposeImpl(void* firstElement, size_t, size_t, size_t,
                   void (*)(void*)) const override {
    free(firstElement);
  }
};
const FreeDisposer freeDisposer;

}  // namespace

BlockFileBuffer::BlockFileBuffer(uint64_t blockSize) {
  KJ_REQUIRE(blockSize >= 1 && blockSize <= kMaxBlockSize, "bad block size", blockSize);
  headerLength = blockHeaderLength(blockSize);
  fileSize = headerLength + blockSize;
  size_t padded = (fileSize + kDirectIoAlign - 1) / kDirectIoAlign * kDirectIoAlign;
  void* p = nullptr;
  KJ_ASSERT(posix_memalign(&p, kDirectIoAlign, padded) == 0, "out of memory", padded);
  storage = kj::Array<kj::byte>(static_cast<kj::byte*>(p), padded, freeDisposer);
  memset(storage.begin() + fileSize, 0, padded - fileSize);
}

BlockFileBuffer BlockFileBuffer::of(kj::ArrayPtr<const kj::byte> data) {
  BlockFileBuffer buffer(data.size());
  memcpy(buffer.data().begin(), data.begin(), data.size());
  buffer.sealHeader();
  return buffer;
}

void BlockFileBuffer::sealHeader() {
  uint64_t size = blockSize();
  uint32_t n = chunkCountFor(size);
  kj::byte* p = storage.begin();
  const kj::byte* d = p + headerLength;
  memcpy(p, kMagic, 8);
  put32(p + 8, kBlockFormatVersion);
  put32(p + 12, uint32_t(kChecksumChunk));
  put64(p + 16, size);
  put32(p + 24, n);
  for (uint32_t i = 0; i < n; i++) {
    size_t begin = size_t(i) * kChecksumChunk;
    size_t len = kj::min(size_t(kChecksumChunk), size_t(size) - begin);
    put32(p + kBlockHeaderFixed + 4 * i, crc32c(d + begin, len));
  }
  put32(p + headerLength - 4, crc32c(p, headerLength - 4));
}

kj::Maybe<uint64_t> firstBadChunk(const BlockHeader& header, kj::ArrayPtr<const kj::byte> span,
                                  uint64_t firstChunk, uint64_t lastChunk) {
  uint64_t spanBegin = firstChunk * kChecksumChunk;
  for (uint64_t c = firstChunk; c <= lastChunk; c++) {
    uint64_t b = c * kChecksumChunk - spanBegin;
    uint64_t len = kj::min(uint64_t(kChecksumChunk), header.blockSize - c * kChecksumChunk);
    if (crc32c(span.begin() + b, len) != header.chunkCrcs[c]) return c;
  }
  return nullptr;
}

size_t headerLengthFromFixed(kj::ArrayPtr<const kj::byte> fixed) {
  KJ_REQUIRE(fixed.size() >= kBlockHeaderFixed, "bad block header: short");
  const kj::byte* p = fixed.begin();
  if (memcmp(p, kMagic, 8) != 0) KJ_FAIL_ASSERT("bad block header: magic");
  if (get32(p + 8) != kBlockFormatVersion) KJ_FAIL_ASSERT("bad block header: version");
  if (get32(p + 12) != kChecksumChunk) KJ_FAIL_ASSERT("bad block header: chunk size");
  uint64_t size = get64(p + 16);
  if (size < 1 || size > kMaxBlockSize) KJ_FAIL_ASSERT("bad block header: size", size);
  uint32_t n = get32(p + 24);
  if (n != chunkCountFor(size)) KJ_FAIL_ASSERT("bad block header: chunk count", n);
  return kBlockHeaderFixed + 4 * size_t(n) + 4;
}

BlockHeader decodeBlockHeader(kj::ArrayPtr<const kj::byte> header) {
  size_t len = headerLengthFromFixed(header);
  KJ_REQUIRE(header.size() == len, "bad block header: length");
  const kj::byte* p = header.begin();
  if (crc32c(p, len - 4) != get32(p + len - 4)) {
    KJ_FAIL_ASSERT("checksum mismatch", "block header");
  }
  BlockHeader h;
  h.blockSize = get64(p + 16);
  h.chunkSize = get32(p + 12);
  uint32_t n = get32(p + 24);
  h.chunkCrcs = kj::heapArray<uint32_t>(n);
  for (uint32_t i = 0; i < n; i++) h.chunkCrcs[i] = get32(p + kBlockHeaderFixed + 4 * i);
  return h;
}

kj::String blocksDir(kj::StringPtr dataDir) { return kj::str(dataDir, "/blocks"); }
kj::String tmpDir(kj::StringPtr dataDir) { return kj::str(dataDir, "/tmp"); }
kj::String corruptDir(kj::StringPtr dataDir) { return kj::str(dataDir, "/corrupt"); }
kj::String corruptPath(kj::StringPtr dataDir, BlockId id) {
  return kj::str(dataDir, "/corrupt/", id.hex());
}

kj::String blockDir1(kj::StringPtr dataDir, BlockId id) {
  auto hex = id.hex();
  return kj::str(dataDir, "/blocks/", hex.slice(0, 2));
}
kj::String blockDir2(kj::StringPtr dataDir, BlockId id) {
  auto hex = id.hex();
  return kj::str(dataDir, "/blocks/", hex.slice(0, 2), "/", kj::heapString(hex.slice(2, 4)));
}
kj::String blockPath(kj::StringPtr dataDir, BlockId id) {
  auto hex = id.hex();
  return kj::str(dataDir, "/blocks/", kj::heapString(hex.slice(0, 2)), "/",
                 kj::heapString(hex.slice(2, 4)), "/", hex);
}

}  // namespace dfs
