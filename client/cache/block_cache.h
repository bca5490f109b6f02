// BlockCache: a bounded in-memory LRU of block segments. Blocks are immutable, so an
// entry never goes stale and is never invalidated; it is only evicted for space.
#pragma once

#include <kj/array.h>
#include <kj/refcount.h>
#include <list>
#include <unordered_map>
#include "common/base/block_id.h"

namespace dfs {

// Immutable bytes shared between the cache and readers.
class SharedBytes final : public kj::Refcounted {
public:
  explicit SharedBytes(kj::Array<kj::byte> bytes) : bytes(kj::mv(bytes)) {}
  kj::Own<SharedBytes> addRef() { return kj::addRef(*this); }
  kj::ArrayPtr<const kj::byte> get() const { return bytes; }
private:
  kj::Array<kj::byte> bytes;
};

struct SegmentKey {
  BlockId block;
  uint64_t segment;  // index of the segment within the block
  bool operator==(const SegmentKey& o) const { return block == o.block && segment == o.segment; }
};

struct SegmentKeyHash {
  size_t operator()(const SegmentKey& k) const { return BlockIdHash()(k.block) * 31 + k.segment; }
};

class BlockCache {
public:
  explicit BlockCache(uint64_t capacityBytes) : capacity(capacityBytes) {}

  // The cached segment, marked most recently used; null if absent.
  kj::Maybe<kj::Own<SharedBytes>> get(const SegmentKey& key);
  // Whether the segment is cached (not counted as a hit or miss, recency unchanged).
  bool contains(const SegmentKey& key) const { return index.count(key) > 0; }
  // Inserts (or replaces) a segment and evicts least recently used ones past capacity.
  void put(const SegmentKey& key, kj::Own<SharedBytes> bytes);
  // Removes the segment if cached (readers holding it keep their reference).
  void erase(const SegmentKey& key);

  uint64_t sizeBytes() const { return used; }
  uint64_t hits() const { return hitCount; }
  uint64_t misses() const { return missCount; }

private:
  struct Entry {
    SegmentKey key;
    kj::Own<SharedBytes> bytes;
  };
  uint64_t capacity;
  uint64_t used = 0;
  uint64_t hitCount = 0;
  uint64_t missCount = 0;
  std::list<Entry> lru;  // front = most recent
  std::unordered_map<SegmentKey, std::list<Entry>::iterator, SegmentKeyHash> index;
};

}  // namespace dfs
