// Placement: most-free-first replica choice with reservation and rotation.
#include "server/master/placement/placement.h"
#include <algorithm>
#include <vector>

namespace dfs {

kj::Array<uint64_t> Placement::place(uint32_t replicas, kj::ArrayPtr<const uint64_t> exclude,
                                     uint64_t blockSize) {
  std::vector<NodeState*> candidates;
  for (auto& entry : nodes.all()) {
    NodeState& node = entry.second;
    if (nodes.health(node) != wire::NodeHealth::HEALTHY) continue;
    if (std::find(exclude.begin(), exclude.end(), node.id) != exclude.end()) continue;
    candidates.push_back(&node);
  }
  if (candidates.empty()) return nullptr;
  // Rotate first so equal-free nodes take turns, then order by free space (stable).
  size_t shift = rotation++ % candidates.size();
  std::rotate(candidates.begin(), candidates.begin() + shift, candidates.end());
  std::stable_sort(candidates.begin(), candidates.end(), [](NodeState* a, NodeState* b) {
    // Compare in 64 MiB steps so small differences do not pin every block to one node.
    return (a->freeBytes() >> 26) > (b->freeBytes() >> 26);
  });
  size_t n = kj::min(static_cast<size_t>(replicas), candidates.size());
  auto out = kj::heapArray<uint64_t>(n);
  for (size_t i = 0; i < n; ++i) {
    out[i] = candidates[i]->id;
    candidates[i]->reservedBytes += blockSize;
  }
  return out;
}

}  // namespace dfs
