// LockManager deadlock detection for blocking POSIX requests: follows "owner X waits for
// a lock held by owner Y" edges from the new request's blocker; finding the requester
// again means waiting would never end (EDEADLK), as Linux does for fcntl locks.
#include "server/master/locks/lock_manager.h"

#include <kj/vector.h>
#include <set>

namespace dfs {

bool LockManager::wouldDeadlock(const FileLock& request, const FileLock& blocker) const {
  // Owners whose locks the requester would (transitively) wait for.
  std::set<LockOwner> seen;
  kj::Vector<LockOwner> pending;
  pending.add(blocker.owner);
  constexpr size_t kMaxSteps = 1024;  // bound the walk like Linux's MAX_DEADLK_ITERATIONS
  size_t steps = 0;
  while (!pending.empty() && steps++ < kMaxSteps) {
    LockOwner owner = pending.back();
    pending.removeLast();
    if (owner == request.owner) return true;
    if (!seen.insert(owner).second) continue;
    // Every POSIX request `owner` is blocked on, and the owners of the locks blocking it.
    for (auto& entry : inodes) {
      for (auto& w : entry.second.waiters) {
        if (w.cls != LockClass::POSIX || w.request.owner != owner) continue;
        for (auto& held : entry.second.posix.all()) {
          if (w.request.conflictsWith(held)) pending.add(held.owner);
        }
      }
    }
  }
  return false;
}

}  // namespace dfs
