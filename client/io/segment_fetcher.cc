// SegmentFetcher: cache lookup, replica fallback, de-duplication of concurrent fetches.
#include "segment_fetcher.h"

#include <kj/debug.h>

namespace dfs {

kj::Promise<kj::Own<SharedBytes>> SegmentFetcher::fetch(BlockId block, uint64_t blockSize,
                                                              uint64_t segment,
                                                              kj::Array<kj::String> replicas) {
  SegmentKey key{block, segment};
  KJ_IF_MAYBE(hit, cache.get(key)) return kj::mv(*hit);
  auto it = inflight.find(key);
  if (it != inflight.end()) return it->second.addBranch();

  uint64_t offset = segment * kSegmentSize;
  KJ_REQUIRE(offset < blockSize, "segment past the end of the block");
  uint64_t length = kj::min(kSegmentSize, blockSize - offset);
  auto forked = fetchFrom(key, offset, length, kj::mv(replicas), 0, kj::str("no replica"))
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
