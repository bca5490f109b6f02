// BlockStore: immutable checksummed blocks stored as files in one data directory.
#pragma once

#include "common/base/block_id.h"
#include "common/base/clock.h"
#include "server/chunkserver/blockstore/block_format.h"
#include "server/chunkserver/blockstore/disk.h"

#include <kj/array.h>
#include <kj/function.h>
#include <kj/string.h>
#include <kj/vector.h>
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
  uint64_t checksumErrors = 0;  // reads or scrubs that found a bad checksum, header or length
  uint64_t corruptCopies = 0;   // copies dropped from the index as corrupt (or missing)
  uint64_t quarantined = 0;     // corrupt copies moved to DATA_DIR/corrupt/
};

// One stored block, as listed by snapshot().
struct StoredBlock {
  BlockId id;
  uint64_t size = 0;      // data bytes
  int64_t storedNs = 0;   // when it was stored (put time, or the file's mtime at startup)
};

// What scrub() found.
enum class ScrubResult {
  kOk,       // every chunk verified
  kGone,     // not stored (deleted since it was listed)
  kCorrupt,  // bad copy: quarantined like a failed read
};

// At most this many corrupt copies are kept in DATA_DIR/corrupt/; beyond it they are deleted.
constexpr uint64_t kMaxQuarantinedFiles = 100;

// Stores blocks in DATA_DIR (format and layout: block_format.h). Not thread-safe: one
// event loop owns it. Keeps an in-memory index of block ids, sizes and store times, built
// at startup.
//
// Corrupt copies: when a read or scrub finds a bad chunk checksum, a bad header or a short
// file, the copy is quarantined: dropped from the index (stat() says it does not exist,
// later reads fail "no such block"), its file moved to DATA_DIR/corrupt/ (or deleted once
// kMaxQuarantinedFiles are there), counted, and its id queued in unreportedCorrupt() for
// the master. A block whose file vanished from disk is treated the same way (nothing to move).
class BlockStore {
public:
  // Creates DATA_DIR/blocks, DATA_DIR/tmp and DATA_DIR/corrupt if missing, finishes storing
  // every complete, verified temp file left by a crash and removes the others (see
  // "Storing in steps"), and indexes existing blocks (files with a bad header are skipped and
  // counted as disk errors). `disk` and `clock` must outlive the store. The two-argument form
  // uses a SystemClock of its own.
  BlockStore(Disk& disk, kj::StringPtr dataDir, Clock& clock);
  BlockStore(Disk& disk, kj::StringPtr dataDir);
  KJ_DISALLOW_COPY(BlockStore);

  // Durably stores `data` (1 .. kMaxBlockSize bytes) as block `id`: temp file, fsync, rename,
  // fsync dir. If the block already exists with the same size this is a no-op; with a
  // different size it throws FAILED. Throws on I/O errors (and counts a disk error).
  void put(BlockId id, kj::ArrayPtr<const kj::byte> data);

  // --- Storing in steps, with the fsync deferred and shared ------------------------------
  // put() in four steps, so that the slow parts run on other threads and one fsync pass
  // covers many blocks (BlockSyncer drives them):
  //   1. path = tempPathFor(id); the block file is written there without fsync
  //      (Disk::writeFile, any thread);
  //   2. addPending(id, size, path) on the owning loop: the block is indexed and readable at
  //      once, from its temp file;
  //   3. makeDurable(disk, dataDir(), items) on any thread: fdatasync, rename to the real
  //      name, fsync of the directories;
  //   4. settle(item, ok) on the owning loop: the block is durable, or (ok false) dropped.
  // A crash of the process between 2 and 4 loses nothing (the data is in the kernel); the
  // next start completes step 3 for every temp file that holds a whole block with valid
  // checksums. A crash of the machine can lose blocks not yet through step 3.
  struct PendingItem {
    BlockId id;
    kj::String tmpPath;
  };
  kj::String tempPathFor(BlockId id);
  // Indexes a block written to `tmpPath` (`blockSize` data bytes). Returns false, and removes
  // the temp file, if the block is already stored with that size; throws FAILED if it is
  // stored with a different size.
  bool addPending(BlockId id, uint64_t blockSize, kj::StringPtr tmpPath);
  // Step 3 for `items`; result[i] tells whether items[i] is now durable under its real name
  // (false: an I/O error, logged, or the temp file is gone). Touches no BlockStore state.
  static kj::Array<bool> makeDurable(Disk& disk, kj::StringPtr dataDir,
                                     kj::ArrayPtr<const PendingItem> items);
  // Step 4. Ignored if the block was removed (or stored again) since addPending().
  void settle(const PendingItem& item, bool ok);
  // Step 1 failed: counts a disk error and removes what was written to `tmpPath`.
  void noteWriteFailure(kj::StringPtr tmpPath);
  // Blocks indexed by addPending() and not yet settled.
  uint64_t pendingCount() const { return pending; }

