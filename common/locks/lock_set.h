// LockSet: the locks of one class held on one inode, with POSIX byte-range semantics for
// each owner's own locks (a new lock replaces the owner's overlapping ranges, splitting
// them as needed, and merges with adjacent ranges of the same type).
#pragma once

#include "common/locks/lock_types.h"
#include <kj/common.h>
#include <kj/function.h>
#include <vector>

namespace dfs {

class LockSet {
public:
  // The first held lock (lowest start) that conflicts with `request`, if any.
  kj::Maybe<const FileLock&> conflict(const FileLock& request) const;

  // Sets (READ/WRITE) or clears (UNLOCK) request's range for its owner; the caller has
  // checked that it does not conflict. Upgrades, downgrades and splits happen here.
  void apply(const FileLock& request);

  // Drops every lock for which `match` is true; returns whether any was dropped.
  bool removeIf(kj::FunctionParam<bool(const FileLock&)> match);

  bool empty() const { return locks.empty(); }
  // Held locks sorted by start (for tests and F_GETLK).
  const std::vector<FileLock>& all() const { return locks; }

private:
  std::vector<FileLock> locks;
};

}  // namespace dfs
