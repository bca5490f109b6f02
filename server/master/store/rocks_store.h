// The RocksDB-backed MetaStore: the master's durable metadata store.
#pragma once

#include "server/master/store/meta_store.h"

namespace dfs {

// Opens (creating `dir` and the database in it if missing) a RocksDB MetaStore in
// directory `dir`. With syncEveryWrite every write is fsynced in the WAL before write()
// returns; without, writes reach the OS at once (they survive a crash of the process) and
// sync() fsyncs them. The block cache is bounded (64 MiB). Throws a kj::Exception naming
// `dir` and RocksDB's reason if the database cannot be opened (e.g. locked by another
// process).
kj::Own<MetaStore> openRocksStore(kj::StringPtr dir, bool syncEveryWrite = true);

}  // namespace dfs
