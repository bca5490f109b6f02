// Block reference counts ('B' records) and deletion candidates ('G' keys).
#pragma once

#include "common/base/block_id.h"
#include "server/master/store/meta_store.h"
#include <cstdint>
#include <map>

namespace dfs {

// What the master knows about a block being committed for the first time.
struct NewBlockInfo {
  uint64_t size;
  kj::Vector<uint64_t> nodes;  // chunk servers holding a copy
  uint64_t volumeId = 0;       // the committing file's volume
};

// Adds to `batch` the updates applying `deltas` (e.g. from ExtentOverlay::flush) to the
// blocks' 'B' records, read from `store` (the batch must not already touch them).
//  - A block absent from the store must appear in `newBlocks` (else KJ_REQUIRE fails) and
//    gets a new record with refs = delta (delta must be > 0), created at nowNs.
//  - A refcount may never go below 0 (KJ_REQUIRE: that is corruption, not user error).
//  - A block whose refs drop to 0 keeps its 'B' record (refs = 0) and gets a 'G' key at
//    nowNs + graceNs; garbage collection deletes both later, after checking snapshots.
//  - A block going from 0 back to > 0 (re-referenced before GC) gets its refs back; its
//    stale 'G' key stays and GC must re-check refs before deleting (it cannot find the
//    'G' key without the due time). Zero deltas are ignored.
void applyRefDeltas(MetaStore& store, WriteBatch& batch,
                    const std::map<BlockId, int64_t>& deltas,
                    const std::map<BlockId, NewBlockInfo>& newBlocks, int64_t nowNs,
                    int64_t graceNs);

// Adds `more` into `into` (per block), dropping blocks whose sum is 0. Use it to combine
// the deltas of several overlays before one applyRefDeltas() call per batch.
// Adds to `batch` a refs-0 record for new block `id` (committed but overwritten within
// the same commit) and its 'G' key, so its copies are still reclaimed.
void putUnreferencedBlock(WriteBatch& batch, BlockId id, const NewBlockInfo& info,
                          int64_t nowNs, int64_t graceNs);

void addDeltas(std::map<BlockId, int64_t>& into, const std::map<BlockId, int64_t>& more);

// The 'B' record's refcount, or nullptr if the block is unknown.
kj::Maybe<uint64_t> blockRefs(MetaStore& store, BlockId id);

}  // namespace dfs
