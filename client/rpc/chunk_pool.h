// ChunkPool: one cached connection per chunk server address, with deadlines; a failed
// connection is dropped and re-dialled on the next use.
#pragma once

#include <kj/async-io.h>
#include <kj/map.h>
#include <kj/timer.h>
#include <chunk.capnp.h>
#include "client/rpc/rpc_stats.h"
#include "common/rpc/rpc.h"

namespace dfs {

class ChunkPool {
public:
  ChunkPool(kj::AsyncIoProvider& io, kj::Timer& timer, kj::Duration timeout);

  // Calls fn(server) -> Promise<T> on the chunk server at `address` under the deadline.
  // On DISCONNECTED errors (including the deadline) the cached connection is dropped.
  template <typename Fn>
  auto call(kj::StringPtr address, Fn&& fn)
      -> typename PromiseOf<decltype(fn(kj::instance<wire::ChunkServer::Client&>()))>::Type {
    using P = typename PromiseOf<decltype(fn(kj::instance<wire::ChunkServer::Client&>()))>::Type;
    auto addr = kj::str(address);
    uint64_t gen;
    auto work = get(addr, gen).then(
        [fn = kj::fwd<Fn>(fn)](wire::ChunkServer::Client server) mutable { return fn(server); });
    auto start = timer.now();
    return withDeadline(timer, timeout, P(kj::mv(work)), "chunk server RPC")
        .catch_([this, addr = kj::mv(addr), gen](kj::Exception&& e) mutable -> P {
          stats.failed();
          if (e.getType() == kj::Exception::Type::DISCONNECTED) drop(addr, gen);
          return kj::mv(e);
        })
        .attach(kj::defer([this, start]() { stats.finished(timer.now() - start); }));
  }

  kj::Duration deadline() const { return timeout; }
  // Where call counts, failures and latencies go (nothing is recorded by default).
  void setStats(RpcStats s) { stats = s; }

private:
  struct Entry {
    uint64_t generation;
    kj::Maybe<kj::Own<RpcConnection>> connection;
    kj::Maybe<wire::ChunkServer::Client> client;
    kj::Maybe<kj::ForkedPromise<void>> connecting;
  };

  kj::Promise<wire::ChunkServer::Client> get(kj::StringPtr address, uint64_t& gen);
  void drop(kj::StringPtr address, uint64_t gen);

  kj::AsyncIoProvider& io;
  kj::Timer& timer;
  kj::Duration timeout;
  uint64_t nextGeneration = 1;
  kj::HashMap<kj::String, kj::Own<Entry>> entries;
  RpcStats stats;
};

}  // namespace dfs
