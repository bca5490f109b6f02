// UnsyncedBlocks: recording deferred-fsync copies, and the fsync() pass over their servers.
#include "client/io/unsynced_blocks.h"

#include <kj/debug.h>

namespace dfs {

uint32_t UnsyncedBlocks::intern(kj::StringPtr address) {
  KJ_IF_MAYBE(i, indexOf.find(address)) return *i;
  uint32_t i = addresses.size();
  addresses.add(kj::heapString(address));
  indexOf.insert(kj::heapString(address), i);
  return i;
}

void UnsyncedBlocks::prune(kj::TimePoint now) {
  while (!entries.empty() &&
         (entries.size() > maxEntries || now - entries.front().added > keep)) {
    entries.pop_front();
  }
}

void UnsyncedBlocks::add(kj::ArrayPtr<const kj::StringPtr> where, size_t need,
                         kj::TimePoint now) {
  Entry e{now, {}, need};
  for (auto a : where) e.servers.add(intern(a));
  entries.push_back(kj::mv(e));
  prune(now);
}

kj::Promise<void> UnsyncedBlocks::syncAll(ChunkPool& chunks, kj::TimePoint now) {
  prune(now);
  if (entries.empty()) return kj::READY_NOW;
  // Which servers to ask: those of every entry, once each.
  auto wanted = kj::heapArray<bool>(addresses.size());
  for (auto& w : wanted) w = false;
  for (auto& e : entries) {
    for (auto s : e.servers) wanted[s] = true;
  }
  auto taken = kj::heap<std::deque<Entry>>(kj::mv(entries));
  entries.clear();
  kj::Vector<uint32_t> servers;
  kj::Vector<kj::Promise<bool>> syncs;
  for (uint32_t s = 0; s < wanted.size(); s++) {
    if (!wanted[s]) continue;
    servers.add(s);
    syncs.add(chunks
                  .call(addresses[s],
                        [](wire::ChunkServer::Client& server) {
                          return server.syncRequest().send().ignoreResult();
                        })
                  .then([]() { return true; },
                        [address = kj::heapString(addresses[s])](kj::Exception&& e) {
                          KJ_LOG(WARNING, "chunk server sync failed", address, e);
                          return false;
                        }));
  }
  return kj::joinPromises(syncs.releaseAsArray())
      .then([this, taken = kj::mv(taken), servers = kj::mv(servers),
             size = addresses.size()](kj::Array<bool> ok) mutable {
        auto synced = kj::heapArray<bool>(size);
        for (auto& b : synced) b = false;
        for (size_t i = 0; i < servers.size(); i++) synced[servers[i]] = ok[i];
        size_t short_ = 0;
        for (auto& e : *taken) {
          size_t n = 0;
          for (auto s : e.servers) n += synced[s] ? 1 : 0;
          if (n < e.need) {
            short_++;
            entries.push_front(kj::mv(e));  // tried again by the next fsync
          }
        }
        if (short_ > 0) {
          kj::throwFatalException(KJ_EXCEPTION(
              DISCONNECTED, "written data could not be made durable on enough chunk servers",
              short_));
        }
      });
}

}  // namespace dfs
