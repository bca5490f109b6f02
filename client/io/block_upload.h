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
  kj::Vector<uint64_t> nodes;  // chunk servers that acknowledged a copy
};

// The bytes of one block on its way to the chunk servers, shared by the writes to its
// replicas (a write the upload stopped waiting for keeps them alive: its messages
// reference them).
class BlockBytes final : public kj::Refcounted {
public:
  explicit BlockBytes(kj::Array<kj::byte> bytes) : bytes(kj::mv(bytes)) {}
  kj::ArrayPtr<const kj::byte> get() const { return bytes; }

private:
  kj::Array<kj::byte> bytes;
};

// Uploads `bytes` (1 .. kMaxBlockSize of them) as a new block to every placed replica, in
// parallel. The block is written once as many acknowledged as the mount's level needs
// (strong: all, quorum: a majority of the volume's replica count, eventual: one) and the
// others acknowledged or failed, or did not within a grace (lateGrace: a few times what
// the needed ones took); those go on in the background (LateCopies) and their servers are
// left out of new placements for kAvoidLateServer. When some copies are in but fewer than
// needed and the rest stay silent for the grace, one more server (a fresh placement
// leaving out those tried) is written to instead. The master completes missing copies.
// With fewer acknowledgements than needed, the failed replicas are excluded and the block
// is placed again, up to three placements.
kj::Promise<UploadedBlock> uploadBlock(DataContext& ctx, kj::Own<BlockBytes> bytes);

}  // namespace dfs
