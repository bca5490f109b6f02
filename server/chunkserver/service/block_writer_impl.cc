// BlockWriterImpl: piece validation, buffering, and the durable commit at finish().
#include "server/chunkserver/service/block_writer_impl.h"

#include "common/base/limits.h"

#include <kj/debug.h>
#include <string.h>

namespace dfs {

BlockWriterImpl::BlockWriterImpl(BlockStore& store, BlockId id, uint64_t size,
                                 kj::Maybe<Histogram&> finishSeconds,
                                 kj::Maybe<LoadTracker&> load)
    : store(store), id(id), size(size), finishSeconds(finishSeconds), load(load) {}

kj::Promise<void> BlockWriterImpl::write(WriteContext context) {
  auto request = LoadTracker::track(load);
  auto data = context.getParams().getData();
  KJ_REQUIRE(!finished, "write after finish");
  KJ_REQUIRE(data.size() <= kMaxWritePiece, "write piece too large", data.size());
  KJ_REQUIRE(data.size() <= size - filled, "write beyond block size", filled + data.size(), size);
  if (buffer == nullptr) buffer = kj::heapArray<kj::byte>(size);  // allocated on first data
  memcpy(buffer.begin() + filled, data.begin(), data.size());
  filled += data.size();
  KJ_IF_MAYBE(l, load) l->addWriteBytes(data.size());
  return kj::READY_NOW;
}

kj::Promise<void> BlockWriterImpl::finish(FinishContext context) {
  auto request = LoadTracker::track(load);
  LatencyTimer latency(finishSeconds);
  KJ_REQUIRE(!finished, "finish called twice");
  KJ_REQUIRE(filled == size, "wrong block length at finish", filled, size);
  store.put(id, buffer);
  finished = true;
  buffer = nullptr;
  return kj::READY_NOW;
}

}  // namespace dfs
