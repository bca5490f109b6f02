// Placement: choosing the chunk servers that will hold a new block.
#pragma once

#include "server/master/nodes/node_registry.h"
#include <vector>

namespace dfs {

class Placement {
public:
  explicit Placement(NodeRegistry& nodes) : nodes(nodes) {}

  // Chooses up to `replicas` distinct writable nodes (NodeRegistry::writable) not in
  // `exclude`, preferring the most free space (counting blocks already placed since each
  // node's last heartbeat, so a burst of allocations spreads out), then the least load;
  // ties rotate between calls. With allowJoining, joining nodes fill in when too few
  // writable ones exist (client writes right after a master restart); repairs pass false.
  // Returns fewer than `replicas` ids when fewer such nodes exist (the caller warns), none
  // if none. Reserves blockSize on each chosen node.
  kj::Array<uint64_t> place(uint32_t replicas, kj::ArrayPtr<const uint64_t> exclude,
                            uint64_t blockSize, bool allowJoining = true);

private:
  NodeRegistry& nodes;
  void order(std::vector<NodeState*>& candidates);
  uint64_t rotation = 0;
};

}  // namespace dfs
