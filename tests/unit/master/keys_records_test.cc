// Key layout (ordering, prefixes, parsers) and record encoding tests.
#include "server/master/store/keys.h"
#include "server/master/store/records.h"
#include "tests/unit/master/store_fixture.h"

#include <kj/debug.h>
#include <dirent.h>

namespace dfs {
namespace test {
namespace {

TEST(Keys, Be64RoundTripAndOrder) {
  for (uint64_t v : {0ull, 1ull, 255ull, 256ull, 0x0102030405060708ull, ~0ull}) {
    auto e = keys::be64(v);
    ASSERT_EQ(e.size(), 8u);
    EXPECT_EQ(keys::readBe64(e), v);
  }
  auto e = keys::be64(0x0102030405060708ull);
  EXPECT_EQ(e[0], 1);
  EXPECT_EQ(e[7], 8);
  // Byte order equals numeric order across a byte boundary (little-endian would fail).
  EXPECT_LT(compareBytes(keys::be64(255), keys::be64(256)), 0);
  EXPECT_LT(compareBytes(keys::inode(255), keys::inode(256)), 0);
  EXPECT_LT(compareBytes(keys::extent(7, 0xff), keys::extent(7, 0x100)), 0);
  EXPECT_LT(compareBytes(keys::extent(7, ~0ull), keys::extent(8, 0)), 0);
  EXPECT_LT(compareBytes(keys::gc(1000, BlockId{9, 9}), keys::gc(1001, BlockId{0, 1})), 0);
  EXPECT_LT(compareBytes(keys::block({0, ~0ull}), keys::block({1, 0})), 0);
  EXPECT_ANY_THROW(keys::readBe64(keys::be64(1).slice(0, 7)));
}

TEST(Keys, LayoutAndParsers) {
  auto d = keys::dirent(42, kj::StringPtr("name"));
  EXPECT_EQ(d.size(), 1u + 8 + 4);
  EXPECT_EQ(d[0], 'D');
  EXPECT_EQ(toStr(keys::direntName(d)), "name");
  EXPECT_EQ(keys::direntParent(d), 42u);
  EXPECT_TRUE(keys::hasPrefix(d, keys::direntPrefix(42)));
  EXPECT_FALSE(keys::hasPrefix(d, keys::direntPrefix(43)));
  EXPECT_FALSE(keys::hasPrefix(keys::direntPrefix(42), d));
  EXPECT_TRUE(keys::hasPrefix(d, nullptr));

  auto x = keys::extent(5, 4096);
  EXPECT_EQ(x.size(), 17u);
  EXPECT_EQ(keys::extentOffset(x), 4096u);
  EXPECT_EQ(keys::extentIno(x), 5u);
  EXPECT_TRUE(keys::hasPrefix(x, keys::extentPrefix(5)));

  BlockId id{0x1122334455667788ull, 0x99aabbccddeeff00ull};
  EXPECT_EQ(keys::blockIdOf(keys::block(id)), id);
  auto g = keys::gc(123456789, id);
  EXPECT_EQ(g.size(), 25u);
  EXPECT_EQ(keys::gcDue(g), 123456789);
  EXPECT_EQ(keys::gcBlock(g), id);
  EXPECT_TRUE(keys::hasPrefix(g, keys::gcPrefix()));
  EXPECT_ANY_THROW(keys::gc(-1, id));

  EXPECT_EQ(keys::nodeIdOf(keys::node(77)), 77u);
  EXPECT_TRUE(keys::hasPrefix(keys::node(77), keys::nodePrefix()));
  EXPECT_EQ(keys::inodeOf(keys::inode(3)), 3u);
  EXPECT_EQ(toStr(keys::volume("vol")), "Vvol");
  EXPECT_EQ(toStr(keys::counter("ino")), "Cino");
  auto xk = keys::xattr(5, b("user.a"));
  EXPECT_EQ(toStr(keys::xattrName(xk)), "user.a");
  EXPECT_TRUE(keys::hasPrefix(xk, keys::xattrPrefix(5)));
  EXPECT_FALSE(keys::hasPrefix(xk, keys::xattrPrefix(6)));
  EXPECT_ANY_THROW(keys::xattrName(keys::inode(1)));

  // Parsers reject other tables and truncated keys.
  EXPECT_ANY_THROW(keys::extentOffset(keys::inode(1)));
  EXPECT_ANY_THROW(keys::extentOffset(x.slice(0, 16)));
  EXPECT_ANY_THROW(keys::gcBlock(keys::block(id)));
  EXPECT_ANY_THROW(keys::direntName(keys::inode(1)));

  EXPECT_EQ(toStr(keys::prefixEnd(b("ab"))), "ac");
  EXPECT_EQ(toStr(keys::prefixEnd(b("a\xff"))), "b");
  EXPECT_EQ(keys::prefixEnd(b("\xff\xff")).size(), 0u);
}

template <typename F>
using KeysStoreTest = StoreTest<F>;
TYPED_TEST_SUITE(KeysStoreTest, StoreTypes);

TYPED_TEST(KeysStoreTest, DirentPrefixScanIsNameOrderedAndBounded) {
  auto& store = *this->store;
  WriteBatch batch;
  for (auto name : {"b", "a", "c"}) batch.put(keys::dirent(256, kj::StringPtr(name)), encodeDirent(1, DT_REG));
  batch.put(keys::dirent(255, kj::StringPtr("zz")), encodeDirent(2, DT_DIR));
  batch.put(keys::dirent(257, kj::StringPtr("")), encodeDirent(3, DT_DIR));
  batch.put(keys::inode(256), b("x"));
  store.write(batch);

  std::vector<std::string> names;
  auto prefix = keys::direntPrefix(256);
  auto it = store.newIterator();
  for (it->seek(prefix); it->valid() && keys::hasPrefix(it->key(), prefix); it->next()) {
    names.push_back(toStr(keys::direntName(it->key())));
  }
  EXPECT_EQ(names, (std::vector<std::string>{"a", "b", "c"}));
}

TYPED_TEST(KeysStoreTest, RecordsRoundTrip) {
  auto& store = *this->store;
  capnp::MallocMessageBuilder msg;
  auto rec = msg.initRoot<meta::BlockRecord>();
  rec.setRefs(3);
  rec.setSize(4u << 20);
  auto nodes = rec.initNodes(2);
  nodes.set(0, 11);
  nodes.set(1, 12);
  WriteBatch batch;
  batch.put(keys::block({1, 2}), encodeRecord<meta::BlockRecord>(msg));
  batch.put(keys::block({1, 3}), encodeRecord<meta::BlockRecord>(rec.asReader()));
  putCounter(batch, "ino", 1000);
  batch.put(keys::dirent(1, kj::StringPtr("f")), encodeDirent(0xabcdef, DT_LNK));
  store.write(batch);

  for (BlockId id : {BlockId{1, 2}, BlockId{1, 3}}) {
    KJ_IF_MAYBE(r, getRecord<meta::BlockRecord>(store, keys::block(id))) {
      auto got = r->get();
      EXPECT_EQ(got.getRefs(), 3u);
      EXPECT_EQ(got.getSize(), 4u << 20);
      ASSERT_EQ(got.getNodes().size(), 2u);
      EXPECT_EQ(got.getNodes()[1], 12u);
    } else {
      ADD_FAILURE() << "record missing";
    }
  }
  EXPECT_TRUE(getRecord<meta::BlockRecord>(store, keys::block({9, 9})) == nullptr);
  EXPECT_EQ(getCounter(store, "ino"), 1000u);
  EXPECT_EQ(getCounter(store, "other", 7), 7u);

  KJ_IF_MAYBE(v, store.get(keys::dirent(1, kj::StringPtr("f")))) {
    ASSERT_EQ(v->size(), 9u);
    auto d = decodeDirent(*v);
    EXPECT_EQ(d.ino, 0xabcdefu);
    EXPECT_EQ(d.type, DT_LNK);
  } else {
    ADD_FAILURE() << "dirent missing";
  }
  EXPECT_ANY_THROW(decodeDirent(b("12345678")));
  // A value that is not a capnp message fails cleanly, never crashes.
  EXPECT_ANY_THROW(Record<meta::BlockRecord>(b("abc")).get());
  EXPECT_ANY_THROW(Record<meta::BlockRecord>(b(std::string("\x05\0\0\0\xff\xff\xff\x7f", 8))).get().getRefs());
}

}  // namespace
}  // namespace test
}  // namespace dfs
