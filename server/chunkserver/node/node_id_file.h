// The node id the master assigned, persisted in DATA_DIR/node-id.
#pragma once

#include "server/chunkserver/blockstore/disk.h"

#include <cstdint>

namespace dfs {

// The stored node id, or 0 if none is stored (first start). Throws if the file is malformed.
uint64_t loadNodeId(Disk& disk, kj::StringPtr dataDir);

// Durably stores `id` (temp file + fsync + rename + fsync dir).
void saveNodeId(Disk& disk, kj::StringPtr dataDir, uint64_t id);

}  // namespace dfs
