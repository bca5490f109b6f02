// MetaStore: the transactional key/value interface every piece of master metadata goes through.
#pragma once

#include <kj/array.h>
#include <kj/common.h>
#include <kj/memory.h>
#include <kj/string.h>
#include <kj/vector.h>
#include <cstddef>
#include <cstdint>

namespace dfs {

using Bytes = kj::Array<kj::byte>;
using BytesPtr = kj::ArrayPtr<const kj::byte>;

// Helpers for moving between text and byte keys/values.
Bytes copyBytes(BytesPtr bytes);
BytesPtr bytesOf(kj::StringPtr text);  // view of the text's bytes (no NUL terminator)

// Lexicographic (memcmp, then length) order of byte strings: the order every MetaStore
// iterates in.
int compareBytes(BytesPtr a, BytesPtr b);

// An ordered list of puts and deletes that a MetaStore applies atomically, in order (a
// later op on the same key wins). The batch owns copies of every key and value. With
// Raft HA a batch becomes one log entry that followers apply unchanged, so everything a
// mutation decides (ids, timestamps) must be inside the batch.
class WriteBatch {
public:
  struct Op {
    bool isDelete;
    Bytes key;
    Bytes value;  // empty for deletes
  };

  void put(BytesPtr key, BytesPtr value);
  void del(BytesPtr key);

  size_t size() const { return ops_.size(); }
  bool empty() const { return ops_.empty(); }
  kj::ArrayPtr<const Op> ops() const { return ops_.asPtr(); }

private:
  kj::Vector<Op> ops_;
};

// A cursor over a consistent snapshot of the store taken when the iterator was created;
// later writes are not visible through it. Keys come in compareBytes() order. key() and
// value() are valid only while valid() and until the next move. Moving an invalid
// iterator (other than seek*) is a precondition failure.
class MetaIterator {
public:
  virtual ~MetaIterator() = default;
  virtual void seek(BytesPtr key) = 0;         // first key >= key
  virtual void seekForPrev(BytesPtr key) = 0;  // last key <= key
  virtual bool valid() const = 0;
  virtual void next() = 0;
  virtual void prev() = 0;
  virtual BytesPtr key() const = 0;
  virtual BytesPtr value() const = 0;
};

// The master's metadata store. Implementations: RocksDB (rocks_store.h) and an in-memory
// map for tests (memory_store.h). Not thread-safe for concurrent writers: the master
// calls it from its single event loop thread.
class MetaStore {
public:
  virtual ~MetaStore() = default;

  // The value of `key`, or nullptr if absent. Throws kj::Exception on I/O failure.
  virtual kj::Maybe<Bytes> get(BytesPtr key) = 0;

  // A new iterator over a snapshot taken now. Starts invalid: call seek*() first.
  virtual kj::Own<MetaIterator> newIterator() = 0;

  // Like newIterator(), for a caller that only reads keys starting with `prefix` (and
  // still checks the prefix itself). Keys outside it may be invisible; in exchange seeks
  // never walk past the prefix (RocksDB: iterate bounds, so deleted keys of neighbouring
  // ranges are never scanned).
  virtual kj::Own<MetaIterator> newPrefixIterator(BytesPtr prefix) { return newIterator(); }

  // Engine statistics for monitoring, by name (see kStoreStats in master_metrics.cc for
  // the names used: RocksDB integer properties such as "rocksdb.estimate-num-keys").
  // nullptr when the engine does not know the property (the memory store knows none).
  virtual kj::Maybe<uint64_t> intProperty(kj::StringPtr name) { return nullptr; }

  // Applies `batch` atomically. When it returns, the batch survives a crash of this
  // process; it survives a crash of the machine once it is synced: at once for a store
  // that syncs every write (the default), else at the next sync(). Throws kj::Exception
  // on failure, in which case nothing of the batch was applied.
  virtual void write(const WriteBatch& batch) = 0;

  // Makes every batch written so far durable against a machine crash (WAL fsync). Cheap
  // when nothing is unsynced; a no-op for stores that sync every write or live in memory.
  virtual void sync() {}
};

}  // namespace dfs
