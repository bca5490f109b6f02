// ChunkServerImpl: input validation and dispatch to the BlockStore; peer copies over RPC.
#include "server/chunkserver/service/chunk_server_impl.h"

#include "common/base/limits.h"
#include "common/rpc/block_send.h"
#include "common/rpc/rpc.h"
#include "server/chunkserver/service/block_writer_impl.h"

#include <kj/debug.h>
#include <cstring>

namespace dfs {
namespace {

BlockId requireId(wire::BlockId::Reader r) {
  auto id = BlockId::fromWire(r);
  KJ_REQUIRE(!id.isZero(), "zero block id");
  return id;
}

}  // namespace

ChunkServerImpl::ChunkServerImpl(BlockStore& store, BlockSyncer& syncer,
                                 kj::AsyncIoProvider& io, kj::Timer& timer,
                                 kj::Duration peerDeadline, kj::Maybe<ChunkMetrics&> metrics,
                                 kj::Maybe<LoadTracker&> load)
    : store(store), syncer(syncer), io(io), timer(timer), peerDeadline(peerDeadline), load(load) {
  KJ_IF_MAYBE(m, metrics) {
    readSeconds = m->readBlockSeconds;
    finishSeconds = m->writeBlockFinishSeconds;
  }
}

kj::Promise<void> ChunkServerImpl::writeBlock(WriteBlockContext context) {
  auto request = LoadTracker::track(load);
  auto params = context.getParams();
  auto id = requireId(params.getBlock());
  uint64_t size = params.getSize();
  KJ_REQUIRE(size >= 1 && size <= kMaxBlockSize, "bad block size", size);
  context.getResults().setWriter(kj::heap<BlockWriterImpl>(syncer, id, size,
                                                           params.getDeferSync(),
                                                           finishSeconds, load));
  return kj::READY_NOW;
}

kj::Promise<void> ChunkServerImpl::putBlock(PutBlockContext context) {
  auto request = LoadTracker::track(load);
  auto latency = kj::heap<LatencyTimer>(finishSeconds);
  auto params = context.getParams();
  auto id = requireId(params.getBlock());
  auto data = params.getData();
  KJ_REQUIRE(data.size() >= 1 && data.size() <= kMaxWritePiece, "bad block size for putBlock",
             data.size());
  BlockFileBuffer buffer(data.size());
  memcpy(buffer.data().begin(), data.begin(), data.size());
  KJ_IF_MAYBE(l, load) l->addWriteBytes(data.size());
  return syncer.store(id, kj::mv(buffer), !params.getDeferSync())
      .attach(kj::mv(request), kj::mv(latency));
}

kj::Promise<void> ChunkServerImpl::sync(SyncContext context) {
  auto request = LoadTracker::track(load);
  return syncer.syncAll().attach(kj::mv(request));
}

kj::Promise<void> ChunkServerImpl::readBlock(ReadBlockContext context) {
  auto request = LoadTracker::track(load);
  LatencyTimer latency(readSeconds);
  auto params = context.getParams();
  auto id = requireId(params.getBlock());
  uint64_t length = params.getLength();
  KJ_REQUIRE(length <= kMaxReadLength, "read length too large", length);
  // The bytes are read and verified straight into the reply (one segment, sized here).
  auto results = context.getResults(capnp::MessageSize{length / 8 + 8, 0});
  size_t size = 0;
  store.readInto(id, params.getOffset(), length, [&](size_t n) -> kj::ArrayPtr<kj::byte> {
    size = n;
    return results.initData(n);
  });
  KJ_IF_MAYBE(l, load) l->addReadBytes(size);
  return kj::READY_NOW;
}

kj::Promise<void> ChunkServerImpl::statBlock(StatBlockContext context) {
  auto request = LoadTracker::track(load);
  auto id = requireId(context.getParams().getBlock());
  auto results = context.getResults();
  KJ_IF_MAYBE(size, store.stat(id)) {
    results.setExists(true);
    results.setSize(*size);
  } else {
    results.setExists(false);
    results.setSize(0);
  }
  return kj::READY_NOW;
}

kj::Promise<void> ChunkServerImpl::deleteBlocks(DeleteBlocksContext context) {
  auto request = LoadTracker::track(load);
  uint32_t deleted = 0;
  for (auto b : context.getParams().getBlocks()) {
    if (store.remove(BlockId::fromWire(b))) deleted++;
  }
  context.getResults().setDeleted(deleted);
  return kj::READY_NOW;
}

kj::Promise<void> ChunkServerImpl::copyBlockTo(CopyBlockToContext context) {
  auto request = LoadTracker::track(load);
  auto params = context.getParams();
  auto id = requireId(params.getBlock());
  auto target = kj::heapString(params.getTarget());
  kj::String host;
  unsigned port;
  KJ_REQUIRE(splitHostPort(target, host, port), "bad target address", target);
  KJ_REQUIRE(store.stat(id) != nullptr, "no such block", id.hex());
  auto data = store.read(id, 0, kMaxBlockSize);
  uint64_t size = data.size();
  KJ_IF_MAYBE(l, load) l->addReadBytes(size);
  auto copying = connectRpc(io, timer, target, 0, peerDeadline)
      .then([id, data = kj::mv(data)](kj::Own<RpcConnection> conn) mutable {
        auto peer = conn->bootstrap<wire::ChunkServer>();
        auto sent = sendBlock(peer, id, data, false);
        return sent.attach(kj::mv(data), kj::mv(conn));
      });
  return withDeadline(timer, peerDeadline, kj::mv(copying), "copyBlockTo")
      .attach(kj::mv(target), kj::mv(request));
}

}  // namespace dfs
