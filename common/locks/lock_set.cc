// LockSet: conflict search, range replace with split/merge, removal.
#include "common/locks/lock_set.h"

#include <algorithm>

namespace dfs {

kj::Maybe<const FileLock&> LockSet::conflict(const FileLock& request) const {
  for (auto& held : locks) {
    if (request.conflictsWith(held)) return held;
  }
  return nullptr;
}

// Two ranges that touch end to start (no overlap, no gap).
static bool adjacent(const FileLock& a, const FileLock& b) {
  return (a.end != kLockToEof && a.end + 1 == b.start) ||
         (b.end != kLockToEof && b.end + 1 == a.start);
}

void LockSet::apply(const FileLock& request) {
  std::vector<FileLock> out;
  out.reserve(locks.size() + 2);
  // Cut the request's range out of the owner's own locks (keeping what lies outside).
  for (auto& held : locks) {
    if (held.owner != request.owner || !held.overlaps(request)) {
      out.push_back(held);
      continue;
    }
    if (held.start < request.start) {
      FileLock left = held;
      left.end = request.start - 1;
      out.push_back(left);
    }
    if (held.end > request.end) {
      FileLock right = held;
      right.start = request.end + 1;
      out.push_back(right);
    }
  }
  if (request.type != LockType::UNLOCK) {
    FileLock merged = request;
    // Merge with the owner's neighbours of the same type (at most one on each side).
    out.erase(std::remove_if(out.begin(), out.end(),
                             [&](const FileLock& held) {
                               if (held.owner != merged.owner || held.type != merged.type ||
                                   !adjacent(held, merged)) {
                                 return false;
                               }
                               merged.start = std::min(merged.start, held.start);
                               merged.end = std::max(merged.end, held.end);
                               return true;
                             }),
              out.end());
    out.push_back(merged);
  }
  std::sort(out.begin(), out.end(),
            [](const FileLock& a, const FileLock& b) { return a.start < b.start; });
  locks = kj::mv(out);
}

bool LockSet::removeIf(kj::FunctionParam<bool(const FileLock&)> match) {
  auto before = locks.size();
  locks.erase(std::remove_if(locks.begin(), locks.end(),
                             [&](const FileLock& held) { return match(held); }),
              locks.end());
  return locks.size() != before;
}

}  // namespace dfs
