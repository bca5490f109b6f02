// BlockWriterImpl: accumulates one streamed block upload and commits it on finish().
#pragma once

#include "common/metrics/metrics.h"
#include "server/chunkserver/blockstore/block_store.h"
#include "server/chunkserver/service/block_syncer.h"
#include "server/chunkserver/service/load_tracker.h"

#include <chunk.capnp.h>

namespace dfs {

// Buffers the pieces of one block in memory (at most kMaxBlockSize, allocated at the first
// write so idle writers cost nothing), in place behind room for the block file's header.
// finish() checks that exactly `size` bytes arrived and hands the block to `syncer`
// (durably stored before finish() returns unless `deferSync`); a writer dropped before
// finish() leaves nothing behind. Writes after finish() fail. finish() durations go to
// `finishSeconds` if given; every call and the bytes received are counted in `load` if
// given (both must outlive the writer).
class BlockWriterImpl final : public wire::BlockWriter::Server {
public:
  BlockWriterImpl(BlockSyncer& syncer, BlockId id, uint64_t size, bool deferSync,
                  kj::Maybe<Histogram&> finishSeconds = nullptr,
                  kj::Maybe<LoadTracker&> load = nullptr);

protected:
  kj::Promise<void> write(WriteContext context) override;
  kj::Promise<void> finish(FinishContext context) override;

private:
  BlockSyncer& syncer;
  BlockId id;
  uint64_t size;
  bool deferSync;
  BlockFileBuffer buffer;  // allocated at the first write()
  uint64_t filled = 0;
  bool finished = false;
  kj::Maybe<Histogram&> finishSeconds;
  kj::Maybe<LoadTracker&> load;
};

}  // namespace dfs
