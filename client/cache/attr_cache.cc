// AttrCache: bounded map of attributes with expiry.
#include "client/cache/attr_cache.h"

namespace dfs {

void AttrCache::put(const AttrCopy& attr, kj::TimePoint until) {
  if (maxEntries == 0) return;
  if (entries.size() >= maxEntries && entries.count(attr.ino) == 0) entries.clear();
  entries.insert_or_assign(attr.ino, Entry{attr, until});
}

kj::Maybe<const AttrCopy&> AttrCache::get(uint64_t ino, kj::TimePoint now) {
  auto it = entries.find(ino);
  if (it == entries.end()) return nullptr;
  if (now >= it->second.until) {
    entries.erase(it);
    return nullptr;
  }
  return it->second.attr;
}

}  // namespace dfs
