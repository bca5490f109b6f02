// SegmentFiles: block segments kept as files in one directory, bounded by bytes with LRU
// eviction. Synchronous and single-threaded: DiskCache runs it on its worker thread.
//
// Format. Each segment is one file named `<32 hex digits of the block id>-<segment>.seg`
// holding a 48-byte header (magic "DFSSEG01", block hi, block lo, segment, data length
// as little-endian u64, CRC32C of the data as u32, 4 zero bytes) followed by the data.
// A file is written as `<name>.tmp` and renamed, so a reader never sees half a file.
// Blocks are immutable, so a file never goes stale: it is valid for every mount, now and
// after remounts. A file whose header, length or checksum does not match is a miss and is
// deleted. Recency is kept in memory, seeded at open from the files' mtimes (a load
// touches the mtime), so eviction stays roughly LRU across remounts.
#pragma once

#include <kj/array.h>
#include <kj/string.h>
#include <kj/vector.h>
#include <list>
#include <unordered_map>
#include "client/cache/block_cache.h"

namespace dfs {

class SegmentFiles {
public:
  // Uses `dir` (created if missing), at most `capacityBytes` of files (headers included).
  // Scans the files already there (deleting leftover .tmp files, evicting down to the
  // capacity). Throws if `dir` cannot be created or listed.
  SegmentFiles(kj::StringPtr dir, uint64_t capacityBytes);
  KJ_DISALLOW_COPY(SegmentFiles);

  // The segment's data if a valid file holds it (and it is then most recently used);
  // null if absent, unreadable or corrupt (a corrupt or short file is deleted).
  kj::Maybe<kj::Array<kj::byte>> load(const SegmentKey& key);

  // Stores `data` for `key` (a no-op if already present), evicting least recently used
  // files past the capacity. Returns false, leaving no partial file behind, if the file
  // could not be written (full disk, read-only or unwritable directory).
  bool store(const SegmentKey& key, kj::ArrayPtr<const kj::byte> data);

  // The keys of files evicted or found corrupt since the last call (for a caller that
  // mirrors the key set).
  kj::Array<SegmentKey> takeDropped();
  // The keys of all files held.
  kj::Array<SegmentKey> keys() const;

  kj::StringPtr directory() const { return dir; }
  uint64_t usedBytes() const { return used; }
  size_t files() const { return index.size(); }
  uint64_t evictions() const { return evicted; }
  uint64_t corruptions() const { return corrupt; }

  // Bytes of header before a segment's data.
  static constexpr size_t kHeaderSize = 48;
  // The file name (relative to the directory) that holds `key`.
  static kj::String fileName(const SegmentKey& key);

private:
  struct Entry {
    SegmentKey key;
    uint64_t bytes;  // file size
  };
  void scan();
  void add(const SegmentKey& key, uint64_t bytes, bool mostRecent);
  void forget(const SegmentKey& key, bool unlinkFile);
  void evictTo(uint64_t limit);
  kj::String pathOf(const SegmentKey& key) const;

  kj::String dir;
  uint64_t capacity;
  uint64_t used = 0;
  uint64_t evicted = 0;
  uint64_t corrupt = 0;
  kj::Vector<SegmentKey> dropped;
  std::list<Entry> lru;  // front = most recent
  std::unordered_map<SegmentKey, std::list<Entry>::iterator, SegmentKeyHash> index;
};

}  // namespace dfs
