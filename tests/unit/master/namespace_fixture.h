// Shared fixture for namespace tests: one typed suite over the memory store and RocksDB.
#pragma once

#include "server/master/namespace/namespace.h"
#include "server/master/store/keys.h"
#include "server/master/store/memory_store.h"
#include "server/master/store/rocks_store.h"
#include "server/master/volumes/volumes.h"
#include <gtest/gtest.h>
#include <filesystem>
#include <stdlib.h>

namespace dfs {

struct MemoryStoreKind {
  static kj::Own<MetaStore> open(const std::string&) { return newMemoryStore(); }
};
struct RocksStoreKind {
  static kj::Own<MetaStore> open(const std::string& dir) { return openRocksStore(dir.c_str()); }
};
using StoreKinds = ::testing::Types<MemoryStoreKind, RocksStoreKind>;

inline BytesPtr b(kj::StringPtr s) { return bytesOf(s); }

template <typename Kind>
class NamespaceTest : public ::testing::Test {
protected:
  NamespaceTest() {
    char tmpl[] = "/tmp/dfs-ns-test-XXXXXX";
    dir = mkdtemp(tmpl);
    store = Kind::open(dir + "/meta");
    volumes = kj::heap<Volumes>(*store, clock);
    Volume v;
    EXPECT_EQ(volumes->create("vol", 2, v), 0);
    root = v.rootIno;
    ns = kj::heap<Namespace>(*store, clock, v.id, v.rootIno, kGraceNs);
  }
  ~NamespaceTest() noexcept override {
    ns = nullptr;
    volumes = nullptr;
    store = nullptr;
    std::filesystem::remove_all(dir);
  }

  // True if block `id` is queued for garbage collection.
  bool hasGcKey(BlockId id) {
    auto prefix = keys::gcPrefix();
    auto it = store->newIterator();
    for (it->seek(prefix); it->valid() && keys::hasPrefix(it->key(), prefix); it->next()) {
      if (keys::gcBlock(it->key()) == id) return true;
    }
    return false;
  }

  // Creates a regular file and returns its inode number.
  uint64_t file(uint64_t parent, kj::StringPtr name) {
    Inode out;
    EXPECT_EQ(ns->mknod(parent, b(name), S_IFREG | 0644, 0, 0, 0, true, out), 0) << name.cStr();
    return out.ino;
  }
  uint64_t dirAt(uint64_t parent, kj::StringPtr name) {
    Inode out;
    EXPECT_EQ(ns->mkdir(parent, b(name), 0755, 0, 0, out), 0) << name.cStr();
    return out.ino;
  }
  Inode attr(uint64_t ino) {
    Inode out;
    EXPECT_EQ(ns->getAttr(ino, out), 0) << ino;
    return out;
  }
  int lookupErr(uint64_t parent, kj::StringPtr name) {
    Inode out;
    return ns->lookup(parent, b(name), out);
  }
  uint64_t lookupIno(uint64_t parent, kj::StringPtr name) {
    Inode out;
    EXPECT_EQ(ns->lookup(parent, b(name), out), 0) << name.cStr();
    return out.ino;
  }

  static constexpr int64_t kGraceNs = 1'000'000'000;
  std::string dir;
  ManualClock clock;
  kj::Own<MetaStore> store;
  kj::Own<Volumes> volumes;
  kj::Own<Namespace> ns;
  uint64_t root = 0;
};

}  // namespace dfs
