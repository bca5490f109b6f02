// ChunkServerImpl: the wire::ChunkServer RPC interface over a BlockStore.
#pragma once

#include "server/chunkserver/blockstore/block_store.h"
#include "server/chunkserver/service/block_syncer.h"
#include "server/chunkserver/service/chunk_metrics.h"
#include "server/chunkserver/service/load_tracker.h"

#include <chunk.capnp.h>
#include <kj/async-io.h>
#include <kj/timer.h>

namespace dfs {

// Serves block writes (in one putBlock call or streamed through a BlockWriter, stored
// through `syncer`), syncs,
// verified range reads, stats, deletes and peer copies. Every argument is validated with
// KJ_REQUIRE: a bad request fails that call only. `store`, `syncer`, `io`, `timer`,
// `metrics` (optional: latency histograms) and
// `load` (optional: every call, its service time and the block bytes moved, including
// those of the BlockWriters it hands out) must outlive the server and its writers.
class ChunkServerImpl final : public wire::ChunkServer::Server {
public:
  ChunkServerImpl(BlockStore& store, BlockSyncer& syncer, kj::AsyncIoProvider& io,
                  kj::Timer& timer,
                  kj::Duration peerDeadline = 30 * kj::SECONDS,
                  kj::Maybe<ChunkMetrics&> metrics = nullptr,
                  kj::Maybe<LoadTracker&> load = nullptr);

protected:
  kj::Promise<void> writeBlock(WriteBlockContext context) override;
  kj::Promise<void> readBlock(ReadBlockContext context) override;
  kj::Promise<void> statBlock(StatBlockContext context) override;
  kj::Promise<void> deleteBlocks(DeleteBlocksContext context) override;
  kj::Promise<void> copyBlockTo(CopyBlockToContext context) override;
  kj::Promise<void> sync(SyncContext context) override;
  kj::Promise<void> putBlock(PutBlockContext context) override;

private:
  BlockStore& store;
  BlockSyncer& syncer;
  kj::AsyncIoProvider& io;
  kj::Timer& timer;
  kj::Duration peerDeadline;
  kj::Maybe<Histogram&> readSeconds;
  kj::Maybe<Histogram&> finishSeconds;
  kj::Maybe<LoadTracker&> load;
};

}  // namespace dfs
