// Tests for Namespace::readdir: ordering, paging over 10,000 entries, limits.
#include "tests/unit/master/namespace_fixture.h"
#include "common/base/limits.h"
#include <cerrno>
#include <set>

namespace dfs {
namespace {

template <typename T>
class ReaddirTest : public NamespaceTest<T> {};
TYPED_TEST_SUITE(ReaddirTest, StoreKinds);

TYPED_TEST(ReaddirTest, PagesThroughTenThousandEntries) {
  auto& ns = *this->ns;
  uint64_t d = this->dirAt(this->root, "big");
  constexpr int kCount = 10000;
  for (int i = 0; i < kCount; ++i) {
    auto name = kj::str("file-", i);
    this->file(d, name);
  }
  std::set<std::string> seen;
  std::string last;
  Bytes after = kj::heapArray<kj::byte>(0);
  int pages = 0;
  for (;;) {
    kj::Vector<DirEntryOut> entries;
    bool eof = false;
    ASSERT_EQ(ns.readdir(d, after, 999, entries, eof), 0);
    ++pages;
    ASSERT_LE(entries.size(), 999u);
    for (auto& e : entries) {
      std::string name(e.name.asChars().begin(), e.name.size());
      EXPECT_TRUE(last.empty() || name > last) << name;
      EXPECT_TRUE(seen.insert(name).second) << "duplicate " << name;
      EXPECT_TRUE(e.inode.isReg());
      last = name;
    }
    if (eof) break;
    ASSERT_GT(entries.size(), 0u);
    after = copyBytes(entries.back().name);
    ASSERT_LT(pages, 100);
  }
  EXPECT_EQ(seen.size(), static_cast<size_t>(kCount));
  EXPECT_EQ(pages, (kCount + 998) / 999);
}

TYPED_TEST(ReaddirTest, EofAndLimits) {
  auto& ns = *this->ns;
  this->file(this->root, "a");
  this->dirAt(this->root, "b");
  this->file(this->root, "c");
  kj::Vector<DirEntryOut> entries;
  bool eof = false;
  ASSERT_EQ(ns.readdir(this->root, nullptr, 2, entries, eof), 0);
  ASSERT_EQ(entries.size(), 2u);
  EXPECT_FALSE(eof);
  EXPECT_TRUE(entries[1].inode.isDir());
  entries.clear();
  ASSERT_EQ(ns.readdir(this->root, b("b"), 2, entries, eof), 0);
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_EQ(kj::str(entries[0].name.asChars()), "c");
  EXPECT_TRUE(eof);
  entries.clear();
  // Exactly the remaining count: eof must still be reported.
  ASSERT_EQ(ns.readdir(this->root, b("a"), 2, entries, eof), 0);
  EXPECT_EQ(entries.size(), 2u);
  EXPECT_TRUE(eof);
  entries.clear();
  // `after` need not exist.
  ASSERT_EQ(ns.readdir(this->root, b("bb"), 10, entries, eof), 0);
  EXPECT_EQ(entries.size(), 1u);
  entries.clear();
  EXPECT_ANY_THROW(ns.readdir(this->root, nullptr, 0, entries, eof));
  uint64_t f = this->lookupIno(this->root, "a");
  EXPECT_EQ(ns.readdir(f, nullptr, 10, entries, eof), ENOTDIR);
  EXPECT_EQ(ns.readdir(999999, nullptr, 10, entries, eof), ENOENT);
  // Empty directory.
  uint64_t empty = this->dirAt(this->root, "empty");
  ASSERT_EQ(ns.readdir(empty, nullptr, 10, entries, eof), 0);
  EXPECT_EQ(entries.size(), 0u);
  EXPECT_TRUE(eof);
}

TYPED_TEST(ReaddirTest, PageIsCapped) {
  auto& ns = *this->ns;
  uint64_t d = this->dirAt(this->root, "d");
  for (uint32_t i = 0; i < kMaxReaddirPage + 10; ++i) this->file(d, kj::str(i));
  kj::Vector<DirEntryOut> entries;
  bool eof = true;
  ASSERT_EQ(ns.readdir(d, nullptr, UINT32_MAX, entries, eof), 0);
  EXPECT_EQ(entries.size(), kMaxReaddirPage);
  EXPECT_FALSE(eof);
}

}  // namespace
}  // namespace dfs
