// Block garbage collection: zero-refcount blocks past their grace period are deleted.
//
// A pass scans 'G' keys due by now (oldest first, bounded), re-checks each block's 'B'
// record (a block re-referenced before its due time keeps refs > 0 and survives), and in
// ONE batch deletes the G key and, for dead blocks, the B record. Only after that batch is
// durable are the block's copies queued for deletion on their nodes (handed out in
// heartbeat replies). If the master crashes with deletions still queued, those copies
// become orphans on the chunk servers; the planned resync (chunk server block report vs
// 'B' records) reclaims them.
#pragma once

#include "server/master/nodes/node_registry.h"
#include "server/master/store/meta_store.h"
#include "common/base/clock.h"
#include <kj/async.h>

namespace dfs {

class BlockGc {
public:
  BlockGc(MetaStore& store, Clock& clock, NodeRegistry& nodes);

  static constexpr size_t kPassLimit = 1000;

  // One pass over at most `limit` due candidates. Returns the number of blocks deleted.
  size_t runPass(size_t limit = kPassLimit);

  // Runs a pass every `interval` forever (until the promise is dropped); a pass that hit
  // its limit is followed at once by another (after yielding to the event loop). A
  // failing pass is logged and retried next interval.
  kj::Promise<void> run(kj::Timer& timer, kj::Duration interval);

  uint64_t passCount() const { return passes; }      // passes run since start
  uint64_t deletedCount() const { return deleted; }  // blocks deleted since start

private:
  MetaStore& store;
  Clock& clock;
  NodeRegistry& nodes;
  size_t lastScanned = 0;  // candidates looked at by the last pass
  uint64_t passes = 0;
  uint64_t deleted = 0;
};

}  // namespace dfs
