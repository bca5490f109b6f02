// Block upload: placement from the master, parallel streamed writes to every replica.
#include "block_upload.h"

#include <capnp/orphan.h>
#include <kj/debug.h>
#include <cstring>
#include "common/base/limits.h"

namespace dfs {
namespace {

constexpr int kMaxPlacements = 3;

// Streams `data` to one chunk server as block `id`; with `deferSync` the server may make it
// durable later (UnsyncedBlocks, ChunkServer.sync).
kj::Promise<void> writeReplica(DataContext& ctx, kj::StringPtr address, BlockId id,
                               kj::ArrayPtr<const kj::byte> data, bool deferSync) {
  return ctx.chunks.call(address, [id, data, deferSync](wire::ChunkServer::Client& server) {
    auto open = server.writeBlockRequest();
    id.toWire(open.initBlock());
    open.setSize(data.size());
    open.setDeferSync(deferSync);
    auto writer = open.send().getWriter();
    kj::Promise<void> chain = kj::READY_NOW;
    for (size_t off = 0; off < data.size(); off += kMaxWritePiece) {
      auto piece = data.slice(off, kj::min(data.size(), off + kMaxWritePiece));
      chain = chain.then([writer, piece]() mutable {
        auto req = writer.writeRequest();
        auto orphanage = capnp::Orphanage::getForMessageContaining(
            wire::BlockWriter::WriteParams::Builder(req));
        req.adoptData(orphanage.referenceExternalData(capnp::Data::Reader(piece)));
        return req.send();
      });
    }
    return chain.then([writer]() mutable { return writer.finishRequest().send().ignoreResult(); });
  });
}

kj::Promise<UploadedBlock> place(DataContext& ctx, kj::ArrayPtr<const kj::byte> data,
                                 kj::Vector<uint64_t> exclude, int attempt) {
  // The first attempt may use a pooled placement; retries ask the master afresh.
  return ctx.placements.take(exclude, attempt > 0)
      .then([&ctx, data, exclude = kj::mv(exclude), attempt](Placement p) mutable
            -> kj::Promise<UploadedBlock> {
        BlockId id = p.block;
        auto reps = kj::mv(p.replicas);
        // How many copies this mount's level needs before the block counts as written.
        auto level = ctx.master.consistency();
        size_t want = kj::max(size_t(1), size_t(p.wanted));
        size_t need = level == wire::Consistency::STRONG   ? want
                      : level == wire::Consistency::QUORUM ? want / 2 + 1
                                                           : 1;
        if (reps.size() < need && attempt == 0) {
          return place(ctx, data, kj::mv(exclude), attempt + 1);  // maybe a stale placement
        }
        if (reps.size() < need) {
          return KJ_EXCEPTION(DISCONNECTED, "fewer live chunk servers than this mount's "
                              "consistency level needs", reps.size(), need);
        }
        // Strong mounts promise durability at write(); the others at fsync().
        bool deferSync = level != wire::Consistency::STRONG;
        auto writes = kj::heapArrayBuilder<kj::Promise<kj::Maybe<kj::String>>>(reps.size());
        for (auto& rep : reps) {
          writes.add(writeReplica(ctx, rep.address, id, data, deferSync)
                         .then([]() -> kj::Maybe<kj::String> { return nullptr; },
                               [](kj::Exception&& e) -> kj::Maybe<kj::String> {
                                 return kj::str(e.getDescription());
                               }));
        }
        return kj::joinPromises(writes.finish())
            .then([&ctx, data, id, reps = kj::mv(reps), exclude = kj::mv(exclude), attempt, need,
                   deferSync](
                      kj::Array<kj::Maybe<kj::String>> results) mutable
                  -> kj::Promise<UploadedBlock> {
              UploadedBlock done;
              done.block = id;
              done.size = data.size();
              kj::String lastError;
              for (size_t i = 0; i < reps.size(); i++) {
                KJ_IF_MAYBE(err, results[i]) {
                  KJ_LOG(WARNING, "block upload to a replica failed", reps[i].address, *err);
                  exclude.add(reps[i].nodeId);
                  lastError = kj::str(reps[i].address, ": ", *err);
                } else {
                  done.nodes.add(reps[i].nodeId);
                }
              }
              // Every placed copy, or at least what the level needs (the master completes
              // the rest from a copy that is there).
              if (done.nodes.size() == reps.size() || done.nodes.size() >= need) {
                if (deferSync) {
                  kj::Vector<kj::StringPtr> held;
                  for (size_t i = 0; i < reps.size(); i++) {
                    if (results[i] == nullptr) held.add(reps[i].address);
                  }
                  ctx.unsynced.add(held, kj::min(need, held.size()), ctx.timer.now());
                }
                return kj::mv(done);
              }
              if (attempt + 1 >= kMaxPlacements) {
                return KJ_EXCEPTION(DISCONNECTED, "block upload failed", lastError);
              }
              return place(ctx, data, kj::mv(exclude), attempt + 1);
            });
      });
}

}  // namespace

kj::Promise<UploadedBlock> uploadBlock(DataContext& ctx, kj::ArrayPtr<const kj::byte> data) {
  KJ_REQUIRE(data.size() > 0 && data.size() <= kMaxBlockSize, "bad block size", data.size());
  return place(ctx, data, kj::Vector<uint64_t>(), 0);
}

}  // namespace dfs
