// MetaStore contract tests (get/put/delete, batches, iterators, persistence) over both stores.
#include "tests/unit/master/store_fixture.h"
#include "server/master/store/keys.h"

#include <kj/debug.h>
#include <vector>

namespace dfs {
namespace test {
namespace {

template <typename F>
using MetaStoreTest = StoreTest<F>;
TYPED_TEST_SUITE(MetaStoreTest, StoreTypes);

std::string getOr(MetaStore& store, const std::string& key, const std::string& missing = "<none>") {
  KJ_IF_MAYBE(v, store.get(b(key))) return toStr(*v);
  return missing;
}

void put(MetaStore& store, const std::string& k, const std::string& v) {
  WriteBatch batch;
  batch.put(b(k), b(v));
  store.write(batch);
}

std::vector<std::string> scanAll(MetaStore& store) {
  std::vector<std::string> out;
  auto it = store.newIterator();
  for (it->seek(nullptr); it->valid(); it->next()) out.push_back(toStr(it->key()));
  return out;
}

TYPED_TEST(MetaStoreTest, GetPutDelete) {
  auto& store = *this->store;
  EXPECT_EQ(getOr(store, "a"), "<none>");
  put(store, "a", "1");
  EXPECT_EQ(getOr(store, "a"), "1");
  put(store, "a", "22");
  EXPECT_EQ(getOr(store, "a"), "22");
  put(store, "empty", "");
  EXPECT_EQ(getOr(store, "empty"), "");  // present with an empty value, not missing
  WriteBatch del;
  del.del(b("a"));
  del.del(b("never-existed"));
  store.write(del);
  EXPECT_EQ(getOr(store, "a"), "<none>");
  EXPECT_EQ(getOr(store, "empty"), "");
}

TYPED_TEST(MetaStoreTest, SyncKeepsWhatWasWritten) {
  WriteBatch batch;
  batch.put(bytesOf("k"), bytesOf("v"));
  this->store->write(batch);
  this->store->sync();
  this->store->sync();  // nothing new: still fine
  EXPECT_TRUE(this->store->get(bytesOf("k")) != nullptr);
  if (TypeParam::kPersistent) {
    this->reopen();
    EXPECT_TRUE(this->store->get(bytesOf("k")) != nullptr);
  }
}

TYPED_TEST(MetaStoreTest, BinaryKeysWithZeroAndHighBytes) {
  auto& store = *this->store;
  std::string k1("a\0b", 3), k2("a\0", 2), k3("a\xff", 2);
  put(store, k1, "1");
  put(store, k2, "2");
  put(store, k3, "3");
  EXPECT_EQ(getOr(store, k1), "1");
  EXPECT_EQ(getOr(store, k2), "2");
  EXPECT_EQ(getOr(store, "a"), "<none>");
  // Unsigned byte order: "a\0" < "a\0b" < "a\xff".
  EXPECT_EQ(scanAll(store), (std::vector<std::string>{k2, k1, k3}));
}

TYPED_TEST(MetaStoreTest, BatchAppliesInOrderAndAtomically) {
  auto& store = *this->store;
  WriteBatch batch;
  EXPECT_TRUE(batch.empty());
  batch.put(b("x"), b("1"));
  batch.put(b("y"), b("2"));
  batch.del(b("x"));
  batch.put(b("z"), b("3"));
  batch.put(b("z"), b("4"));
  EXPECT_EQ(batch.size(), 5u);
  EXPECT_FALSE(batch.empty());
  EXPECT_TRUE(batch.ops()[2].isDelete);
  store.write(batch);
  EXPECT_EQ(getOr(store, "x"), "<none>");
  EXPECT_EQ(getOr(store, "y"), "2");
  EXPECT_EQ(getOr(store, "z"), "4");
  store.write(WriteBatch());  // empty batch is fine
  EXPECT_EQ(scanAll(store), (std::vector<std::string>{"y", "z"}));
}

TYPED_TEST(MetaStoreTest, IteratorSeekAndDirections) {
  auto& store = *this->store;
  for (auto k : {"b", "d", "f"}) put(store, k, std::string("v") + k);
  auto it = store.newIterator();
  EXPECT_FALSE(it->valid());

  it->seek(b("d"));  // exact
  ASSERT_TRUE(it->valid());
  EXPECT_EQ(toStr(it->key()), "d");
  EXPECT_EQ(toStr(it->value()), "vd");
  it->seek(b("c"));  // between
  ASSERT_TRUE(it->valid());
  EXPECT_EQ(toStr(it->key()), "d");
  it->seek(b("a"));  // before first
  ASSERT_TRUE(it->valid());
  EXPECT_EQ(toStr(it->key()), "b");
  it->seek(b("g"));  // past last
  EXPECT_FALSE(it->valid());

  it->seekForPrev(b("d"));  // exact
  ASSERT_TRUE(it->valid());
  EXPECT_EQ(toStr(it->key()), "d");
  it->seekForPrev(b("e"));  // between
  ASSERT_TRUE(it->valid());
  EXPECT_EQ(toStr(it->key()), "d");
  it->seekForPrev(b("z"));  // past last
  ASSERT_TRUE(it->valid());
  EXPECT_EQ(toStr(it->key()), "f");
  it->seekForPrev(b("a"));  // before first
  EXPECT_FALSE(it->valid());

  it->seek(b("b"));
  it->next();
  EXPECT_EQ(toStr(it->key()), "d");
  it->next();
  EXPECT_EQ(toStr(it->key()), "f");
  it->next();
  EXPECT_FALSE(it->valid());

  it->seekForPrev(b("f"));
  it->prev();
  EXPECT_EQ(toStr(it->key()), "d");
  it->prev();
  EXPECT_EQ(toStr(it->key()), "b");
  it->prev();
  EXPECT_FALSE(it->valid());

  // Direction change in the middle.
  it->seek(b("d"));
  it->prev();
  EXPECT_EQ(toStr(it->key()), "b");
  it->next();
  EXPECT_EQ(toStr(it->key()), "d");
}

TYPED_TEST(MetaStoreTest, IteratorSeesSnapshotAtCreation) {
  auto& store = *this->store;
  put(store, "a", "old");
  put(store, "b", "old");
  auto it = store.newIterator();
  WriteBatch batch;
  batch.put(b("a"), b("new"));
  batch.del(b("b"));
  batch.put(b("c"), b("new"));
  store.write(batch);

  std::vector<std::string> seen;
  for (it->seek(nullptr); it->valid(); it->next()) seen.push_back(toStr(it->key()) + "=" + toStr(it->value()));
  EXPECT_EQ(seen, (std::vector<std::string>{"a=old", "b=old"}));
  EXPECT_EQ(scanAll(store), (std::vector<std::string>{"a", "c"}));
  EXPECT_EQ(getOr(store, "a"), "new");
}

TYPED_TEST(MetaStoreTest, PersistsAcrossReopen) {
  if (!TypeParam::kPersistent) GTEST_SKIP() << "memory store is not persistent";
  put(*this->store, "k1", "v1");
  WriteBatch batch;
  batch.put(b("k2"), b("v2"));
  batch.del(b("k1"));
  batch.put(b("k3"), b("v3"));
  this->store->write(batch);
  this->reopen();
  EXPECT_EQ(getOr(*this->store, "k1"), "<none>");
  EXPECT_EQ(getOr(*this->store, "k2"), "v2");
  EXPECT_EQ(scanAll(*this->store), (std::vector<std::string>{"k2", "k3"}));
}

TYPED_TEST(MetaStoreTest, SecondOpenOfLockedDbFails) {
  if (!TypeParam::kPersistent) GTEST_SKIP() << "memory store has no lock";
  kj::Maybe<kj::Exception> error = kj::runCatchingExceptions([&]() { this->factory.open(); });
  KJ_IF_MAYBE(e, error) {
    EXPECT_NE(e->getDescription().findFirst('/'), nullptr) << e->getDescription().cStr();
  } else {
    ADD_FAILURE() << "second open of a locked RocksDB succeeded";
  }
  // The first handle still works.
  put(*this->store, "still", "ok");
  EXPECT_EQ(getOr(*this->store, "still"), "ok");
}

}  // namespace
}  // namespace test
}  // namespace dfs

