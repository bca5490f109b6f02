// The RocksDB-backed MetaStore: the master's durable metadata store.
#pragma once

#include "server/master/store/meta_store.h"

namespace dfs {

// Opens (creating `dir` and the database in it if missing) a RocksDB MetaStore in
// directory `dir`. Every write is synced to the WAL before write() returns; the block
// cache is bounded (64 MiB). Throws a kj::Exception naming `dir` and RocksDB's reason if
// the database cannot be opened (e.g. it is locked by another process).
kj::Own<MetaStore> openRocksStore(kj::StringPtr dir);

}  // namespace dfs
