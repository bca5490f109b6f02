// In-process RPC tests of ChunkServerImpl over loopback sockets: streaming writes, reads,
// stats, deletes, peer copies, and input validation.
#include "common/rpc/block_send.h"
#include "server/chunkserver/service/chunk_server_impl.h"

#include "common/base/limits.h"
#include "common/rpc/rpc.h"
#include "tests/unit/chunkserver/test_disk.h"

#include <gtest/gtest.h>
#include <random>
#include <string>

namespace dfs {
namespace {

using test::randomBytes;

// One chunk server (store + listener + serve loop) on 127.0.0.1.
struct Server {
  Server(kj::AsyncIoContext& io, Disk& disk, kj::StringPtr dir)
      : store(disk, dir),
        syncer(store, io.provider->getTimer()),
        load(kj::systemPreciseMonotonicClock()),
        listener(listenOn(io.provider->getNetwork(), "127.0.0.1:0", 0).wait(io.waitScope)),
        address(kj::str("127.0.0.1:", listener->getPort())),
        serving(serveRpc(*listener, kj::heap<ChunkServerImpl>(store, syncer, *io.provider,
                                                                io.provider->getTimer(),
                                                                30 * kj::SECONDS, nullptr, load))
                    .eagerlyEvaluate(nullptr)) {}
  BlockStore store;
  BlockSyncer syncer;
  LoadTracker load;
  kj::Own<kj::ConnectionReceiver> listener;
  kj::String address;
  kj::Promise<void> serving;
};

class ChunkServerRpcTest : public ::testing::Test {
protected:
  ~ChunkServerRpcTest() noexcept override {}
  kj::AsyncIoContext io = kj::setupAsyncIo();
  kj::Own<Disk> disk = newPosixDisk();
  test::TempDir dirA, dirB;
  Server a{io, *disk, dirA.path};
  Server b{io, *disk, dirB.path};
  kj::Own<RpcConnection> conn = connectRpc(*io.provider, io.provider->getTimer(), a.address, 0,
                                           5 * kj::SECONDS).wait(io.waitScope);
  wire::ChunkServer::Client client = conn->bootstrap<wire::ChunkServer>();

  // Uploads `data` in pieces of `piece` bytes, declaring `size`.
  kj::Promise<void> upload(BlockId id, uint64_t size, kj::ArrayPtr<const kj::byte> data,
                           size_t piece) {
    auto req = client.writeBlockRequest();
    id.toWire(req.initBlock());
    req.setSize(size);
    auto writer = req.send().getWriter();
    kj::Vector<kj::Promise<void>> writes;
    for (size_t off = 0; off < data.size(); off += piece) {
      auto w = writer.writeRequest();
      w.setData(data.slice(off, kj::min(off + piece, data.size())));
      writes.add(w.send());
    }
    return kj::joinPromises(writes.releaseAsArray())
        .then([writer]() mutable { return writer.finishRequest().send().ignoreResult(); });
  }

  kj::Array<kj::byte> read(BlockId id, uint64_t offset, uint64_t length) {
    auto req = client.readBlockRequest();
    id.toWire(req.initBlock());
    req.setOffset(offset);
    req.setLength(length);
    auto resp = req.send().wait(io.waitScope);
    return kj::heapArray(resp.getData());
  }

