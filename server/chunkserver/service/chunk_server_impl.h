// ChunkServerImpl: the wire::ChunkServer RPC interface over a BlockStore.
#pragma once

#include "server/chunkserver/blockstore/block_store.h"
#include "server/chunkserver/service/chunk_metrics.h"

#include <chunk.capnp.h>
#include <kj/async-io.h>
#include <kj/timer.h>

namespace dfs {

// Serves block writes (streamed through a BlockWriter), verified range reads, stats,
// deletes and peer copies. Every argument is validated with KJ_REQUIRE: a bad request
// fails that call only. `store`, `io`, `timer` and `metrics` (optional: latency histograms)
// must outlive the server.
class ChunkServerImpl final : public wire::ChunkServer::Server {
public:
  ChunkServerImpl(BlockStore& store, kj::AsyncIoProvider& io, kj::Timer& timer,
                  kj::Duration peerDeadline = 30 * kj::SECONDS,
                  kj::Maybe<ChunkMetrics&> metrics = nullptr);

protected:
  kj::Promise<void> writeBlock(WriteBlockContext context) override;
  kj::Promise<void> readBlock(ReadBlockContext context) override;
  kj::Promise<void> statBlock(StatBlockContext context) override;
  kj::Promise<void> deleteBlocks(DeleteBlocksContext context) override;
  kj::Promise<void> copyBlockTo(CopyBlockToContext context) override;

private:
  BlockStore& store;
  kj::AsyncIoProvider& io;
  kj::Timer& timer;
  kj::Duration peerDeadline;
  kj::Maybe<Histogram&> readSeconds;
  kj::Maybe<Histogram&> finishSeconds;
};

}  // namespace dfs
