// Block report: sends a snapshot of the block store to the master in pages.
#pragma once

#include "server/chunkserver/blockstore/block_store.h"

#include <master.capnp.h>
#include <kj/async.h>
#include <kj/timer.h>

namespace dfs {

// Most entries in one NodeSession.reportBlocks page (the schema's limit).
constexpr size_t kBlockReportPageSize = 16384;

// Sends `blocks` (a BlockStore::snapshot() taken at `nowNs` on the store's clock) through
// `session.reportBlocks`, in pages of at most kBlockReportPageSize entries, one request at
// a time, each under `deadline`; the final page has last=true (one empty page when there
// are no blocks). ageMs = nowNs - storedNs (0 for a store time in the future). Resolves
// when the master has accepted the last page; fails with the first failed page.
kj::Promise<void> sendBlockReport(wire::NodeSession::Client session,
                                  kj::Array<StoredBlock> blocks, int64_t nowNs,
                                  kj::Timer& timer, kj::Duration deadline);

}  // namespace dfs