  // Whether block data read from disk (reads and scrubs) stays in the OS page cache.
  // Default no (a read that reaches a block's end drops the block file's pages): the
  // mounts cache what they read, and blocks are written around the page
  // cache too (direct writes), so a copy here would only cost memory. On a virtual
  // machine that reports free memory to its host it also made every first cold read
  // slower: each page the cache took anew was a page fault in the host.
  void setKeepReadsCached(bool keep) { keepReadsCached = keep; }

  // Bytes [offset, offset+length) of block `id`, clipped at its end. Every 64 KiB chunk
  // touched is read whole and its CRC32C verified. Throws FAILED "no such block" for an
  // unknown id, "offset beyond end" when offset > size, "checksum mismatch" for corrupt data
  // (counted as a disk error; the copy is quarantined, see above). Never returns wrong bytes.
  kj::Array<kj::byte> read(BlockId id, uint64_t offset, uint64_t length);
  // The same read into the buffer `output(n)` returns for the clipped length n (say, a
  // reply's Data field). A range of whole chunks (or ending at the block's end) is read
  // and verified in place, with no copy; other ranges go through a scratch span. After a
  // throw the buffer may hold unverified bytes, so the caller must drop it.
  void readInto(BlockId id, uint64_t offset, uint64_t length,
                kj::FunctionParam<kj::ArrayPtr<kj::byte>(size_t)> output);

  // Reads block `id` whole and verifies every chunk (the scrubber's step). A corrupt copy is
  // quarantined exactly as by read(). `bytesRead` gets the file bytes read (or attempted). Does not count
  // as a read in counters(). Throws only on I/O errors.
  ScrubResult scrub(BlockId id, uint64_t& bytesRead);

  // The block's size, or nullptr if it is not stored.
  kj::Maybe<uint64_t> stat(BlockId id) const;

  // Removes block `id`; returns false if it was not stored.
  bool remove(BlockId id);

  // Every stored block (a copy: later changes do not affect it), in no particular order.
  kj::Array<StoredBlock> snapshot() const;
  // Ids of every stored block, in no particular order.
  kj::Array<BlockId> ids() const;

  // Ids of copies quarantined and not yet reported to the master, oldest first.
  kj::ArrayPtr<const BlockId> unreportedCorrupt() const { return corrupt; }
  // Drops `ids` from unreportedCorrupt() (the master has them); other ids are ignored.
  void markCorruptReported(kj::ArrayPtr<const BlockId> ids);

  uint64_t blockCount() const { return index.size(); }
  uint64_t usedBytes() const { return used; }      // data + header bytes of stored blocks
  uint64_t diskErrors() const { return errors; }
  const BlockStoreCounters& counters() const { return stats; }
  kj::StringPtr dataDir() const { return dir; }
  Disk& getDisk() { return disk; }
  Clock& getClock() { return clock; }

  // Bytes a block of `blockSize` data bytes takes on disk (header + data).
  static uint64_t fileBytes(uint64_t blockSize);

private:
  bool keepReadsCached = false;
  struct Entry {
    uint64_t size;
    int64_t storedNs;
    kj::String tmpPath;  // while not durable yet (addPending .. settle): where the file is
  };

  kj::Own<Clock> ownClock;  // only for the two-argument constructor
  Disk& disk;
  Clock& clock;
  kj::String dir;
  std::unordered_map<BlockId, Entry, BlockIdHash> index;
  uint64_t used = 0;
  uint64_t errors = 0;
  BlockStoreCounters stats;
  uint64_t tmpCounter = 0;
  uint64_t quarantinedFiles = 0;  // files in DATA_DIR/corrupt/
  uint64_t pending = 0;           // entries with a tmpPath
  kj::Vector<BlockId> corrupt;    // quarantined, not yet reported

  void init();
  void recoverTmp();
  bool verifyFile(kj::StringPtr path);
  void scan();
  kj::Maybe<uint64_t> readSizeFromFile(kj::StringPtr path);

  // The steps of a verified read. Each returns nullptr (or false) after quarantining a bad
  // copy.
  kj::Maybe<kj::Own<ReadableFile>> openBlock(BlockId id);
  kj::Maybe<BlockHeader> readHeader(BlockId id, ReadableFile& file);
  // Reads whole chunks [firstChunk, lastChunk] into `span` (sized to them exactly) and
  // verifies them.
  bool readChunks(BlockId id, ReadableFile& file, const BlockHeader& header,
                  uint64_t firstChunk, uint64_t lastChunk, kj::ArrayPtr<kj::byte> span);
  // Bytes the chunks [firstChunk, lastChunk] of a block of `size` bytes take.
  static uint64_t chunkSpanBytes(uint64_t size, uint64_t firstChunk, uint64_t lastChunk);
  // Drops a bad copy (see the class comment). With `fileExists` the file is moved away and
  // it counts as a checksum error; without, only the index entry goes.
  void quarantine(BlockId id, kj::StringPtr why, bool fileExists);
};

}  // namespace dfs
