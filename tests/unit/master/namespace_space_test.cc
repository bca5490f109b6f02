// Tests for space operations in the namespace: fallocate (grow, punch, zero range),
// copyRange sharing blocks, allocated bytes, and block refcounts through deletes.
#include "tests/unit/master/namespace_fixture.h"
#include "server/master/store/block_refs.h"
#include "server/master/store/keys.h"
#include <capnp/message.h>
#include <capnp/serialize.h>
#include <meta.capnp.h>
#include <cerrno>

namespace dfs {
namespace {

constexpr uint64_t kMiB = 1 << 20;
constexpr uint64_t kKiB = 1 << 10;

template <typename T>
class SpaceTest : public NamespaceTest<T> {
protected:
  // Commits one piece [fileOffset, +length) -> block [blockOffset, +length) of blockSize.
  void put(uint64_t ino, uint64_t fileOffset, uint64_t length, BlockId block,
           uint64_t blockOffset, uint64_t blockSize) {
    kj::Vector<CommitPiece> pieces;
    pieces.add(CommitPiece{ExtentPiece{fileOffset, length, block, blockOffset, blockSize},
                           kj::heapArray<uint64_t>({1})});
    Inode out;
    ASSERT_EQ(this->ns->commit(ino, pieces, 0, out), 0);
  }
  kj::Vector<ExtentPiece> extents(uint64_t ino) {
    Inode attr;
    kj::Vector<ExtentPiece> out;
    EXPECT_EQ(this->ns->getExtents(ino, 0, UINT64_MAX, attr, out), 0);
    return out;
  }
  int fallocate(uint64_t ino, uint32_t mode, uint64_t offset, uint64_t length,
                bool killPrivs = false) {
    Inode out;
    return this->ns->fallocate(ino, mode, offset, length, killPrivs, out);
  }
  int copy(uint64_t in, uint64_t offIn, uint64_t out, uint64_t offOut, uint64_t length,
           uint64_t& copied, bool killPrivs = false) {
    Inode attr;
    return this->ns->copyRange(in, offIn, out, offOut, length, killPrivs, copied, attr);
  }
  void chmod(uint64_t ino, uint32_t mode) {
    SetAttrArgs args;
    args.ino = ino;
    args.mode = mode;
    Inode out;
    ASSERT_EQ(this->ns->setAttr(args, out), 0);
  }
  uint64_t refs(BlockId id) {
    KJ_IF_MAYBE(r, blockRefs(*this->store, id)) { return *r; }
    return UINT64_MAX;
  }
  static constexpr uint32_t kPunch = kFallocPunchHole | kFallocKeepSize;
};
TYPED_TEST_SUITE(SpaceTest, StoreKinds);

TYPED_TEST(SpaceTest, PunchWithinOnePieceSplitsIt) {
  uint64_t f = this->file(this->root, "f");
  BlockId a{1, 1};
  this->put(f, 0, 3 * kMiB, a, 0, 3 * kMiB);
  EXPECT_EQ(this->attr(f).allocated, 3 * kMiB);
  this->clock.advance(10);
  ASSERT_EQ(this->fallocate(f, this->kPunch, kMiB, kMiB), 0);
  auto ext = this->extents(f);
  ASSERT_EQ(ext.size(), 2u);
  EXPECT_EQ(ext[0], (ExtentPiece{0, kMiB, a, 0, 3 * kMiB}));
  EXPECT_EQ(ext[1], (ExtentPiece{2 * kMiB, kMiB, a, 2 * kMiB, 3 * kMiB}));
  EXPECT_EQ(this->refs(a), 2u);
  Inode node = this->attr(f);
  EXPECT_EQ(node.size, 3 * kMiB);
  EXPECT_EQ(node.allocated, 2 * kMiB);
  EXPECT_EQ(node.mtimeNs, this->clock.nowNs());
  EXPECT_EQ(node.ctimeNs, this->clock.nowNs());
}

TYPED_TEST(SpaceTest, PunchAcrossPiecesReleasesCoveredBlocks) {
  uint64_t f = this->file(this->root, "f");
  BlockId a{1, 1}, bb{2, 2}, c{3, 3};
  this->put(f, 0, kMiB, a, 0, kMiB);
  this->put(f, kMiB, kMiB, bb, 0, kMiB);
  this->put(f, 2 * kMiB, kMiB, c, 0, kMiB);
  ASSERT_EQ(this->fallocate(f, this->kPunch, 512 * kKiB, 2 * kMiB), 0);
  auto ext = this->extents(f);
  ASSERT_EQ(ext.size(), 2u);
  EXPECT_EQ(ext[0], (ExtentPiece{0, 512 * kKiB, a, 0, kMiB}));
  EXPECT_EQ(ext[1], (ExtentPiece{2 * kMiB + 512 * kKiB, 512 * kKiB, c, 512 * kKiB, kMiB}));
  EXPECT_EQ(this->refs(a), 1u);
  EXPECT_EQ(this->refs(bb), 0u);
  EXPECT_TRUE(this->hasGcKey(bb));
  EXPECT_FALSE(this->hasGcKey(a));
  EXPECT_EQ(this->refs(c), 1u);
  EXPECT_EQ(this->attr(f).allocated, kMiB);
  EXPECT_EQ(this->attr(f).size, 3 * kMiB);
}

TYPED_TEST(SpaceTest, PunchWholeFileAndPastEofKeepsTheSize) {
  uint64_t f = this->file(this->root, "f");
  BlockId a{1, 1}, bb{2, 2};
  this->put(f, 0, kMiB, a, 0, kMiB);
  this->put(f, 2 * kMiB, kMiB, bb, 0, kMiB);
  ASSERT_EQ(this->fallocate(f, this->kPunch, 0, 100 * kMiB), 0);
  EXPECT_EQ(this->extents(f).size(), 0u);
  EXPECT_EQ(this->refs(a), 0u);
  EXPECT_EQ(this->refs(bb), 0u);
  EXPECT_EQ(this->attr(f).size, 3 * kMiB);
  EXPECT_EQ(this->attr(f).allocated, 0u);
  // Entirely past the end: nothing to cut, still success.
  ASSERT_EQ(this->fallocate(f, this->kPunch, 10 * kMiB, kMiB), 0);
  EXPECT_EQ(this->attr(f).size, 3 * kMiB);
}

TYPED_TEST(SpaceTest, ModesSizesTimesAndErrors) {
  uint64_t f = this->file(this->root, "f");
  this->clock.advance(10);
  // Mode 0 grows the size (a hole: nothing is allocated).
  ASSERT_EQ(this->fallocate(f, 0, 4 * kMiB, kMiB), 0);
  Inode node = this->attr(f);
  EXPECT_EQ(node.size, 5 * kMiB);
  EXPECT_EQ(node.allocated, 0u);
  EXPECT_EQ(node.mtimeNs, this->clock.nowNs());
  // Within the size, or with KEEP_SIZE: size and mtime stay, ctime moves.
  int64_t before = this->clock.nowNs();
  this->clock.advance(10);
  ASSERT_EQ(this->fallocate(f, 0, 0, kMiB), 0);
  ASSERT_EQ(this->fallocate(f, kFallocKeepSize, 0, 50 * kMiB), 0);
  node = this->attr(f);
  EXPECT_EQ(node.size, 5 * kMiB);
  EXPECT_EQ(node.mtimeNs, before);
  EXPECT_EQ(node.ctimeNs, this->clock.nowNs());

  EXPECT_EQ(this->fallocate(f, kFallocPunchHole, 0, 1), EOPNOTSUPP);  // needs KEEP_SIZE
  EXPECT_EQ(this->fallocate(f, 0x08, 0, 4096), EOPNOTSUPP);           // COLLAPSE_RANGE
  EXPECT_EQ(this->fallocate(f, 0x20, 0, 4096), EOPNOTSUPP);           // INSERT_RANGE
  EXPECT_EQ(this->fallocate(f, kFallocPunchHole | kFallocZeroRange | kFallocKeepSize, 0, 1),
            EOPNOTSUPP);
  EXPECT_EQ(this->fallocate(f, 0, 0, 0), EINVAL);
  EXPECT_EQ(this->fallocate(f, 0, kMaxFileSize, 1), EFBIG);
  EXPECT_EQ(this->fallocate(f, 0, UINT64_MAX - 1, 10), EFBIG);
  EXPECT_EQ(this->fallocate(this->root, 0, 0, 1), EISDIR);
  EXPECT_EQ(this->fallocate(999999, 0, 0, 1), ENOENT);
  Inode link;
  ASSERT_EQ(this->ns->symlink(this->root, b("l"), b("f"), 0, 0, link), 0);
  EXPECT_EQ(this->fallocate(link.ino, 0, 0, 1), ENODEV);
  Inode fifo;
  ASSERT_EQ(this->ns->mknod(this->root, b("p"), S_IFIFO | 0644, 0, 0, 0, true, fifo), 0);
  EXPECT_EQ(this->fallocate(fifo.ino, 0, 0, 1), ESPIPE);
}

// fallocate and copy_file_range by a caller without CAP_FSETID clear the set-id bits of
// the file written (the kernel leaves it to the mount under FUSE_HANDLE_KILLPRIV_V2);
// root's keep them, and a copy of nothing changes nothing.
TYPED_TEST(SpaceTest, KillPrivsClearsSetIdBits) {
  uint64_t f = this->file(this->root, "f");
  uint64_t g = this->file(this->root, "g");
  this->chmod(f, 06775);
  ASSERT_EQ(this->fallocate(f, 0, 0, kMiB), 0);
  EXPECT_EQ(this->attr(f).mode, static_cast<uint32_t>(S_IFREG | 06775));
  ASSERT_EQ(this->fallocate(f, 0, 0, kMiB, true), 0);
  EXPECT_EQ(this->attr(f).mode, static_cast<uint32_t>(S_IFREG | 0775));
  this->put(g, 0, kMiB, BlockId{1, 9}, 0, kMiB);
  this->chmod(f, 04777);
  uint64_t copied = 0;
  ASSERT_EQ(this->copy(g, 2 * kMiB, f, 0, kMiB, copied, true), 0);  // past g's end
  EXPECT_EQ(copied, 0u);
  EXPECT_EQ(this->attr(f).mode, static_cast<uint32_t>(S_IFREG | 04777));
  ASSERT_EQ(this->copy(g, 0, f, 0, kMiB, copied, true), 0);
  EXPECT_EQ(copied, kMiB);
  EXPECT_EQ(this->attr(f).mode, static_cast<uint32_t>(S_IFREG | 0777));
}

TYPED_TEST(SpaceTest, ZeroRangePunchesAndGrows) {
  uint64_t f = this->file(this->root, "f");
  BlockId a{1, 1};
  this->put(f, 0, 3 * kMiB, a, 0, 3 * kMiB);
  ASSERT_EQ(this->fallocate(f, kFallocZeroRange | kFallocKeepSize, 2 * kMiB, 10 * kMiB), 0);
  EXPECT_EQ(this->attr(f).size, 3 * kMiB);
  ASSERT_EQ(this->fallocate(f, kFallocZeroRange, kMiB, 4 * kMiB), 0);
  auto ext = this->extents(f);
  ASSERT_EQ(ext.size(), 1u);
  EXPECT_EQ(ext[0], (ExtentPiece{0, kMiB, a, 0, 3 * kMiB}));
  EXPECT_EQ(this->attr(f).size, 5 * kMiB);
  EXPECT_EQ(this->attr(f).allocated, kMiB);
  EXPECT_EQ(this->refs(a), 1u);
}

TYPED_TEST(SpaceTest, CopyRangeSharesBlocksAndKeepsHoles) {
  uint64_t src = this->file(this->root, "src");
  uint64_t dst = this->file(this->root, "dst");
  BlockId a{1, 1}, bb{2, 2};
  this->put(src, 0, kMiB, a, 0, kMiB);             // data, then a hole [1M, 2M),
  this->put(src, 2 * kMiB, kMiB, bb, 0, kMiB);     // then data
  this->clock.advance(10);
  uint64_t copied = 0;
  ASSERT_EQ(this->copy(src, 512 * kKiB, dst, 4 * kMiB, 2 * kMiB, copied), 0);
  EXPECT_EQ(copied, 2 * kMiB);
  auto ext = this->extents(dst);
  ASSERT_EQ(ext.size(), 2u);
  EXPECT_EQ(ext[0], (ExtentPiece{4 * kMiB, 512 * kKiB, a, 512 * kKiB, kMiB}));
  EXPECT_EQ(ext[1], (ExtentPiece{5 * kMiB + 512 * kKiB, 512 * kKiB, bb, 0, kMiB}));
  Inode node = this->attr(dst);
  EXPECT_EQ(node.size, 6 * kMiB);
  EXPECT_EQ(node.allocated, kMiB);
  EXPECT_EQ(node.mtimeNs, this->clock.nowNs());
  EXPECT_EQ(this->refs(a), 2u);
  EXPECT_EQ(this->refs(bb), 2u);
  // Deleting the source keeps the shared blocks alive; deleting the copy frees them.
  ASSERT_EQ(this->ns->unlink(this->root, b("src")), 0);
  EXPECT_EQ(this->refs(a), 1u);
  EXPECT_EQ(this->refs(bb), 1u);
  EXPECT_FALSE(this->hasGcKey(a));
  ASSERT_EQ(this->ns->unlink(this->root, b("dst")), 0);
  EXPECT_EQ(this->refs(a), 0u);
  EXPECT_EQ(this->refs(bb), 0u);
  EXPECT_TRUE(this->hasGcKey(a));
  EXPECT_TRUE(this->hasGcKey(bb));
}

TYPED_TEST(SpaceTest, CopyRangeOverwritesDestinationAndClipsAtSourceEnd) {
  uint64_t src = this->file(this->root, "src");
  uint64_t dst = this->file(this->root, "dst");
  BlockId a{1, 1}, old{9, 9};
  this->put(src, 0, kMiB, a, 0, kMiB);
  this->put(dst, 0, 4 * kMiB, old, 0, 4 * kMiB);
  uint64_t copied = 0;
  // Asks for 10 MiB from offset 512 KiB: only the 512 KiB before the source's end come.
  ASSERT_EQ(this->copy(src, 512 * kKiB, dst, kMiB, 10 * kMiB, copied), 0);
  EXPECT_EQ(copied, 512 * kKiB);
  auto ext = this->extents(dst);
  ASSERT_EQ(ext.size(), 3u);
  EXPECT_EQ(ext[0], (ExtentPiece{0, kMiB, old, 0, 4 * kMiB}));
  EXPECT_EQ(ext[1], (ExtentPiece{kMiB, 512 * kKiB, a, 512 * kKiB, kMiB}));
  EXPECT_EQ(ext[2], (ExtentPiece{kMiB + 512 * kKiB, 2 * kMiB + 512 * kKiB, old,
                                 kMiB + 512 * kKiB, 4 * kMiB}));
  EXPECT_EQ(this->refs(old), 2u);
  EXPECT_EQ(this->refs(a), 2u);
  EXPECT_EQ(this->attr(dst).size, 4 * kMiB);
  EXPECT_EQ(this->attr(dst).allocated, 4 * kMiB);
  // At or past the source's end: nothing copied, nothing changed.
  ASSERT_EQ(this->copy(src, kMiB, dst, 0, kMiB, copied), 0);
  EXPECT_EQ(copied, 0u);
  // A hole copied over data punches it.
  uint64_t sparse = this->file(this->root, "sparse");
  ASSERT_EQ(this->fallocate(sparse, 0, 0, kMiB), 0);
  ASSERT_EQ(this->copy(sparse, 0, dst, 0, kMiB, copied), 0);
  EXPECT_EQ(copied, kMiB);
  EXPECT_EQ(this->extents(dst)[0].fileOffset, kMiB);
  EXPECT_EQ(this->refs(old), 1u);
  EXPECT_EQ(this->attr(dst).allocated, 3 * kMiB);
}

TYPED_TEST(SpaceTest, CopyRangeWithinOneFile) {
  uint64_t f = this->file(this->root, "f");
  BlockId a{1, 1};
  this->put(f, 0, 2 * kMiB, a, 0, 2 * kMiB);
  uint64_t copied = 0;
  // Overlapping ranges of one file are refused, as Linux does (EINVAL).
  EXPECT_EQ(this->copy(f, 0, f, kMiB, 2 * kMiB, copied), EINVAL);
  EXPECT_EQ(this->copy(f, kMiB / 2, f, 0, 2 * kMiB, copied), EINVAL);
  EXPECT_EQ(this->copy(f, 0, f, 0, kMiB, copied), EINVAL);
  // Disjoint ranges are fine: the file grows and shares its own block.
  ASSERT_EQ(this->copy(f, 0, f, 2 * kMiB, 2 * kMiB, copied), 0);
  EXPECT_EQ(copied, 2 * kMiB);
  auto ext = this->extents(f);
  ASSERT_EQ(ext.size(), 2u);
  EXPECT_EQ(ext[1], (ExtentPiece{2 * kMiB, 2 * kMiB, a, 0, 2 * kMiB}));
  EXPECT_EQ(this->refs(a), 2u);
  EXPECT_EQ(this->attr(f).size, 4 * kMiB);
  EXPECT_EQ(this->copy(f, 0, this->root, 0, 1, copied), EISDIR);
  EXPECT_EQ(this->copy(f, 0, 999999, 0, 1, copied), ENOENT);
  EXPECT_EQ(this->copy(f, 0, f, kMaxFileSize, 1, copied), EFBIG);
}

TYPED_TEST(SpaceTest, AllocatedBytesFollowWritesAndTruncate) {
  uint64_t f = this->file(this->root, "f");
  BlockId a{1, 1}, bb{2, 2};
  this->put(f, 0, 2 * kMiB, a, 0, 2 * kMiB);
  this->put(f, kMiB, 2 * kMiB, bb, 0, 2 * kMiB);  // overlaps: counted once
  EXPECT_EQ(this->attr(f).allocated, 3 * kMiB);
  this->put(f, 10 * kMiB, kMiB, bb, 0, 2 * kMiB);  // after a hole
  EXPECT_EQ(this->attr(f).allocated, 4 * kMiB);
  EXPECT_EQ(this->attr(f).size, 11 * kMiB);
  SetAttrArgs args;
  args.ino = f;
  args.size = 2 * kMiB;
  Inode out;
  ASSERT_EQ(this->ns->setAttr(args, out), 0);
  EXPECT_EQ(out.allocated, 2 * kMiB);
  args.size = 100 * kMiB;  // truncate up: a hole
  ASSERT_EQ(this->ns->setAttr(args, out), 0);
  EXPECT_EQ(out.allocated, 2 * kMiB);
  // Past 4 GiB: 64-bit offsets all the way.
  uint64_t big = this->file(this->root, "big");
  this->put(big, 5 * (kMiB << 10), kMiB, a, 0, 2 * kMiB);
  this->put(big, 10 * (kMiB << 10), kMiB, bb, 0, 2 * kMiB);
  EXPECT_EQ(this->attr(big).size, 10 * (kMiB << 10) + kMiB);
  EXPECT_EQ(this->attr(big).allocated, 2 * kMiB);
  auto ext = this->extents(big);
  ASSERT_EQ(ext.size(), 2u);
  EXPECT_EQ(ext[0].fileOffset, 5 * (kMiB << 10));
}

TYPED_TEST(SpaceTest, AllocatedBytesOfOldRecordsAreCountedOnLoad) {
  uint64_t f = this->file(this->root, "f");
  BlockId a{1, 1};
  this->put(f, 0, kMiB, a, 0, kMiB);
  this->put(f, 3 * kMiB, kMiB, a, 0, kMiB);
  // Rewrite the record as a master before allocatedBytes would have: field absent.
  Inode node = this->attr(f);
  capnp::MallocMessageBuilder message;
  auto rec = message.initRoot<meta::InodeRecord>();
  auto a2 = rec.initAttr();
  a2.setIno(node.ino);
  a2.setMode(node.mode);
  a2.setNlink(node.nlink);
  a2.setSize(node.size);
  rec.setVolumeId(node.volumeId);
  auto words = capnp::messageToFlatArray(message);
  WriteBatch batch;
  batch.put(keys::inode(f), kj::heapArray<kj::byte>(words.asBytes()));
  this->store->write(batch);
  EXPECT_EQ(this->attr(f).allocated, 2 * kMiB);
  // The next change stores it again, and edits it from there.
  ASSERT_EQ(this->fallocate(f, this->kPunch, 0, kMiB), 0);
  EXPECT_EQ(this->attr(f).allocated, kMiB);
}

}  // namespace
}  // namespace dfs
