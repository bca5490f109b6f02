// Tests for files unlinked while open: kept (nlink 0, data readable) until the last
// release, deleted then (blocks to GC); purged at master start (after the grace in which
// mounts register their opens again); rename-over too.
#include "tests/unit/master/namespace_fixture.h"
#include "server/master/store/block_refs.h"
#include "server/master/store/keys.h"

namespace dfs {
namespace {

template <typename T>
class OrphanTest : public NamespaceTest<T> {
protected:
  OrphanTest() {
    // A namespace that knows which files are open, like the master's sessions.
    this->ns = kj::heap<Namespace>(*this->store, this->clock, volumeId(), this->root,
                                   this->kGraceNs, &open);
  }
  uint64_t volumeId() {
    Inode r;
    EXPECT_EQ(NamespaceTest<T>::ns->getAttr(this->root, r), 0);
    return r.volumeId;
  }
  void writeBlock(uint64_t ino, BlockId id) {
    kj::Vector<CommitPiece> pieces;
    pieces.add(CommitPiece{ExtentPiece{0, 100, id, 0, 100}, kj::heapArray<uint64_t>({1})});
    Inode out;
    ASSERT_EQ(this->ns->commit(ino, pieces, 0, out), 0);
  }
  bool isOrphan(uint64_t ino) { return this->store->get(keys::orphan(ino)) != nullptr; }
  bool exists(uint64_t ino) { return this->store->get(keys::inode(ino)) != nullptr; }
  uint64_t refs(BlockId id) {
    KJ_IF_MAYBE(r, blockRefs(*this->store, id)) { return *r; }
    return UINT64_MAX;
  }
  OpenFiles open;
};
TYPED_TEST_SUITE(OrphanTest, StoreKinds);

TYPED_TEST(OrphanTest, UnlinkedWhileOpenLivesUntilLastRelease) {
  uint64_t f = this->file(this->root, "tmp");
  BlockId blk{7, 7};
  this->writeBlock(f, blk);
  this->open.open(f);
  this->open.open(f);
  ASSERT_EQ(this->ns->unlink(this->root, b("tmp")), 0);
  EXPECT_EQ(this->lookupErr(this->root, "tmp"), ENOENT);
  EXPECT_TRUE(this->isOrphan(f));
  Inode a = this->attr(f);
  EXPECT_EQ(a.nlink, 0u);
  EXPECT_EQ(a.size, 100u);
  kj::Vector<ExtentPiece> ext;
  ASSERT_EQ(this->ns->getExtents(f, 0, 100, a, ext), 0);
  ASSERT_EQ(ext.size(), 1u);
  EXPECT_EQ(this->refs(blk), 1u);

  EXPECT_FALSE(this->open.release(f));
  this->ns->releaseOrphan(f);  // still open once: nothing happens
  EXPECT_TRUE(this->exists(f));
  EXPECT_TRUE(this->open.release(f));
  this->ns->releaseOrphan(f);
  EXPECT_FALSE(this->exists(f));
  EXPECT_FALSE(this->isOrphan(f));
  EXPECT_EQ(this->refs(blk), 0u);
}

TYPED_TEST(OrphanTest, ClosedFileIsDeletedAtOnce) {
  uint64_t f = this->file(this->root, "x");
  ASSERT_EQ(this->ns->unlink(this->root, b("x")), 0);
  EXPECT_FALSE(this->exists(f));
  EXPECT_FALSE(this->isOrphan(f));
}

TYPED_TEST(OrphanTest, RenameOverAnOpenFileKeepsIt) {
  uint64_t victim = this->file(this->root, "dst");
  this->file(this->root, "src");
  this->open.open(victim);
  ASSERT_EQ(this->ns->rename(this->root, b("src"), this->root, b("dst"), 0), 0);
  EXPECT_TRUE(this->isOrphan(victim));
  EXPECT_EQ(this->attr(victim).nlink, 0u);
  EXPECT_TRUE(this->open.release(victim));
  this->ns->releaseOrphan(victim);
  EXPECT_FALSE(this->exists(victim));
}

TYPED_TEST(OrphanTest, PurgedAtStart) {
  uint64_t f = this->file(this->root, "y");
  BlockId blk{9, 9};
  this->writeBlock(f, blk);
  this->open.open(f);
  ASSERT_EQ(this->ns->unlink(this->root, b("y")), 0);
  ASSERT_TRUE(this->exists(f));
  uint64_t before = this->ns->inodeCount();
  Namespace::purgeOrphans(*this->store, this->clock, this->kGraceNs);
  EXPECT_FALSE(this->exists(f));
  EXPECT_FALSE(this->isOrphan(f));
  EXPECT_EQ(this->refs(blk), 0u);
  EXPECT_EQ(this->ns->inodeCount(), before - 1);
}

// After a restart every file counts as open for a grace (OpenFiles::holdAll): an unlink
// keeps even a file nobody registered, and a directory is still removed at once. At the
// grace's end the orphans that a mount registered again stay; the others go.
TYPED_TEST(OrphanTest, HeldDuringTheGraceAfterStart) {
  uint64_t kept = this->file(this->root, "kept");
  uint64_t gone = this->file(this->root, "gone");
  uint64_t dir = this->dirAt(this->root, "d");
  this->open.holdAll(true);
  ASSERT_EQ(this->ns->unlink(this->root, b("kept")), 0);
  ASSERT_EQ(this->ns->unlink(this->root, b("gone")), 0);
  ASSERT_EQ(this->ns->rmdir(this->root, b("d")), 0);
  EXPECT_TRUE(this->isOrphan(kept));
  EXPECT_TRUE(this->isOrphan(gone));
  EXPECT_FALSE(this->exists(dir));
  this->ns->releaseOrphan(gone);  // a release during the grace deletes nothing
  EXPECT_TRUE(this->exists(gone));
  this->open.open(kept);  // its mount registered it again
  this->open.holdAll(false);
  Namespace::purgeOrphans(*this->store, this->clock, this->kGraceNs, &this->open);
  EXPECT_TRUE(this->exists(kept));
  EXPECT_TRUE(this->isOrphan(kept));
  EXPECT_FALSE(this->exists(gone));
  EXPECT_TRUE(this->open.release(kept));
  this->ns->releaseOrphan(kept);
  EXPECT_FALSE(this->exists(kept));
}

}  // namespace
}  // namespace dfs
