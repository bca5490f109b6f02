// Placement: most-free-first replica choice with reservation and rotation.
#include "server/master/placement/placement.h"
#include <algorithm>
#include <vector>

namespace dfs {

kj::Array<uint64_t> Placement::place(uint32_t replicas, kj::ArrayPtr<const uint64_t> exclude,
                                     uint64_t blockSize, bool allowJoining) {
  std::vector<NodeState*> preferred, fallback;
  for (auto& entry : nodes.all()) {
    NodeState& node = entry.second;
    if (std::find(exclude.begin(), exclude.end(), node.id) != exclude.end()) continue;
    auto state = nodes.state(node);
    if (state == wire::NodeState::HEALTHY) {
      preferred.push_back(&node);
    } else if (allowJoining && state == wire::NodeState::JOINING) {
      fallback.push_back(&node);
    }
  }
  order(preferred);
  order(fallback);
  preferred.insert(preferred.end(), fallback.begin(), fallback.end());
  size_t n = kj::min(static_cast<size_t>(replicas), preferred.size());
  auto out = kj::heapArray<uint64_t>(n);
  for (size_t i = 0; i < n; ++i) {
    out[i] = preferred[i]->id;
    preferred[i]->reservedBytes += blockSize;
  }
  return out;
}

void Placement::order(std::vector<NodeState*>& candidates) {
  if (candidates.empty()) return;
  // Rotate first so equal nodes take turns, then order by free space in 64 MiB steps (so
  // small differences do not pin every block to one node), then by requests in flight.
  size_t shift = rotation++ % candidates.size();
  std::rotate(candidates.begin(), candidates.begin() + shift, candidates.end());
  std::stable_sort(candidates.begin(), candidates.end(), [](NodeState* a, NodeState* b) {
    uint64_t fa = a->freeBytes() >> 26, fb = b->freeBytes() >> 26;
    if (fa != fb) return fa > fb;
    return a->load.requestsInFlight < b->load.requestsInFlight;
  });
}

}  // namespace dfs
