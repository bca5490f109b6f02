// sendBlock: writes one whole block to a chunk server, in one putBlock call when it fits
// in one (small blocks: one message each way) or streamed through a BlockWriter.
#pragma once

#include <kj/async.h>
#include <chunk.capnp.h>
#include "common/base/block_id.h"

namespace dfs {

// Stores `data` (1 .. kMaxBlockSize bytes) as block `id` on `server`. The messages reference
// `data` without copying it: the caller keeps it alive until the promise settles. With
// `deferSync` the server may make the block durable later (ChunkServer.writeBlock).
kj::Promise<void> sendBlock(wire::ChunkServer::Client server, BlockId id,
                            kj::ArrayPtr<const kj::byte> data, bool deferSync);

}  // namespace dfs
