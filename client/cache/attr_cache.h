// AttrCache: directories' attributes as the master last returned them, so that the kernel's
// getattr of a directory (before every create or unlink in it, to check permissions) need
// not go to the master.
#pragma once

#include <kj/time.h>
#include <cstdint>
#include <unordered_map>
#include "client/cache/dir_cache.h"

namespace dfs {

// Entries live until `ttl` passes or drop()/clear(); the owner drops an entry whenever it
// learns that the inode changed (its own changes, the master's invalidations), so under a
// quorum mount's invalidation contract a hit is current. At most `maxEntries` (the oldest
// insertion is not tracked: a full cache is emptied and starts again). One thread only.
class AttrCache {
public:
  explicit AttrCache(size_t maxEntries = 16384) : maxEntries(maxEntries) {}
  KJ_DISALLOW_COPY(AttrCache);

  void put(const AttrCopy& attr, kj::TimePoint until);
  kj::Maybe<const AttrCopy&> get(uint64_t ino, kj::TimePoint now);
  void drop(uint64_t ino) { entries.erase(ino); }
  void clear() { entries.clear(); }
  size_t size() const { return entries.size(); }

private:
  struct Entry {
    AttrCopy attr;
    kj::TimePoint until;
  };
  size_t maxEntries;
  std::unordered_map<uint64_t, Entry> entries;
};

}  // namespace dfs
