// BlockStore: immutable checksummed blocks stored as files in one data directory.
#pragma once

#include "common/base/block_id.h"
#include "server/chunkserver/blockstore/disk.h"

#include <kj/array.h>
#include <kj/string.h>
#include <cstdint>
#include <unordered_map>

namespace dfs {

// Operation counts since the store was opened (exported as metrics).
struct BlockStoreCounters {
  uint64_t blocksWritten = 0;   // put() that stored a new block
  uint64_t bytesWritten = 0;    // data bytes of those blocks
  uint64_t blocksRead = 0;      // successful read() calls
  uint64_t bytesRead = 0;       // data bytes they returned
  uint64_t blocksDeleted = 0;   // remove() that removed a block
  uint64_t checksumErrors = 0;  // read() failures with "checksum mismatch"
};

// Stores blocks in DATA_DIR (format and layout: block_format.h). Not thread-safe: one
// event loop owns it. Keeps an in-memory index of block ids and sizes, built at startup.
class BlockStore {
public:
  // Creates DATA_DIR/blocks and DATA_DIR/tmp if missing, removes every temp file left by a
  // crash, and indexes existing blocks (files with a bad header are skipped and counted as
  // disk errors). `disk` must outlive the store.
  BlockStore(Disk& disk, kj::StringPtr dataDir);
  KJ_DISALLOW_COPY(BlockStore);

  // Durably stores `data` (1 .. kMaxBlockSize bytes) as block `id`: temp file, fsync, rename,
  // fsync dir. If the block already exists with the same size this is a no-op; with a
  // different size it throws FAILED. Throws on I/O errors (and counts a disk error).
  void put(BlockId id, kj::ArrayPtr<const kj::byte> data);

  // Bytes [offset, offset+length) of block `id`, clipped at its end. Every 64 KiB chunk
  // touched is read whole and its CRC32C verified. Throws FAILED "no such block" for an
  // unknown id, "offset beyond end" when offset > size, "checksum mismatch" for corrupt data
  // (counted as a disk error). Never returns wrong bytes.
  kj::Array<kj::byte> read(BlockId id, uint64_t offset, uint64_t length);

  // The block's size, or nullptr if it is not stored.
  kj::Maybe<uint64_t> stat(BlockId id) const;

  // Removes block `id`; returns false if it was not stored.
  bool remove(BlockId id);

  uint64_t blockCount() const { return index.size(); }
  uint64_t usedBytes() const { return used; }      // data + header bytes of stored blocks
  uint64_t diskErrors() const { return errors; }
  const BlockStoreCounters& counters() const { return stats; }
  kj::StringPtr dataDir() const { return dir; }
  Disk& getDisk() { return disk; }

private:
  Disk& disk;
  kj::String dir;
  std::unordered_map<BlockId, uint64_t, BlockIdHash> index;  // id -> block size
  uint64_t used = 0;
  uint64_t errors = 0;
  BlockStoreCounters stats;
  uint64_t tmpCounter = 0;

  void clearTmp();
  void scan();
  kj::Maybe<uint64_t> readSizeFromFile(kj::StringPtr path);
  static uint64_t fileBytes(uint64_t blockSize);
};

}  // namespace dfs
