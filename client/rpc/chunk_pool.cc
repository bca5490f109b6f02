// ChunkPool: per-address connection cache for chunk servers.
#include "chunk_pool.h"

#include <kj/debug.h>

namespace dfs {

constexpr unsigned kDefaultChunkPort = 9500;

ChunkPool::ChunkPool(kj::AsyncIoProvider& io, kj::Timer& timer, kj::Duration timeout)
    : io(io), timer(timer), timeout(timeout) {}

kj::Promise<wire::ChunkServer::Client> ChunkPool::get(kj::StringPtr address, uint64_t& gen) {
  Entry* entry;
  KJ_IF_MAYBE(e, entries.find(address)) {
    entry = *e;
  } else {
    auto owned = kj::heap<Entry>();
    owned->generation = nextGeneration++;
    entry = owned;
    entries.insert(kj::str(address), kj::mv(owned));
  }
  gen = entry->generation;
  KJ_IF_MAYBE(c, entry->client) return *c;
  if (entry->connecting == nullptr) {
    entry->connecting =
        connectRpc(io, timer, address, kDefaultChunkPort, timeout)
            .then([entry, gen](kj::Own<RpcConnection> conn) {
              if (entry->generation != gen) return;
              entry->client = conn->bootstrap<wire::ChunkServer>();
              entry->connection = kj::mv(conn);
            })
            .fork();
  }
  auto& forked = KJ_ASSERT_NONNULL(entry->connecting);
  // Two copies: the order in which the two lambdas' captures are built is unspecified.
  auto addrOk = kj::str(address);
  auto addrErr = kj::str(address);
  return forked.addBranch().then(
      [this, addr = kj::mv(addrOk), gen]() -> kj::Promise<wire::ChunkServer::Client> {
        KJ_IF_MAYBE(e, entries.find(addr)) {
          Entry& en = **e;
          if (en.generation == gen) en.connecting = nullptr;
          KJ_IF_MAYBE(c, en.client) return wire::ChunkServer::Client(*c);
        }
        return KJ_EXCEPTION(DISCONNECTED, "chunk server connection lost", addr);
      },
      [this, addr = kj::mv(addrErr), gen](kj::Exception&& e) -> kj::Promise<wire::ChunkServer::Client> {
        drop(addr, gen);
        return kj::mv(e);
      });
}

void ChunkPool::drop(kj::StringPtr address, uint64_t gen) {
  KJ_IF_MAYBE(e, entries.find(address)) {
    if ((*e)->generation != gen) return;
    // Keep the Entry object (pending branches may point at it); just clear it.
    (*e)->generation = nextGeneration++;
    (*e)->client = nullptr;
    (*e)->connection = nullptr;
    (*e)->connecting = nullptr;
  }
}

}  // namespace dfs