  template <typename T>
  std::string failure(kj::Promise<T>&& p) {
    KJ_IF_MAYBE(e, kj::runCatchingExceptions([&]() { p.wait(io.waitScope); })) {
      return e->getDescription().cStr();
    }
    return "<no exception>";
  }
};

bool same(kj::ArrayPtr<const kj::byte> x, kj::ArrayPtr<const kj::byte> y) {
  return x.size() == y.size() && memcmp(x.begin(), y.begin(), x.size()) == 0;
}

TEST_F(ChunkServerRpcTest, WriteStreamReadStatDelete) {
  auto id = BlockId::random();
  auto data = randomBytes(kMaxBlockSize, 1);
  upload(id, data.size(), data, kMaxWritePiece).wait(io.waitScope);
  EXPECT_TRUE(same(read(id, 0, kMaxReadLength), data));
  EXPECT_TRUE(same(read(id, kChecksumChunk - 3, 10), data.slice(kChecksumChunk - 3, kChecksumChunk + 7)));
  // Finishing the same block again is idempotent.
  upload(id, data.size(), data, 300000).wait(io.waitScope);

  auto stat = client.statBlockRequest();
  id.toWire(stat.initBlock());
  auto st = stat.send().wait(io.waitScope);
  EXPECT_TRUE(st.getExists());
  EXPECT_EQ(st.getSize(), kMaxBlockSize);

  auto del = client.deleteBlocksRequest();
  auto list = del.initBlocks(2);
  id.toWire(list[0]);
  BlockId::random().toWire(list[1]);
  EXPECT_EQ(del.send().wait(io.waitScope).getDeleted(), 1u);
  auto stat2 = client.statBlockRequest();
  id.toWire(stat2.initBlock());
  EXPECT_FALSE(stat2.send().wait(io.waitScope).getExists());
}

TEST_F(ChunkServerRpcTest, SmallBlocksAndManyPieces) {
  for (uint64_t size : {uint64_t(1), kChecksumChunk, kChecksumChunk + 1}) {
    auto id = BlockId::random();
    auto data = randomBytes(size, uint32_t(size));
    upload(id, size, data, 4096).wait(io.waitScope);
    EXPECT_TRUE(same(read(id, 0, size), data));
  }
}

// sendBlock (common/rpc/block_send.h), what mounts and peer copies use: one putBlock call up
// to kMaxWritePiece, streamed pieces above; putBlock validates like writeBlock.
TEST_F(ChunkServerRpcTest, WholeBlocksInOneCallOrStreamed) {
  for (uint64_t size : {uint64_t(1), uint64_t(100), kMaxWritePiece, kMaxWritePiece + 1}) {
    auto id = BlockId::random();
    auto data = randomBytes(size, uint32_t(size) + 7);
    sendBlock(client, id, data, size % 2 == 0).wait(io.waitScope);
    EXPECT_TRUE(same(read(id, 0, size), data)) << size;
    sendBlock(client, id, data, false).wait(io.waitScope);  // again: a no-op
  }
  EXPECT_EQ(a.store.blockCount(), 4u);

  auto put = [&](BlockId id, kj::ArrayPtr<const kj::byte> data) {
    auto req = client.putBlockRequest();
    id.toWire(req.initBlock());
    req.setData(data);
    return req.send().ignoreResult();
  };
  auto big = randomBytes(kMaxWritePiece + 1, 3);
  EXPECT_NE(failure(put(BlockId::random(), big)).find("bad block size"), std::string::npos);
  EXPECT_NE(failure(put(BlockId::random(), nullptr)).find("bad block size"), std::string::npos);
  auto data = randomBytes(10, 4);
  EXPECT_NE(failure(put(BlockId{}, data)).find("zero block id"), std::string::npos);
  EXPECT_EQ(a.store.blockCount(), 4u);
}

// A chunk server from before putBlock: it streams, and sendBlock falls back to that.
class StreamOnlyServer final : public wire::ChunkServer::Server {
public:
  explicit StreamOnlyServer(kj::Vector<kj::byte>& got) : got(got) {}

protected:
  kj::Promise<void> writeBlock(WriteBlockContext context) override {
    context.getResults().setWriter(kj::heap<Writer>(got));
    return kj::READY_NOW;
  }

private:
  class Writer final : public wire::BlockWriter::Server {
  public:
    explicit Writer(kj::Vector<kj::byte>& got) : got(got) {}
    kj::Promise<void> write(WriteContext context) override {
      got.addAll(context.getParams().getData());
      return kj::READY_NOW;
    }
    kj::Promise<void> finish(FinishContext) override { return kj::READY_NOW; }
    kj::Vector<kj::byte>& got;
  };
  kj::Vector<kj::byte>& got;
};

// A server that only takes whole blocks: sendBlock must use putBlock for a small one.
class PutOnlyServer final : public wire::ChunkServer::Server {
public:
  explicit PutOnlyServer(kj::Vector<kj::byte>& got) : got(got) {}

protected:
  kj::Promise<void> putBlock(PutBlockContext context) override {
    got.addAll(context.getParams().getData());
    return kj::READY_NOW;
  }

private:
  kj::Vector<kj::byte>& got;
};

TEST_F(ChunkServerRpcTest, SmallBlocksGoInOnePutBlockCall) {
  kj::Vector<kj::byte> got;
  wire::ChunkServer::Client server = kj::heap<PutOnlyServer>(got);
  auto data = randomBytes(kMaxWritePiece, 8);
  sendBlock(server, BlockId::random(), data, false).wait(io.waitScope);
  EXPECT_TRUE(same(got.asPtr(), data));
}

TEST_F(ChunkServerRpcTest, SmallBlocksAreStreamedToServersWithoutPutBlock) {
  kj::Vector<kj::byte> got;
  wire::ChunkServer::Client old = kj::heap<StreamOnlyServer>(got);
  auto data = randomBytes(1000, 9);
  sendBlock(old, BlockId::random(), data, true).wait(io.waitScope);
  EXPECT_TRUE(same(got.asPtr(), data));
}

TEST_F(ChunkServerRpcTest, InputValidation) {
  auto data = randomBytes(1000, 2);
  EXPECT_NE(failure(upload(BlockId::random(), 0, nullptr, 1)).find("bad block size"), std::string::npos);
  EXPECT_NE(failure(upload(BlockId::random(), kMaxBlockSize + 1, data, 1000)).find("bad block size"),
            std::string::npos);
  EXPECT_NE(failure(upload(BlockId{}, 1000, data, 1000)).find("zero block id"), std::string::npos);
  // Too few bytes at finish, too many bytes, an oversized piece.
  EXPECT_NE(failure(upload(BlockId::random(), 2000, data, 1000)).find("wrong block length"),
            std::string::npos);
  EXPECT_NE(failure(upload(BlockId::random(), 500, data, 1000)).find("write beyond block size"),
            std::string::npos);
  auto big = randomBytes(kMaxWritePiece + 1, 3);
  EXPECT_NE(failure(upload(BlockId::random(), big.size(), big, big.size())).find("piece too large"),
            std::string::npos);

  auto id = BlockId::random();
  upload(id, data.size(), data, 1000).wait(io.waitScope);
  auto req = client.readBlockRequest();
  id.toWire(req.initBlock());
  req.setLength(kMaxReadLength + 1);
  EXPECT_NE(failure(req.send()).find("read length too large"), std::string::npos);
  auto req2 = client.readBlockRequest();
  id.toWire(req2.initBlock());
  req2.setOffset(1001);
  req2.setLength(1);
  EXPECT_NE(failure(req2.send()).find("offset beyond end"), std::string::npos);
  auto req3 = client.readBlockRequest();
  BlockId::random().toWire(req3.initBlock());
  req3.setLength(1);
  EXPECT_NE(failure(req3.send()).find("no such block"), std::string::npos);
  auto copy = client.copyBlockToRequest();
  id.toWire(copy.initBlock());
  copy.setTarget("nonsense");
  EXPECT_NE(failure(copy.send()).find("bad target address"), std::string::npos);

  // Nothing half-written is visible, and the server still works.
  EXPECT_EQ(a.store.blockCount(), 1u);
  EXPECT_TRUE(same(read(id, 0, 1000), data));
}

TEST_F(ChunkServerRpcTest, LoadFiguresAfterTraffic) {
  a.load.sample();  // start a fresh interval
  auto id = BlockId::random();
  auto data = randomBytes(3 * kChecksumChunk, 4);
  upload(id, data.size(), data, kChecksumChunk).wait(io.waitScope);  // writeBlock, 3 writes, finish
  read(id, 0, data.size());
  read(id, 10, 100);
  EXPECT_EQ(a.load.totals().requests, 7u);
  EXPECT_EQ(a.load.totals().writeBytes, data.size());
  EXPECT_EQ(a.load.totals().readBytes, data.size() + 100);
  auto f = a.load.sample();
  EXPECT_EQ(f.requestsInFlight, 0u);
  EXPECT_GT(f.readBytesPerSec, 0u);
  EXPECT_GT(f.writeBytesPerSec, 0u);
  EXPECT_GT(f.requestsPerSec, 0u);
  EXPECT_GT(f.avgLatencyUs, 0u);
  // A quiet interval reports no load.
  auto quiet = a.load.sample();
  EXPECT_EQ(quiet.readBytesPerSec, 0u);
  EXPECT_EQ(quiet.requestsPerSec, 0u);
  EXPECT_EQ(quiet.avgLatencyUs, 0u);
}

TEST_F(ChunkServerRpcTest, CopyBlockToPeer) {
  auto id = BlockId::random();
  auto data = randomBytes(2 * kMaxWritePiece + 17, 5);
  upload(id, data.size(), data, kMaxWritePiece).wait(io.waitScope);
  auto req = client.copyBlockToRequest();
  id.toWire(req.initBlock());
  req.setTarget(b.address);
  req.send().wait(io.waitScope);
  EXPECT_EQ(b.store.stat(id).orDefault(0), data.size());
  EXPECT_TRUE(same(b.store.read(id, 0, kMaxBlockSize), data));

  // Copying to a dead peer fails cleanly.
  auto req2 = client.copyBlockToRequest();
  id.toWire(req2.initBlock());
  req2.setTarget("127.0.0.1:1");
  EXPECT_NE(failure(req2.send()), "<no exception>");
}

}  // namespace
}  // namespace dfs
