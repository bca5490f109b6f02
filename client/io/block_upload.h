// uploadBlock: writes one new immutable block to the chunk servers the master places it
// on, streaming it in pieces, and retries on other servers when a replica fails.
#pragma once

#include <kj/async.h>
#include <kj/vector.h>
#include "client/io/data_context.h"

namespace dfs {

struct UploadedBlock {
  BlockId block;
  uint64_t size = 0;
  kj::Vector<uint64_t> nodes;  // chunk servers that acknowledged a durable copy
};

// Uploads `data` (1 .. kMaxBlockSize bytes) as a new block to every placed replica, in
// parallel. It is written once as many acknowledged as the mount's level needs (strong:
// all, quorum: a majority of the volume's replica count, eventual: one) and no other is
// still in flight; the master completes missing copies. With fewer, the failed replicas
// are excluded and the block is placed again, up to three placements. `data` must stay alive until the promise resolves (it is referenced, not
// copied, by outgoing messages).
kj::Promise<UploadedBlock> uploadBlock(DataContext& ctx, kj::ArrayPtr<const kj::byte> data);

}  // namespace dfs
