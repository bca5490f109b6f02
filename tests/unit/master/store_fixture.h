// Typed gtest fixture that runs a suite over both MetaStores: memory and RocksDB (temp dir).
#pragma once

#include "server/master/store/memory_store.h"
#include "server/master/store/meta_store.h"
#include "server/master/store/rocks_store.h"
#include <gtest/gtest.h>
#include <kj/string.h>
#include <filesystem>
#include <stdlib.h>
#include <string>

namespace dfs {
namespace test {

struct MemoryStoreFactory {
  static constexpr bool kPersistent = false;
  kj::Own<MetaStore> open() { return newMemoryStore(); }
};

struct RocksStoreFactory {
  static constexpr bool kPersistent = true;
  bool syncEveryWrite = true;
  std::string dir;
  RocksStoreFactory() {
    char tmpl[] = "/tmp/dfs-store-test-XXXXXX";
    const char* made = mkdtemp(tmpl);
    if (made == nullptr) throw std::runtime_error("mkdtemp failed");
    dir = std::string(made) + "/db";
  }
  ~RocksStoreFactory() {
    std::filesystem::remove_all(std::filesystem::path(dir).parent_path());
  }
  kj::Own<MetaStore> open() { return openRocksStore(kj::StringPtr(dir.c_str()), syncEveryWrite); }
};

// RocksDB with writes synced by sync() (dfs-master --metadata-sync=MS), not each write.
struct RocksPeriodicSyncFactory : public RocksStoreFactory {
  RocksPeriodicSyncFactory() { syncEveryWrite = false; }
};

template <typename Factory>
class StoreTest : public ::testing::Test {
protected:
  Factory factory;
  kj::Own<MetaStore> store = factory.open();

  ~StoreTest() noexcept override {}

  // Closes and reopens the store (RocksDB only; the memory store is not persistent).
  void reopen() {
    store = nullptr;
    store = factory.open();
  }
};

using StoreTypes =
    ::testing::Types<MemoryStoreFactory, RocksStoreFactory, RocksPeriodicSyncFactory>;

// Bytes from a string literal / std::string.
inline BytesPtr b(const std::string& s) {
  return BytesPtr(reinterpret_cast<const kj::byte*>(s.data()), s.size());
}
inline std::string toStr(BytesPtr p) {
  return std::string(reinterpret_cast<const char*>(p.begin()), p.size());
}

}  // namespace test
}  // namespace dfs
