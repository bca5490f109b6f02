// BlockCache: LRU list + hash index, bounded by bytes.
#include "block_cache.h"

namespace dfs {

kj::Maybe<kj::Own<SharedBytes>> BlockCache::get(const SegmentKey& key) {
  auto it = index.find(key);
  if (it == index.end()) {
    missCount++;
    return nullptr;
  }
  hitCount++;
  lru.splice(lru.begin(), lru, it->second);
  return kj::addRef(*it->second->bytes);
}

void BlockCache::put(const SegmentKey& key, kj::Own<SharedBytes> bytes) {
  erase(key);
  uint64_t size = bytes->get().size();
  if (size > capacity) return;
  lru.push_front(Entry{key, kj::mv(bytes)});
  index.emplace(key, lru.begin());
  used += size;
  while (used > capacity && !lru.empty()) {
    auto& last = lru.back();
    used -= last.bytes->get().size();
    index.erase(last.key);
    lru.pop_back();
  }
}

void BlockCache::erase(const SegmentKey& key) {
  auto it = index.find(key);
  if (it == index.end()) return;
  used -= it->second->bytes->get().size();
  lru.erase(it->second);
  index.erase(it);
}

}  // namespace dfs
