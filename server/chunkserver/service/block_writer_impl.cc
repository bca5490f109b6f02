// BlockWriterImpl: piece validation, buffering in place, and the hand-off at finish().
#include "server/chunkserver/service/block_writer_impl.h"

#include "common/base/limits.h"

#include <kj/debug.h>
#include <string.h>

namespace dfs {

BlockWriterImpl::BlockWriterImpl(BlockSyncer& syncer, BlockId id, uint64_t size,
                                 bool deferSync, kj::Maybe<Histogram&> finishSeconds,
                                 kj::Maybe<LoadTracker&> load)
    : syncer(syncer), id(id), size(size), deferSync(deferSync), finishSeconds(finishSeconds),
      load(load) {}

kj::Promise<void> BlockWriterImpl::write(WriteContext context) {
  auto request = LoadTracker::track(load);
  auto data = context.getParams().getData();
  KJ_REQUIRE(!finished, "write after finish");
  KJ_REQUIRE(data.size() <= kMaxWritePiece, "write piece too large", data.size());
  KJ_REQUIRE(data.size() <= size - filled, "write beyond block size", filled + data.size(), size);
  if (buffer.empty()) buffer = BlockFileBuffer(size);  // allocated on first data
  memcpy(buffer.data().begin() + filled, data.begin(), data.size());
  filled += data.size();
  KJ_IF_MAYBE(l, load) l->addWriteBytes(data.size());
  return kj::READY_NOW;
}

kj::Promise<void> BlockWriterImpl::finish(FinishContext context) {
  auto request = LoadTracker::track(load);
  auto latency = kj::heap<LatencyTimer>(finishSeconds);
  KJ_REQUIRE(!finished, "finish called twice");
  KJ_REQUIRE(filled == size, "wrong block length at finish", filled, size);
  finished = true;
  return syncer.store(id, kj::mv(buffer), !deferSync).attach(kj::mv(request), kj::mv(latency));
}

}  // namespace dfs
