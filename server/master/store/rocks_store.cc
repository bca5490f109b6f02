// RocksDB MetaStore: synced WAL writes, bounded block cache, snapshot iterators.
#include "server/master/store/rocks_store.h"
#include "server/master/store/keys.h"

#include <kj/debug.h>
#include <rocksdb/cache.h>
#include <rocksdb/db.h>
#include <rocksdb/options.h>
#include <rocksdb/table.h>
#include <rocksdb/write_batch.h>
#include <sys/stat.h>
#include <cerrno>

namespace dfs {
namespace {

constexpr size_t kBlockCacheBytes = 64u << 20;

rocksdb::Slice toSlice(BytesPtr b) {
  return rocksdb::Slice(reinterpret_cast<const char*>(b.begin()), b.size());
}

BytesPtr toBytes(const rocksdb::Slice& s) {
  return BytesPtr(reinterpret_cast<const kj::byte*>(s.data()), s.size());
}

void check(const rocksdb::Status& status, kj::StringPtr what) {
  if (!status.ok()) {
    auto reason = status.ToString();
    KJ_FAIL_REQUIRE("RocksDB operation failed", what, reason);
  }
}

// Iterates a snapshot; releases the snapshot when destroyed (iterator first).
class RocksIterator final : public MetaIterator {
public:
  RocksIterator(rocksdb::DB& db) : db(db), snapshot(db.GetSnapshot()) {
    rocksdb::ReadOptions options;
    options.snapshot = snapshot;
    it.reset(db.NewIterator(options));
  }
  // Bounded to keys with `prefix` (an empty upper bound means "to the end").
  RocksIterator(rocksdb::DB& db, BytesPtr prefix)
      : db(db), snapshot(db.GetSnapshot()), lower(copyBytes(prefix)),
        upper(keys::prefixEnd(prefix)), lowerSlice(toSlice(lower)), upperSlice(toSlice(upper)) {
    rocksdb::ReadOptions options;
    options.snapshot = snapshot;
    options.iterate_lower_bound = &lowerSlice;
    if (upper.size() > 0) options.iterate_upper_bound = &upperSlice;
    it.reset(db.NewIterator(options));
  }
  ~RocksIterator() {
    it.reset();
    db.ReleaseSnapshot(snapshot);
  }

  void seek(BytesPtr key) override {
    it->Seek(toSlice(key));
    checkStatus();
  }
  void seekForPrev(BytesPtr key) override {
    it->SeekForPrev(toSlice(key));
    checkStatus();
  }
  bool valid() const override { return it->Valid(); }
  void next() override {
    KJ_REQUIRE(valid());
    it->Next();
    checkStatus();
  }
  void prev() override {
    KJ_REQUIRE(valid());
    it->Prev();
    checkStatus();
  }
  BytesPtr key() const override {
    KJ_REQUIRE(valid());
    return toBytes(it->key());
  }
  BytesPtr value() const override {
    KJ_REQUIRE(valid());
    return toBytes(it->value());
  }

private:
  rocksdb::DB& db;
  const rocksdb::Snapshot* snapshot;
  Bytes lower, upper;                      // bounds (must outlive `it`)
  rocksdb::Slice lowerSlice, upperSlice;
  std::unique_ptr<rocksdb::Iterator> it;

  void checkStatus() {
    if (!it->Valid()) check(it->status(), "iterate");
  }
};

class RocksStore final : public MetaStore {
public:
  RocksStore(std::unique_ptr<rocksdb::DB> db, bool syncEveryWrite)
      : db(kj::mv(db)), syncEveryWrite(syncEveryWrite) {}

  kj::Maybe<Bytes> get(BytesPtr key) override {
    rocksdb::PinnableSlice value;
    auto status = db->Get(rocksdb::ReadOptions(), db->DefaultColumnFamily(), toSlice(key), &value);
    if (status.IsNotFound()) return nullptr;
    check(status, "get");
    return copyBytes(toBytes(value));
  }

  kj::Own<MetaIterator> newIterator() override {
    return kj::heap<RocksIterator>(*db);
  }
  kj::Own<MetaIterator> newPrefixIterator(BytesPtr prefix) override {
    return kj::heap<RocksIterator>(*db, prefix);
  }

  void write(const WriteBatch& batch) override {
    rocksdb::WriteBatch wb;
    for (auto& op : batch.ops()) {
      if (op.isDelete) {
        check(wb.Delete(toSlice(op.key)), "batch delete");
      } else {
        check(wb.Put(toSlice(op.key), toSlice(op.value)), "batch put");
      }
    }
    rocksdb::WriteOptions options;
    options.sync = syncEveryWrite;
    check(db->Write(options, &wb), "write");
    if (!syncEveryWrite) unsynced = true;
  }

  void sync() override {
    if (!unsynced) return;
    check(db->SyncWAL(), "sync WAL");
    unsynced = false;
  }

  kj::Maybe<uint64_t> intProperty(kj::StringPtr name) override {
    uint64_t value = 0;
    if (!db->GetIntProperty(rocksdb::Slice(name.cStr(), name.size()), &value)) return nullptr;
    return value;
  }

private:
  std::unique_ptr<rocksdb::DB> db;
  bool syncEveryWrite;
  bool unsynced = false;  // written since the last sync()
};

}  // namespace

kj::Own<MetaStore> openRocksStore(kj::StringPtr dir, bool syncEveryWrite) {
  if (mkdir(dir.cStr(), 0755) != 0 && errno != EEXIST) {
    KJ_FAIL_SYSCALL("mkdir", errno, dir);
  }
  rocksdb::Options options;
  options.create_if_missing = true;
  rocksdb::BlockBasedTableOptions table;
  table.block_cache = rocksdb::NewLRUCache(kBlockCacheBytes);
  options.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));

  rocksdb::DB* raw = nullptr;
  auto status = rocksdb::DB::Open(options, dir.cStr(), &raw);
  if (!status.ok()) {
    auto reason = status.ToString();
    KJ_FAIL_REQUIRE("cannot open metadata store", dir, reason);
  }
  return kj::heap<RocksStore>(std::unique_ptr<rocksdb::DB>(raw), syncEveryWrite);
}

}  // namespace dfs
