// PlacementPool: allocateBlocks calls in batches, and the pool of fresh placements.
#include "client/io/placement_pool.h"

#include <kj/debug.h>
#include <string.h>

namespace dfs {

kj::Promise<Placement> PlacementPool::take(kj::ArrayPtr<const uint64_t> exclude, bool fresh) {
  auto now = timer.now();
  while (!pool.empty() && now - pool.front().received > maxAge) pool.pop_front();
  if (exclude.size() == 0 && !fresh && !pool.empty()) {
    auto p = kj::mv(pool.front().placement);
    pool.pop_front();
    return kj::mv(p);
  }
  bool refill = exclude.size() == 0;
  uint32_t count = refill ? batch : 1;
  auto excludeCopy = kj::heapArray<uint64_t>(exclude);
  return master
      .call([excludeCopy = kj::mv(excludeCopy), count](wire::Session::Client& s) {
        auto req = s.allocateBlocksRequest();
        req.setCount(count);
        auto ex = req.initExcludeNodes(excludeCopy.size());
        for (size_t i = 0; i < excludeCopy.size(); i++) ex.set(i, excludeCopy[i]);
        return req.send();
      })
      .then([this, refill](capnp::Response<wire::Session::AllocateBlocksResults> r)
                -> kj::Promise<Placement> {
        if (r.getErr() != 0) {
          return KJ_EXCEPTION(FAILED, "master could not place a block", strerror(r.getErr()));
        }
        KJ_REQUIRE(r.getBlocks().size() >= 1, "master returned no blocks");
        auto received = timer.now();
        kj::Maybe<Placement> first;
        for (auto b : r.getBlocks()) {
          KJ_REQUIRE(b.getReplicas().size() > 0, "block placed on no server");
          Placement p;
          p.block = BlockId::fromWire(b.getBlock());
          p.wanted = r.getReplicas();
          p.replicas = KJ_MAP(rep, b.getReplicas()) {
            return Placement::Replica{rep.getNodeId(), kj::str(rep.getAddress())};
          };
          if (first == nullptr) {
            first = kj::mv(p);
          } else if (refill) {
            pool.push_back(Pooled{received, kj::mv(p)});
          }
        }
        return KJ_ASSERT_NONNULL(kj::mv(first));
      });
}

}  // namespace dfs
