// SegmentFetcher: gets one segment of a block through the block cache, asking the
// replicas in order (falling back on error or deadline) and sharing concurrent fetches
// of the same segment.
#pragma once

#include <kj/async.h>
#include <kj/vector.h>
#include <unordered_map>
#include "client/io/data_context.h"

namespace dfs {

class SegmentFetcher {
public:
  SegmentFetcher(ChunkPool& chunks, BlockCache& cache) : chunks(chunks), cache(cache) {}

  // Bytes [segment*kSegmentSize, min(blockSize, (segment+1)*kSegmentSize)) of `block`.
  kj::Promise<kj::Own<SharedBytes>> fetch(BlockId block, uint64_t blockSize,
                                                uint64_t segment,
                                                kj::Array<kj::String> replicas);

private:
  kj::Promise<kj::Own<SharedBytes>> fetchFrom(SegmentKey key, uint64_t offset,
                                                    uint64_t length,
                                                    kj::Array<kj::String> replicas, size_t next,
                                                    kj::String lastError);
  ChunkPool& chunks;
  BlockCache& cache;
  std::unordered_map<SegmentKey, kj::ForkedPromise<kj::Own<SharedBytes>>, SegmentKeyHash>
      inflight;
};

}  // namespace dfs
