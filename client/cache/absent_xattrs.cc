// AbsentXattrs: expiry and bounded size of the "known absent" set.
#include "client/cache/absent_xattrs.h"

namespace dfs {

bool AbsentXattrs::absent(uint64_t ino, kj::TimePoint now) const {
  auto it = until.find(ino);
  return it != until.end() && now < it->second;
}

void AbsentXattrs::remember(uint64_t ino, kj::TimePoint now) {
  if (until.size() >= maxEntries && until.count(ino) == 0) until.clear();
  until.insert_or_assign(ino, now + ttl);
}

}  // namespace dfs
