// The on-disk block file format: header encoding/decoding and the file names of a data dir.
//
// Layout of a data directory DATA_DIR:
//   DATA_DIR/node-id                     the node id assigned by the master (decimal)
//   DATA_DIR/tmp/<32-hex-id>.<pid>.<n>   blocks written but not yet synced (see BlockStore);
//                                        at startup a complete, verified one is synced and
//                                        moved to its real name, anything else removed
//   DATA_DIR/blocks/xx/yy/<32-hex-id>    one file per block; xx and yy are the first and
//                                        second pair of hex digits of the id
//   DATA_DIR/corrupt/<32-hex-id>         copies found corrupt, kept for inspection (at most
//                                        kMaxQuarantinedFiles; never read by the server)
//
// A block file is a header followed by the block's data. All integers little-endian:
//   offset 0   8 bytes  magic "DFSBLK01"
//   offset 8   u32      format version (1)
//   offset 12  u32      checksum chunk size in bytes (65536)
//   offset 16  u64      block size in bytes (1 .. 4 MiB)
//   offset 24  u32      chunk count n = ceil(block size / chunk size)
//   offset 28  u32 * n  CRC32C of each chunk of data (the last chunk may be short)
//   28 + 4n    u32      CRC32C of header bytes [0, 28 + 4n)
//   32 + 4n    data     block size bytes
// A block file is written under DATA_DIR/tmp, fsynced, renamed to its real name, and the
// directory fsynced: a crash never leaves a partial block under a real name. The fsync
// and rename may come later than the write, for many blocks at once (BlockStore).
#pragma once

#include "common/base/block_id.h"

#include <kj/array.h>
#include <kj/string.h>
#include <cstdint>

namespace dfs {

constexpr uint32_t kBlockFormatVersion = 1;
constexpr size_t kBlockHeaderFixed = 28;  // bytes before the chunk CRCs

// Decoded block header.
struct BlockHeader {
  uint64_t blockSize = 0;
  uint32_t chunkSize = 0;
  kj::Array<uint32_t> chunkCrcs;

  // Byte offset of the data in the file.
  size_t dataOffset() const { return kBlockHeaderFixed + 4 * chunkCrcs.size() + 4; }
};

// Length of the header of a block of `blockSize` data bytes.
size_t blockHeaderLength(uint64_t blockSize);

// A block file assembled in place: the data is received straight into data(), then
// sealHeader() computes the header in front of it, so a block is copied once on its way
// from the network to the disk.
// Alignment of addresses, offsets and lengths for O_DIRECT writes.
constexpr size_t kDirectIoAlign = 4096;

class BlockFileBuffer {
public:
  BlockFileBuffer() = default;
  // Room for a block of `blockSize` (1 .. kMaxBlockSize) data bytes.
  explicit BlockFileBuffer(uint64_t blockSize);
  // Copies `data` into a new buffer and seals it.
  static BlockFileBuffer of(kj::ArrayPtr<const kj::byte> data);

  kj::ArrayPtr<kj::byte> data() { return storage.slice(headerLength, fileSize); }
  uint64_t blockSize() const { return fileSize - headerLength; }
  // Writes magic, sizes and the chunk and header checksums of data() (as it is now).
  void sealHeader();
  // The whole file: header + data.
  kj::ArrayPtr<const kj::byte> bytes() const { return storage.slice(0, fileSize); }
  // bytes() followed by zeros up to a multiple of kDirectIoAlign, at an address aligned to
  // it: what an O_DIRECT write takes (Disk::writeFileDirect).
  kj::ArrayPtr<const kj::byte> paddedBytes() const { return storage; }
  bool empty() const { return fileSize == 0; }

private:
  kj::Array<kj::byte> storage;  // kDirectIoAlign-aligned, padded
  size_t fileSize = 0;
  size_t headerLength = 0;
};

// Parses the fixed part of a header (first kBlockHeaderFixed bytes); returns the full
// header length, or throws FAILED ("bad block header") if magic/version/sizes are invalid.
size_t headerLengthFromFixed(kj::ArrayPtr<const kj::byte> fixed);

// Decodes and verifies a complete header (exactly headerLengthFromFixed() bytes). Throws
// FAILED ("checksum mismatch" for a bad header CRC, "bad block header" otherwise).
BlockHeader decodeBlockHeader(kj::ArrayPtr<const kj::byte> header);

// The first chunk of [firstChunk, lastChunk] whose data in `span` (the block's bytes from
// firstChunk * chunk size, through the end of lastChunk or of the block) does not match its
// CRC32C in `header`; nullptr when all match.
kj::Maybe<uint64_t> firstBadChunk(const BlockHeader& header, kj::ArrayPtr<const kj::byte> span,
                                  uint64_t firstChunk, uint64_t lastChunk);

// File names inside DATA_DIR.
kj::String blocksDir(kj::StringPtr dataDir);
kj::String tmpDir(kj::StringPtr dataDir);
kj::String corruptDir(kj::StringPtr dataDir);
kj::String corruptPath(kj::StringPtr dataDir, BlockId id);   // DATA_DIR/corrupt/<id>
kj::String blockDir1(kj::StringPtr dataDir, BlockId id);   // DATA_DIR/blocks/xx
kj::String blockDir2(kj::StringPtr dataDir, BlockId id);   // DATA_DIR/blocks/xx/yy
kj::String blockPath(kj::StringPtr dataDir, BlockId id);

}  // namespace dfs
