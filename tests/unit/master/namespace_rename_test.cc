// Tests for Namespace::rename: moves, replacement, subtree check, NOREPLACE, EXCHANGE.
#include "tests/unit/master/namespace_fixture.h"
#include <cerrno>

namespace dfs {
namespace {

template <typename T>
class RenameTest : public NamespaceTest<T> {};
TYPED_TEST_SUITE(RenameTest, StoreKinds);

TYPED_TEST(RenameTest, MoveFileBetweenDirs) {
  auto& ns = *this->ns;
  uint64_t f = this->file(this->root, "f");
  uint64_t d = this->dirAt(this->root, "d");
  this->clock.advance(5);
  ASSERT_EQ(ns.rename(this->root, b("f"), d, b("g"), 0), 0);
  EXPECT_EQ(this->lookupErr(this->root, "f"), ENOENT);
  EXPECT_EQ(this->lookupIno(d, "g"), f);
  EXPECT_EQ(this->attr(d).mtimeNs, this->clock.nowNs());
  EXPECT_EQ(this->attr(this->root).mtimeNs, this->clock.nowNs());
  EXPECT_EQ(this->attr(f).ctimeNs, this->clock.nowNs());
  EXPECT_EQ(this->attr(d).nlink, 2u);  // files do not count
  EXPECT_EQ(ns.rename(this->root, b("missing"), d, b("x"), 0), ENOENT);
  EXPECT_EQ(ns.rename(this->root, b("d"), 999999, b("x"), 0), ENOENT);
  // Renaming onto itself is a no-op.
  EXPECT_EQ(ns.rename(d, b("g"), d, b("g"), 0), 0);
  EXPECT_EQ(this->lookupIno(d, "g"), f);
}

TYPED_TEST(RenameTest, ReplaceFile) {
  auto& ns = *this->ns;
  uint64_t a = this->file(this->root, "a");
  uint64_t bIno = this->file(this->root, "b");
  ASSERT_EQ(ns.rename(this->root, b("a"), this->root, b("b"), 0), 0);
  EXPECT_EQ(this->lookupIno(this->root, "b"), a);
  Inode out;
  EXPECT_EQ(ns.getAttr(bIno, out), ENOENT);
  EXPECT_EQ(ns.inodeCount(), 2u);
}

TYPED_TEST(RenameTest, ReplaceHardLinkedFileKeepsInode) {
  auto& ns = *this->ns;
  this->file(this->root, "a");
  uint64_t bIno = this->file(this->root, "b");
  Inode out;
  ASSERT_EQ(ns.link(bIno, this->root, b("b2"), out), 0);
  ASSERT_EQ(ns.rename(this->root, b("a"), this->root, b("b"), 0), 0);
  EXPECT_EQ(this->attr(bIno).nlink, 1u);
  // Two names of one inode: rename does nothing.
  ASSERT_EQ(ns.link(bIno, this->root, b("b3"), out), 0);
  EXPECT_EQ(ns.rename(this->root, b("b2"), this->root, b("b3"), 0), 0);
  EXPECT_EQ(this->lookupIno(this->root, "b2"), bIno);
  EXPECT_EQ(this->lookupIno(this->root, "b3"), bIno);
}

TYPED_TEST(RenameTest, DirectoryReplacementRules) {
  auto& ns = *this->ns;
  uint64_t d1 = this->dirAt(this->root, "d1");
  uint64_t d2 = this->dirAt(this->root, "d2");
  this->file(this->root, "f");
  EXPECT_EQ(ns.rename(this->root, b("d1"), this->root, b("f"), 0), ENOTDIR);
  EXPECT_EQ(ns.rename(this->root, b("f"), this->root, b("d1"), 0), EISDIR);
  this->file(d2, "inside");
  EXPECT_EQ(ns.rename(this->root, b("d1"), this->root, b("d2"), 0), ENOTEMPTY);
  ASSERT_EQ(ns.unlink(d2, b("inside")), 0);
  EXPECT_EQ(this->attr(this->root).nlink, 4u);
  ASSERT_EQ(ns.rename(this->root, b("d1"), this->root, b("d2"), 0), 0);
  EXPECT_EQ(this->lookupIno(this->root, "d2"), d1);
  Inode out;
  EXPECT_EQ(ns.getAttr(d2, out), ENOENT);
  EXPECT_EQ(this->attr(this->root).nlink, 3u);
}

TYPED_TEST(RenameTest, DirectoryMoveUpdatesLinksAndParent) {
  auto& ns = *this->ns;
  uint64_t a = this->dirAt(this->root, "a");
  uint64_t bDir = this->dirAt(this->root, "b");
  uint64_t c = this->dirAt(a, "c");
  EXPECT_EQ(this->attr(a).nlink, 3u);
  ASSERT_EQ(ns.rename(a, b("c"), bDir, b("c2"), 0), 0);
  EXPECT_EQ(this->attr(a).nlink, 2u);
  EXPECT_EQ(this->attr(bDir).nlink, 3u);
  EXPECT_EQ(this->attr(c).parent, bDir);
  EXPECT_EQ(this->lookupIno(c, ".."), bDir);
}

TYPED_TEST(RenameTest, NoMoveIntoOwnSubtree) {
  auto& ns = *this->ns;
  uint64_t a = this->dirAt(this->root, "a");
  uint64_t ab = this->dirAt(a, "b");
  uint64_t abc = this->dirAt(ab, "c");
  EXPECT_EQ(ns.rename(this->root, b("a"), abc, b("x"), 0), EINVAL);
  EXPECT_EQ(ns.rename(this->root, b("a"), a, b("x"), 0), EINVAL);
  EXPECT_EQ(ns.rename(a, b("b"), abc, b("x"), 0), EINVAL);
  // Moving the deep dir up is fine.
  EXPECT_EQ(ns.rename(ab, b("c"), this->root, b("c"), 0), 0);
  EXPECT_EQ(ns.rename(this->root, b("a"), abc, b("a"), 0), 0);
  EXPECT_EQ(this->lookupIno(abc, "a"), a);
}

TYPED_TEST(RenameTest, NoReplaceAndExchange) {
  auto& ns = *this->ns;
  uint64_t f = this->file(this->root, "f");
  uint64_t d = this->dirAt(this->root, "d");
  uint64_t sub = this->dirAt(d, "sub");
  uint64_t g = this->file(sub, "g");
  EXPECT_EQ(ns.rename(this->root, b("f"), this->root, b("d"), kRenameNoReplace), EEXIST);
  EXPECT_EQ(ns.rename(this->root, b("f"), this->root, b("new"), kRenameExchange), ENOENT);
  EXPECT_EQ(ns.rename(this->root, b("f"), this->root, b("d"), 3), EINVAL);
  EXPECT_EQ(ns.rename(this->root, b("f"), this->root, b("d"), 8), EINVAL);
  ASSERT_EQ(ns.rename(this->root, b("f"), this->root, b("n"), kRenameNoReplace), 0);
  EXPECT_EQ(this->lookupIno(this->root, "n"), f);

  // Exchange a file in root with a directory two levels down: links and parents follow.
  ASSERT_EQ(ns.rename(this->root, b("n"), d, b("sub"), kRenameExchange), 0);
  EXPECT_EQ(this->lookupIno(this->root, "n"), sub);
  EXPECT_EQ(this->lookupIno(d, "sub"), f);
  EXPECT_EQ(this->attr(sub).parent, this->root);
  EXPECT_EQ(this->attr(d).nlink, 2u);
  EXPECT_EQ(this->attr(this->root).nlink, 4u);
  EXPECT_EQ(this->lookupIno(sub, "g"), g);
  // A directory may not be exchanged into its own subtree.
  uint64_t deep = this->dirAt(sub, "deep");
  EXPECT_EQ(ns.rename(this->root, b("n"), deep, b("x"), 0), EINVAL);
  this->file(deep, "x");
  EXPECT_EQ(ns.rename(this->root, b("n"), deep, b("x"), kRenameExchange), EINVAL);
}

}  // namespace
}  // namespace dfs
