// SegmentFetcher: cache lookup, replica fallback, de-duplication of concurrent fetches.
#include "segment_fetcher.h"

#include <kj/debug.h>

namespace dfs {

kj::Promise<kj::Own<SharedBytes>> SegmentFetcher::fetch(BlockId block, uint64_t blockSize,
                                                              uint64_t segment,
                                                              kj::Array<kj::String> replicas) {
  SegmentKey key{block, segment};
  KJ_IF_MAYBE(hit, cache.get(key)) {
    countPrefetchHit(key);
    return kj::mv(*hit);
  }
  auto it = inflight.find(key);
  if (it != inflight.end()) {
    countPrefetchHit(key);
    return it->second.addBranch();
  }

  uint64_t offset = segment * kSegmentSize;
  KJ_REQUIRE(offset < blockSize, "segment past the end of the block");
  uint64_t length = kj::min(kSegmentSize, blockSize - offset);
  auto forked = fetchMissing(key, offset, length, kj::mv(replicas))
                    .then(
                        [this, key](kj::Own<SharedBytes> bytes) {
                          inflight.erase(key);
                          cache.put(key, kj::addRef(*bytes));
                          return kj::mv(bytes);
                        },
                        [this, key](kj::Exception&& e) -> kj::Own<SharedBytes> {
                          inflight.erase(key);
                          kj::throwFatalException(kj::mv(e));
                        })
                    .fork();
  auto branch = forked.addBranch();
  inflight.emplace(key, kj::mv(forked));
  return branch;
}

void SegmentFetcher::countPrefetchHit(const SegmentKey& key) {
  if (prefetchedKeys.erase(key) > 0) prefetchHitCount++;
}

bool SegmentFetcher::prefetch(BlockId block, uint64_t blockSize, uint64_t segment,
                              kj::Array<kj::String> replicas) {
  SegmentKey key{block, segment};
  if (cache.contains(key) || inflight.count(key) > 0) return true;
  if (prefetchesInFlight >= kMaxPrefetches) return false;
  prefetchesInFlight++;
  prefetchCount++;
  // Keys of prefetches never read (a file closed early) must not pile up.
  if (prefetchedKeys.size() >= 4 * kMaxPrefetches) prefetchedKeys.clear();
  prefetchedKeys.insert(key);
  prefetches.add(fetch(block, blockSize, segment, kj::mv(replicas))
                     .then([](kj::Own<SharedBytes>) {}, [](kj::Exception&&) {})
                     .attach(kj::defer([this]() { prefetchesInFlight--; })));
  return true;
}

void SegmentFetcher::taskFailed(kj::Exception&& e) {
  KJ_LOG(WARNING, "prefetch task failed", e.getDescription());
}

kj::Promise<kj::Own<SharedBytes>> SegmentFetcher::fetchMissing(SegmentKey key, uint64_t offset,
                                                               uint64_t length,
                                                               kj::Array<kj::String> replicas) {
  KJ_IF_MAYBE(d, disk) {
    DiskCache& diskCache = *d;
    return diskCache.load(key).then(
        [this, &diskCache, key, offset, length, replicas = kj::mv(replicas)](
            kj::Maybe<kj::Own<SharedBytes>> found) mutable -> kj::Promise<kj::Own<SharedBytes>> {
          KJ_IF_MAYBE(f, found) {
            if ((*f)->get().size() == length) return kj::mv(*f);
          }
          return fetchFrom(key, offset, length, kj::mv(replicas), 0, kj::str("no replica"))
              .then([&diskCache, key](kj::Own<SharedBytes> bytes) {
                diskCache.store(key, kj::addRef(*bytes));
                return kj::mv(bytes);
              });
        });
  }
  return fetchFrom(key, offset, length, kj::mv(replicas), 0, kj::str("no replica"));
}

kj::Promise<kj::Own<SharedBytes>> SegmentFetcher::fetchFrom(
    SegmentKey key, uint64_t offset, uint64_t length, kj::Array<kj::String> replicas, size_t next,
    kj::String lastError) {
  if (next >= replicas.size()) {
    return KJ_EXCEPTION(DISCONNECTED, "no replica could serve the block", key.block.hex(),
                        lastError);
  }
  kj::StringPtr address = replicas[next];
  return chunks
      .call(address,
            [key, offset, length](wire::ChunkServer::Client& server) {
              auto req = server.readBlockRequest();
              key.block.toWire(req.initBlock());
              req.setOffset(offset);
              req.setLength(length);
              return req.send();
            })
      .then(
          [length](capnp::Response<wire::ChunkServer::ReadBlockResults> r)
              -> kj::Own<SharedBytes> {
            auto data = r.getData();
            KJ_REQUIRE(data.size() == length, "short block read", data.size(), length);
            return kj::refcounted<SharedBytes>(kj::heapArray<kj::byte>(data));
          })
      .catch_([this, key, offset, length, replicas = kj::mv(replicas), next](
                  kj::Exception&& e) mutable -> kj::Promise<kj::Own<SharedBytes>> {
        KJ_LOG(WARNING, "block read failed; trying the next replica", replicas[next],
               e.getDescription());
        auto err = kj::str(replicas[next], ": ", e.getDescription());
        return fetchFrom(key, offset, length, kj::mv(replicas), next + 1, kj::mv(err));
      });
}

}  // namespace dfs
