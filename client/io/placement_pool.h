// PlacementPool: block ids and their chunk servers, asked of the master several at a time
// so that writing a small file does not cost an allocateBlocks round trip of its own.
#pragma once

#include <kj/async.h>
#include <kj/string.h>
#include <kj/time.h>
#include <kj/timer.h>
#include <kj/vector.h>
#include <deque>
#include <map>
#include "client/rpc/master_link.h"
#include "common/base/block_id.h"

namespace dfs {

// Where one new block goes.
struct Placement {
  struct Replica {
    uint64_t nodeId;
    kj::String address;
  };
  BlockId block;
  kj::Array<Replica> replicas;
  uint32_t wanted = 0;  // the volume's replica count (replicas may be fewer)
};

// Placements are stateless at the master (random ids, servers chosen by load and space),
// so unused ones cost nothing. Pooled ones are handed out for at most `maxAge`: the
// servers' load changes, and a failed server's placements go stale (an upload that fails
// asks for a fresh placement that excludes it). One event loop only.
class PlacementPool {
public:
  PlacementPool(MasterLink& master, kj::Timer& timer, uint32_t batch = 16,
                kj::Duration maxAge = 1 * kj::SECONDS)
      : master(master), timer(timer), batch(batch), maxAge(maxAge) {}
  KJ_DISALLOW_COPY(PlacementPool);

  // One placement: from the pool unless `fresh` or `exclude` is not empty; else (or when
  // the pool is empty) from the master, which then also refills the pool. Rejects with the
  // master's error (FAILED "master could not place a block": ENOSPC) or its connection's.
  // With `avoiding`, nodes passed to avoid() are left out too (pooled placements on them
  // are skipped, the master is asked to exclude them).
  kj::Promise<Placement> take(kj::ArrayPtr<const uint64_t> exclude, bool fresh = false,
                              bool avoiding = true);

  // Leaves `node` out of placements for `span` (a chunk server that did not answer a
  // block write in time: it may be stalled, and each write to it would wait for it).
  void avoid(uint64_t node, kj::Duration span);
  // Nodes avoided now.
  size_t avoiding();

  size_t pooled() const { return pool.size(); }

private:
  struct Pooled {
    kj::TimePoint received;
    Placement placement;
  };
  MasterLink& master;
  kj::Timer& timer;
  uint32_t batch;
  kj::Duration maxAge;
  std::deque<Pooled> pool;
  std::map<uint64_t, kj::TimePoint> avoided;  // node -> until when
  bool onAvoided(const Placement& p) const;
};

}  // namespace dfs
