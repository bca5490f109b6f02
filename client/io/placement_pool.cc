// PlacementPool: allocateBlocks calls in batches, and the pool of fresh placements.
#include "client/io/placement_pool.h"

#include <kj/debug.h>
#include <string.h>
#include <algorithm>

namespace dfs {

void PlacementPool::avoid(uint64_t node, kj::Duration span) {
  auto until = timer.now() + span;
  auto it = avoided.find(node);
  if (it == avoided.end()) {
    avoided.emplace(node, until);
  } else {
    it->second = kj::max(it->second, until);
  }
}

size_t PlacementPool::avoiding() {
  auto now = timer.now();
  for (auto it = avoided.begin(); it != avoided.end();) {
    it = it->second <= now ? avoided.erase(it) : std::next(it);
  }
  return avoided.size();
}

bool PlacementPool::onAvoided(const Placement& p) const {
  for (auto& r : p.replicas) {
    if (avoided.count(r.nodeId) > 0) return true;
  }
  return false;
}

kj::Promise<Placement> PlacementPool::take(kj::ArrayPtr<const uint64_t> exclude, bool fresh,
                                           bool avoiding) {
  auto now = timer.now();
  while (!pool.empty() && now - pool.front().received > maxAge) pool.pop_front();
  bool avoid = avoiding && this->avoiding() > 0;
  if (exclude.size() == 0 && !fresh) {
    while (!pool.empty()) {
      auto p = kj::mv(pool.front().placement);
      pool.pop_front();
      if (!avoid || !onAvoided(p)) return kj::mv(p);
    }
  }
  // The pool refills only from a request that leaves out exactly the avoided nodes (a
  // request that may use them would fill it with placements the next take skips).
  bool refill = exclude.size() == 0 && (avoid || avoided.empty());
  uint32_t count = refill ? batch : 1;
  kj::Vector<uint64_t> all;
  all.addAll(exclude);
  if (avoid) {
    for (auto& [node, until] : avoided) {
      if (std::find(exclude.begin(), exclude.end(), node) == exclude.end()) all.add(node);
    }
  }
  auto excludeCopy = all.releaseAsArray();
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
