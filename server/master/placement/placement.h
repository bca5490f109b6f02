// Placement: choosing the chunk servers that will hold a new block.
#pragma once

#include "server/master/nodes/node_registry.h"

namespace dfs {

class Placement {
public:
  explicit Placement(NodeRegistry& nodes) : nodes(nodes) {}

  // Chooses up to `replicas` distinct healthy nodes not in `exclude`, preferring the most
  // free space (counting blocks already placed since each node's last heartbeat, so a
  // burst of allocations spreads out); ties rotate between calls. Returns fewer than
  // `replicas` ids when fewer healthy nodes exist (the caller warns), none if none.
  // Reserves blockSize on each chosen node.
  kj::Array<uint64_t> place(uint32_t replicas, kj::ArrayPtr<const uint64_t> exclude,
                            uint64_t blockSize);

private:
  NodeRegistry& nodes;
  uint64_t rotation = 0;
};

}  // namespace dfs
