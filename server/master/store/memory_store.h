// An in-memory MetaStore (an ordered map) for unit tests; same semantics as RocksDB.
#pragma once

#include "server/master/store/meta_store.h"

namespace dfs {

// A new empty in-memory store. Iterators share a snapshot of the map; the first write
// while one is alive copies the map, so this is meant for test-sized data.
kj::Own<MetaStore> newMemoryStore();

}  // namespace dfs