namespace dfs {
namespace test {
namespace {

// A prefix iterator serves every key of its prefix (in order, both directions), also
// across many deleted keys in front of it.
TYPED_TEST(MetaStoreTest, PrefixIteratorServesItsPrefix) {
  auto& store = *this->store;
  for (auto k : {"a1", "b1", "b2", "c1"}) put(store, k, "v");
  WriteBatch dels;
  for (int i = 0; i < 1000; i++) {
    auto k = "a2-" + std::to_string(i);
    put(store, k, "x");
    dels.del(b(k));
  }
  store.write(dels);
  const std::string prefixText = "b";
  auto prefix = b(prefixText);
  auto it = store.newPrefixIterator(prefix);
  std::vector<std::string> seen;
  for (it->seek(prefix); it->valid() && keys::hasPrefix(it->key(), prefix); it->next()) {
    seen.push_back(toStr(it->key()));
  }
  EXPECT_EQ(seen, (std::vector<std::string>{"b1", "b2"}));
  it->seekForPrev(b("b2zz"));
  ASSERT_TRUE(it->valid());
  EXPECT_EQ(toStr(it->key()), "b2");
  it->prev();
  ASSERT_TRUE(it->valid());
  EXPECT_EQ(toStr(it->key()), "b1");
  // Nothing of the prefix before "b1": the iterator leaves the prefix (or becomes invalid).
  it->seekForPrev(b("b0"));
  EXPECT_TRUE(!it->valid() || !keys::hasPrefix(it->key(), prefix));
}

}  // namespace
}  // namespace test
}  // namespace dfs
