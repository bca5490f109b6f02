// scanBlocks: walks every block record ('B' keys) in pages without starving the event loop.
#pragma once

#include "server/master/store/block_record.h"
#include <kj/async.h>
#include <kj/function.h>

namespace dfs {

// Visits every block record in id order, `pageSize` records per turn of the event loop.
// `visit` may change the record it is given and returns true to have it written back;
// each page's changes are written in one batch, then `afterPage` runs (e.g. to act on
// what the page decided, once it is durable). A record that fails to decode is logged and
// skipped. Records created or deleted during the walk may or may not be seen. Dropping
// the promise stops the walk after the current page.
kj::Promise<void> scanBlocks(MetaStore& store, size_t pageSize,
                             kj::Function<bool(BlockId, BlockInfo&)> visit,
                             kj::Function<void()> afterPage);

}  // namespace dfs
