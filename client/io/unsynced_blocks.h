// UnsyncedBlocks: the block copies this mount wrote with deferred fsync, so that fsync()
// can make them durable (ChunkServer.sync) on the servers that hold them.
#pragma once

#include <kj/async.h>
#include <kj/map.h>
#include <kj/string.h>
#include <kj/time.h>
#include <kj/vector.h>
#include <deque>
#include "client/rpc/chunk_pool.h"

namespace dfs {

// Quorum and eventual mounts upload blocks with deferSync: a chunk server acknowledges once
// the block is in its kernel and makes it durable within its --data-sync interval. fsync()
// must not wait for that interval, nor trust it blindly: it asks every server that took
// such a copy to sync now. Entries older than `keep` (far beyond any sane interval) and
// beyond `maxEntries` are forgotten. One event loop only.
class UnsyncedBlocks {
public:
  explicit UnsyncedBlocks(kj::Duration keep = 10 * 60 * kj::SECONDS, size_t maxEntries = 1 << 20)
      : keep(keep), maxEntries(maxEntries) {}
  KJ_DISALLOW_COPY(UnsyncedBlocks);

  // One block was acknowledged (not durable yet) by the servers at `addresses`; it is
  // durable enough once `need` of them have synced.
  void add(kj::ArrayPtr<const kj::StringPtr> addresses, size_t need, kj::TimePoint now);

  // Syncs every server holding a block added before the call (all in parallel through
  // `chunks`). Rejects (DISCONNECTED) if some block ends up synced on fewer than its `need`
  // servers; those blocks stay recorded for the next call.
  kj::Promise<void> syncAll(ChunkPool& chunks, kj::TimePoint now);

  size_t size() const { return entries.size(); }

private:
  struct Entry {
    kj::TimePoint added;
    kj::Vector<uint32_t> servers;  // indexes into `addresses`
    size_t need;
  };
  kj::Duration keep;
  size_t maxEntries;
  std::deque<Entry> entries;
  kj::Vector<kj::String> addresses;
  kj::HashMap<kj::String, uint32_t> indexOf;

  uint32_t intern(kj::StringPtr address);
  void prune(kj::TimePoint now);
};

}  // namespace dfs
