// sendBlock: putBlock for blocks of one piece, writeBlock + write() pieces + finish() above.
#include "common/rpc/block_send.h"

#include <capnp/orphan.h>
#include "common/base/limits.h"

namespace dfs {
namespace {

// `bytes` as the Data field of the message `builder` belongs to, without a copy when
// Cap'n Proto allows it: an external segment is written out in whole words, so it must
// start on a word boundary and end on one (else the bytes up to the next boundary, past
// the end of the buffer, would be read and sent). Other sizes are copied into the message
// (the last piece of a block whose size is not a multiple of 8).
template <typename Builder>
void referenceData(Builder builder, kj::ArrayPtr<const kj::byte> bytes) {
  constexpr size_t kWord = sizeof(capnp::word);
  if (bytes.size() % kWord != 0 || reinterpret_cast<uintptr_t>(bytes.begin()) % kWord != 0) {
    builder.setData(bytes);
    return;
  }
  auto orphanage = capnp::Orphanage::getForMessageContaining(builder);
  builder.adoptData(orphanage.referenceExternalData(capnp::Data::Reader(bytes)));
}

// writeBlock, write() pieces of at most kMaxWritePiece, finish().
kj::Promise<void> streamBlock(wire::ChunkServer::Client server, BlockId id,
                              kj::ArrayPtr<const kj::byte> data, bool deferSync) {
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
      referenceData(wire::BlockWriter::WriteParams::Builder(req), piece);
      return req.send();
    });
  }
  return chain.then([writer]() mutable { return writer.finishRequest().send().ignoreResult(); });
}

}  // namespace

kj::Promise<void> sendBlock(wire::ChunkServer::Client server, BlockId id,
                            kj::ArrayPtr<const kj::byte> data, bool deferSync) {
  if (data.size() > kMaxWritePiece) return streamBlock(kj::mv(server), id, data, deferSync);
  auto put = server.putBlockRequest();
  id.toWire(put.initBlock());
  put.setDeferSync(deferSync);
  referenceData(wire::ChunkServer::PutBlockParams::Builder(put), data);
  return put.send().ignoreResult().catch_(
      [server, id, data, deferSync](kj::Exception&& e) mutable -> kj::Promise<void> {
        // A server from before putBlock (a cluster being upgraded): stream it instead.
        if (e.getType() != kj::Exception::Type::UNIMPLEMENTED) return kj::mv(e);
        return streamBlock(kj::mv(server), id, data, deferSync);
      });
}

}  // namespace dfs
