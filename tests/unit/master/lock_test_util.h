// Builders shared by the lock manager and lock set tests.
#pragma once

#include "common/locks/lock_types.h"

namespace dfs {

// A lock (or request) of `o` over [s, e] (inclusive; kLockToEof: to the end of file).
inline FileLock lk(LockOwner o, LockType t, uint64_t s = 0, uint64_t e = kLockToEof,
                   uint32_t pid = 0) {
  FileLock l;
  l.owner = o;
  l.type = t;
  l.start = s;
  l.end = e;
  l.pid = pid;
  return l;
}

}  // namespace dfs
