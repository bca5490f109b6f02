// AbsentXattrs: inodes known, for a short time, to lack one extended attribute.
//
// The kernel asks for security.capability before every write() to a FUSE file (to drop
// file capabilities on change); remembering "absent" for a second saves a master round
// trip per write. This mount's own set/remove of the attribute forgets the inode at once;
// another mount's change is seen within the time to live (like cached attributes).
#pragma once

#include <kj/time.h>
#include <cstddef>
#include <cstdint>
#include <unordered_map>

namespace dfs {

class AbsentXattrs {
public:
  // Entries expire `ttl` after remember(); at most `maxEntries` are kept (all are
  // dropped when full: a forgotten entry only costs one more round trip).
  AbsentXattrs(kj::Duration ttl, size_t maxEntries) : ttl(ttl), maxEntries(maxEntries) {}

  // True if `ino` was remembered less than ttl before `now`.
  bool absent(uint64_t ino, kj::TimePoint now) const;
  void remember(uint64_t ino, kj::TimePoint now);
  void forget(uint64_t ino) { until.erase(ino); }
  void clear() { until.clear(); }
  size_t size() const { return until.size(); }

private:
  kj::Duration ttl;
  size_t maxEntries;
  std::unordered_map<uint64_t, kj::TimePoint> until;
};

}  // namespace dfs
