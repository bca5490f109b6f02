// SegmentFetcher: gets one segment of a block through the memory cache, then the disk cache
// (if any), then the replicas in order (falling back on error or deadline), sharing
// concurrent fetches of the same segment. Also runs readahead prefetches in the background.
#pragma once

#include <kj/async.h>
#include <kj/vector.h>
#include <unordered_map>
#include <unordered_set>
#include "client/cache/disk_cache.h"
#include "client/io/data_context.h"

namespace dfs {

class SegmentFetcher final : private kj::TaskSet::ErrorHandler {
public:
  // `disk` (optional) must outlive this.
  SegmentFetcher(ChunkPool& chunks, BlockCache& cache, kj::Maybe<DiskCache&> disk = nullptr)
      : chunks(chunks), cache(cache), disk(disk), prefetches(*this) {}

  // Bytes [segment*kSegmentSize, min(blockSize, (segment+1)*kSegmentSize)) of `block`.
  // A segment fetched from a replica is put in the memory cache and stored on disk.
  kj::Promise<kj::Own<SharedBytes>> fetch(BlockId block, uint64_t blockSize,
                                                uint64_t segment,
                                                kj::Array<kj::String> replicas);

  // Starts fetching the segment into the caches in the background, unless it is cached or
  // in flight already. Returns false (nothing started) when kMaxPrefetches are in flight.
  // A failed prefetch is dropped silently (the read that needs it will try again).
  bool prefetch(BlockId block, uint64_t blockSize, uint64_t segment,
                kj::Array<kj::String> replicas);

  // Segments prefetched from the disk cache or replicas, and reads served by them.
  uint64_t prefetched() const { return prefetchCount; }
  uint64_t prefetchHits() const { return prefetchHitCount; }

  static constexpr size_t kMaxPrefetches = 128;  // segments (32 MiB) in flight, all files

private:
  void taskFailed(kj::Exception&& e) override;
  void countPrefetchHit(const SegmentKey& key);
  kj::Promise<kj::Own<SharedBytes>> fetchMissing(SegmentKey key, uint64_t offset,
                                                 uint64_t length, kj::Array<kj::String> replicas);
  kj::Promise<kj::Own<SharedBytes>> fetchFrom(SegmentKey key, uint64_t offset,
                                                    uint64_t length,
                                                    kj::Array<kj::String> replicas, size_t next,
                                                    kj::String lastError);
  ChunkPool& chunks;
  BlockCache& cache;
  kj::Maybe<DiskCache&> disk;
  std::unordered_map<SegmentKey, kj::ForkedPromise<kj::Own<SharedBytes>>, SegmentKeyHash>
      inflight;
  std::unordered_set<SegmentKey, SegmentKeyHash> prefetchedKeys;  // not read yet
  size_t prefetchesInFlight = 0;
  uint64_t prefetchCount = 0;
  uint64_t prefetchHitCount = 0;
  kj::TaskSet prefetches;
};

}  // namespace dfs
