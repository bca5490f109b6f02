// Tests for file data in the namespace: commit, getExtents, truncate, refcounts, GC.
#include "tests/unit/master/namespace_fixture.h"
#include "server/master/gc/gc.h"
#include "server/master/store/block_refs.h"
#include "server/master/store/keys.h"
#include "server/master/store/records.h"
#include "common/base/limits.h"
#include <kj/timer.h>
#include <cerrno>

namespace dfs {
namespace {

constexpr uint64_t kMiB = 1 << 20;

template <typename T>
class ExtentsTest : public NamespaceTest<T> {
protected:
  CommitPiece piece(uint64_t fileOffset, uint64_t length, BlockId block, uint64_t blockOffset,
                    uint64_t blockSize) {
    auto nodes = kj::heapArray<uint64_t>({1, 2});
    return CommitPiece{ExtentPiece{fileOffset, length, block, blockOffset, blockSize},
                       kj::mv(nodes)};
  }
  int commitOne(uint64_t ino, CommitPiece p, uint64_t minSize = 0) {
    kj::Vector<CommitPiece> pieces;
    pieces.add(kj::mv(p));
    Inode out;
    return this->ns->commit(ino, pieces, minSize, out);
  }
  kj::Vector<ExtentPiece> extents(uint64_t ino) {
    Inode attr;
    kj::Vector<ExtentPiece> out;
    EXPECT_EQ(this->ns->getExtents(ino, 0, UINT64_MAX, attr, out), 0);
    return out;
  }
  uint64_t refs(BlockId id) {
    KJ_IF_MAYBE(r, blockRefs(*this->store, id)) { return *r; }
    return UINT64_MAX;
  }
};
TYPED_TEST_SUITE(ExtentsTest, StoreKinds);

TYPED_TEST(ExtentsTest, CommitAndOverwriteInTheMiddle) {
  uint64_t f = this->file(this->root, "f");
  BlockId a{1, 1}, bb{2, 2};
  this->clock.advance(10);
  ASSERT_EQ(this->commitOne(f, this->piece(0, 3 * kMiB, a, 0, 3 * kMiB)), 0);
  EXPECT_EQ(this->attr(f).size, 3 * kMiB);
  EXPECT_EQ(this->attr(f).mtimeNs, this->clock.nowNs());
  ASSERT_EQ(this->commitOne(f, this->piece(kMiB, kMiB, bb, 0, kMiB)), 0);
  auto ext = this->extents(f);
  ASSERT_EQ(ext.size(), 3u);
  EXPECT_EQ(ext[0], (ExtentPiece{0, kMiB, a, 0, 3 * kMiB}));
  EXPECT_EQ(ext[1], (ExtentPiece{kMiB, kMiB, bb, 0, kMiB}));
  EXPECT_EQ(ext[2], (ExtentPiece{2 * kMiB, kMiB, a, 2 * kMiB, 3 * kMiB}));
  EXPECT_EQ(this->refs(a), 2u);
  EXPECT_EQ(this->refs(bb), 1u);
  EXPECT_EQ(this->attr(f).size, 3 * kMiB);
  // minSize grows the file past its extents (a hole at the end).
  ASSERT_EQ(this->commitOne(f, this->piece(0, 1, bb, 0, kMiB), 5 * kMiB), 0);
  EXPECT_EQ(this->attr(f).size, 5 * kMiB);
  EXPECT_EQ(this->ns->usedBytes(), 5 * kMiB);
  // A range query returns only overlapping pieces.
  Inode attr;
  kj::Vector<ExtentPiece> some;
  ASSERT_EQ(this->ns->getExtents(f, 2 * kMiB + 5, 10, attr, some), 0);
  ASSERT_EQ(some.size(), 1u);
  EXPECT_EQ(some[0].block, a);
}

TYPED_TEST(ExtentsTest, CommitRecordsTheWriteTime) {
  uint64_t f = this->file(this->root, "f");
  BlockId a{1, 1};
  auto commitAt = [&](int64_t writeTimeNs) {
    kj::Vector<CommitPiece> pieces;
    pieces.add(this->piece(0, 10, a, 0, kMiB));
    Inode out;
    EXPECT_EQ(this->ns->commit(f, pieces, 0, out, writeTimeNs), 0);
    return out;
  };
  this->clock.advance(1000);
  int64_t now = this->clock.nowNs();
  // A write made before the commit: mtime and ctime are the write's time.
  Inode out = commitAt(now - 300);
  EXPECT_EQ(out.mtimeNs, now - 300);
  EXPECT_EQ(out.ctimeNs, now - 300);
  EXPECT_EQ(this->attr(f).mtimeNs, now - 300);
  // A client clock ahead of the master's: never in the master's future.
  out = commitAt(now + 5000);
  EXPECT_EQ(out.mtimeNs, now);
  EXPECT_EQ(out.ctimeNs, now);
  // ctime later than the write (an attribute changed since): ctime stays.
  out = commitAt(now - 100);
  EXPECT_EQ(out.mtimeNs, now - 100);
  EXPECT_EQ(out.ctimeNs, now);
  // No time given (an older client): the master's time.
  this->clock.advance(10);
  out = commitAt(0);
  EXPECT_EQ(out.mtimeNs, this->clock.nowNs());
  EXPECT_EQ(out.ctimeNs, this->clock.nowNs());
}

TYPED_TEST(ExtentsTest, CommitValidation) {
  uint64_t f = this->file(this->root, "f");
  uint64_t d = this->dirAt(this->root, "d");
  BlockId a{1, 1};
  EXPECT_ANY_THROW(this->commitOne(f, this->piece(0, 0, a, 0, kMiB)));
  EXPECT_ANY_THROW(this->commitOne(f, this->piece(0, 10, a, kMiB - 5, kMiB)));
  EXPECT_ANY_THROW(this->commitOne(f, this->piece(0, 10, a, 0, kMaxBlockSize + 1)));
  EXPECT_ANY_THROW(this->commitOne(f, this->piece(UINT64_MAX - 5, 10, a, 0, kMiB)));
  EXPECT_ANY_THROW(this->commitOne(f, this->piece(0, 10, BlockId{0, 0}, 0, kMiB)));
  EXPECT_EQ(this->commitOne(d, this->piece(0, 10, a, 0, kMiB)), EISDIR);
  EXPECT_EQ(this->commitOne(999999, this->piece(0, 10, a, 0, kMiB)), ENOENT);
  EXPECT_EQ(this->extents(f).size(), 0u);
  Inode attr;
  kj::Vector<ExtentPiece> out;
  EXPECT_EQ(this->ns->getExtents(d, 0, 10, attr, out), EISDIR);
}

TYPED_TEST(ExtentsTest, TruncateTrimsAndReleasesBlocks) {
  uint64_t f = this->file(this->root, "f");
  BlockId a{1, 1}, bb{2, 2};
  ASSERT_EQ(this->commitOne(f, this->piece(0, kMiB, a, 0, kMiB)), 0);
  ASSERT_EQ(this->commitOne(f, this->piece(kMiB, kMiB, bb, 0, kMiB)), 0);
  SetAttrArgs args;
  args.ino = f;
  args.size = kMiB / 2;
  Inode out;
  ASSERT_EQ(this->ns->setAttr(args, out), 0);
  EXPECT_EQ(out.size, kMiB / 2);
  auto ext = this->extents(f);
  ASSERT_EQ(ext.size(), 1u);
  EXPECT_EQ(ext[0], (ExtentPiece{0, kMiB / 2, a, 0, kMiB}));
  EXPECT_EQ(this->refs(bb), 0u);
  EXPECT_TRUE(this->hasGcKey(bb));
  EXPECT_FALSE(this->hasGcKey(a));
  // Extending leaves a hole and keeps the extents.
  args.size = 10 * kMiB;
  ASSERT_EQ(this->ns->setAttr(args, out), 0);
  EXPECT_EQ(out.size, 10 * kMiB);
  EXPECT_EQ(this->extents(f).size(), 1u);
  args.size = uint64_t(0);
  ASSERT_EQ(this->ns->setAttr(args, out), 0);
  EXPECT_EQ(this->extents(f).size(), 0u);
  EXPECT_EQ(this->refs(a), 0u);
}

TYPED_TEST(ExtentsTest, UnlinkDropsRefsAndGcDeletesBlocks) {
  uint64_t f = this->file(this->root, "f");
  BlockId a{1, 1}, bb{2, 2};
  kj::Vector<CommitPiece> pieces;
  pieces.add(this->piece(0, kMiB, a, 0, kMiB));
  pieces.add(this->piece(kMiB, kMiB, bb, 0, kMiB));
  Inode out;
  ASSERT_EQ(this->ns->commit(f, pieces, 0, out), 0);
  EXPECT_EQ(this->refs(a), 1u);
  ASSERT_EQ(this->ns->unlink(this->root, b("f")), 0);
  EXPECT_EQ(this->refs(a), 0u);
  EXPECT_EQ(this->refs(bb), 0u);
  EXPECT_TRUE(this->hasGcKey(a));
  EXPECT_TRUE(this->hasGcKey(bb));
  EXPECT_EQ(this->ns->usedBytes(), 0u);

  kj::TimerImpl timer(kj::origin<kj::TimePoint>());
  NodeRegistry nodes(*this->store, this->clock, timer, NodeTimeouts());
  EXPECT_EQ(nodes.registerNode(0, "127.0.0.1:9501", 100, 0), 1u);
  EXPECT_EQ(nodes.registerNode(0, "127.0.0.1:9502", 100, 0), 2u);
  BlockGc gc(*this->store, this->clock, nodes);
  EXPECT_EQ(gc.runPass(), 0u);  // not due yet
  this->clock.advance(this->kGraceNs);
  EXPECT_EQ(gc.runPass(), 2u);
  EXPECT_FALSE(this->hasGcKey(a));
  EXPECT_EQ(this->refs(a), UINT64_MAX);  // 'B' record gone
  auto del1 = nodes.takeDeletes(1, 100);
  EXPECT_EQ(del1.size(), 2u);
  EXPECT_EQ(nodes.takeDeletes(1, 100).size(), 0u);
  EXPECT_EQ(nodes.takeDeletes(2, 1).size(), 1u);
  EXPECT_EQ(nodes.takeDeletes(2, 100).size(), 1u);
}

TYPED_TEST(ExtentsTest, ReReferencedBlockSurvivesGc) {
  uint64_t f = this->file(this->root, "f");
  BlockId a{1, 1};
  ASSERT_EQ(this->commitOne(f, this->piece(0, kMiB, a, 0, kMiB)), 0);
  SetAttrArgs args;
  args.ino = f;
  args.size = uint64_t(0);
  Inode out;
  ASSERT_EQ(this->ns->setAttr(args, out), 0);
  EXPECT_EQ(this->refs(a), 0u);
  ASSERT_EQ(this->commitOne(f, this->piece(0, kMiB, a, 0, kMiB)), 0);
  EXPECT_EQ(this->refs(a), 1u);
  kj::TimerImpl timer(kj::origin<kj::TimePoint>());
  NodeRegistry nodes(*this->store, this->clock, timer, NodeTimeouts());
  BlockGc gc(*this->store, this->clock, nodes);
  this->clock.advance(this->kGraceNs);
  EXPECT_EQ(gc.runPass(), 0u);
  EXPECT_EQ(this->refs(a), 1u);
  EXPECT_FALSE(this->hasGcKey(a));
}

}  // namespace
}  // namespace dfs
