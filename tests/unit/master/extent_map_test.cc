// ExtentOverlay / readExtents arithmetic tests over both stores: overlaps, holes, truncate,
// refcount deltas and batch contents.
#include "server/master/store/extent_map.h"
#include "common/base/limits.h"
#include "server/master/store/keys.h"
#include "tests/unit/master/store_fixture.h"

#include <vector>

namespace dfs {
namespace test {
namespace {

constexpr uint64_t kBlock = 4u << 20;
const BlockId A{0, 0xa}, B{0, 0xb}, C{0, 0xc}, D{0, 0xd};

ExtentPiece P(uint64_t off, uint64_t len, BlockId blk, uint64_t boff = 0) {
  return ExtentPiece{off, len, blk, boff, kBlock};
}

std::string show(const kj::Vector<ExtentPiece>& pieces) {
  std::string out;
  for (auto& p : pieces) {
    out += "[" + std::to_string(p.fileOffset) + "," + std::to_string(p.end()) + ")" +
           std::to_string(p.block.lo) + "@" + std::to_string(p.blockOffset) + " ";
  }
  return out;
}

using Deltas = std::map<BlockId, int64_t>;

// Batch ops as "put:<offset>" / "del:<offset>" for extent keys.
std::vector<std::string> opsOf(const WriteBatch& batch) {
  std::vector<std::string> out;
  for (auto& op : batch.ops()) {
    out.push_back(std::string(op.isDelete ? "del:" : "put:") +
                  std::to_string(keys::extentOffset(op.key)));
  }
  return out;
}

template <typename F>
class ExtentMapTest : public StoreTest<F> {
protected:
  static constexpr uint64_t kIno = 7;
  WriteBatch lastBatch;
  ~ExtentMapTest() noexcept override {}

  // Writes `piece` through an overlay over exactly its range; returns the deltas.
  Deltas put(const ExtentPiece& piece, uint64_t ino = kIno) {
    ExtentOverlay overlay(*this->store, ino, piece.fileOffset, piece.end());
    overlay.write(piece);
    return commit(overlay);
  }
  Deltas commit(ExtentOverlay& overlay) {
    lastBatch = WriteBatch();
    auto deltas = overlay.flush(lastBatch);
    this->store->write(lastBatch);
    return deltas;
  }
  std::string all(uint64_t ino = kIno) { return show(readExtents(*this->store, ino, 0, UINT64_MAX)); }
  std::string range(uint64_t off, uint64_t len) { return show(readExtents(*this->store, kIno, off, len)); }
};
TYPED_TEST_SUITE(ExtentMapTest, StoreTypes);

TYPED_TEST(ExtentMapTest, ReadRangeBoundaries) {
  EXPECT_EQ(this->all(), "");
  EXPECT_EQ(this->put(P(100, 100, A)), (Deltas{{A, 1}}));
  EXPECT_EQ(this->all(), "[100,200)10@0 ");
  EXPECT_EQ(this->range(50, 50), "");    // [50,100) ends where the piece starts
  EXPECT_EQ(this->range(50, 51), "[100,200)10@0 ");
  EXPECT_EQ(this->range(199, 1), "[100,200)10@0 ");
  EXPECT_EQ(this->range(200, 10), "");   // starts where the piece ends
  EXPECT_EQ(this->range(150, 0), "");    // empty range
  EXPECT_EQ(this->range(150, UINT64_MAX), "[100,200)10@0 ");  // saturates
}

TYPED_TEST(ExtentMapTest, OtherInodesAreInvisible) {
  this->put(P(0, 1000, A), 6);
  this->put(P(0, 1000, B), 8);
  EXPECT_EQ(this->all(), "");
  EXPECT_EQ(this->range(10, 10), "");  // seekForPrev lands on inode 6: must not leak
  this->put(P(500, 100, C));
  EXPECT_EQ(this->range(0, 100), "");
  EXPECT_EQ(this->range(0, 501), "[500,600)12@0 ");
  EXPECT_EQ(this->range(600, 1000), "");  // next key belongs to inode 8
  EXPECT_EQ(this->all(6), "[0,1000)10@0 ");
  EXPECT_EQ(this->all(8), "[0,1000)11@0 ");
}

TYPED_TEST(ExtentMapTest, OverwriteMiddleSplitsPiece) {
  this->put(P(0, 300, A));
  EXPECT_EQ(this->put(P(100, 100, B)), (Deltas{{A, 1}, {B, 1}}));  // A: -1 +2
  EXPECT_EQ(this->all(), "[0,100)10@0 [100,200)11@0 [200,300)10@200 ");
  EXPECT_EQ(opsOf(this->lastBatch), (std::vector<std::string>{"put:0", "put:100", "put:200"}));
}

TYPED_TEST(ExtentMapTest, OverlapAtStartOfExistingPiece) {
  this->put(P(100, 200, A, 1000));
  EXPECT_EQ(this->put(P(50, 100, B)), (Deltas{{B, 1}}));  // A -1 +1 nets out
  EXPECT_EQ(this->all(), "[50,150)11@0 [150,300)10@1050 ");
  EXPECT_EQ(opsOf(this->lastBatch), (std::vector<std::string>{"del:100", "put:50", "put:150"}));
}

TYPED_TEST(ExtentMapTest, OverlapAtEndOfExistingPiece) {
  this->put(P(100, 200, A));
  EXPECT_EQ(this->put(P(250, 150, B)), (Deltas{{B, 1}}));
  EXPECT_EQ(this->all(), "[100,250)10@0 [250,400)11@0 ");
  EXPECT_EQ(opsOf(this->lastBatch), (std::vector<std::string>{"put:100", "put:250"}));
}

TYPED_TEST(ExtentMapTest, ExactCoverReplaces) {
  this->put(P(100, 100, A));
  EXPECT_EQ(this->put(P(100, 100, B)), (Deltas{{A, -1}, {B, 1}}));
  EXPECT_EQ(this->all(), "[100,200)11@0 ");
  EXPECT_EQ(opsOf(this->lastBatch), (std::vector<std::string>{"put:100"}));
}

TYPED_TEST(ExtentMapTest, CoverSeveralPieces) {
  this->put(P(0, 100, A));
  this->put(P(100, 100, B));
  this->put(P(200, 100, C));
  EXPECT_EQ(this->put(P(50, 200, D)), (Deltas{{B, -1}, {D, 1}}));
  EXPECT_EQ(this->all(), "[0,50)10@0 [50,250)13@0 [250,300)12@50 ");
  EXPECT_EQ(opsOf(this->lastBatch),
            (std::vector<std::string>{"del:100", "del:200", "put:0", "put:50", "put:250"}));
}

TYPED_TEST(ExtentMapTest, AdjacentWritesLeaveNeighboursUntouched) {
  this->put(P(100, 100, A));
  EXPECT_EQ(this->put(P(200, 100, B)), (Deltas{{B, 1}}));  // right after
  EXPECT_EQ(opsOf(this->lastBatch), (std::vector<std::string>{"put:200"}));
  EXPECT_EQ(this->put(P(0, 100, C)), (Deltas{{C, 1}}));    // right before
  EXPECT_EQ(opsOf(this->lastBatch), (std::vector<std::string>{"put:0"}));
  EXPECT_EQ(this->all(), "[0,100)12@0 [100,200)10@0 [200,300)11@0 ");
}

TYPED_TEST(ExtentMapTest, HolesStayHoles) {
  this->put(P(0, 100, A));
  this->put(P(200, 100, B));
  EXPECT_EQ(this->range(100, 100), "");
  EXPECT_EQ(this->range(99, 102), "[0,100)10@0 [200,300)11@0 ");
  // Fill part of the hole: nothing else changes.
  EXPECT_EQ(this->put(P(120, 30, C, 7)), (Deltas{{C, 1}}));
  EXPECT_EQ(this->all(), "[0,100)10@0 [120,150)12@7 [200,300)11@0 ");
}

TYPED_TEST(ExtentMapTest, SeveralEditsInOneOverlay) {
  ExtentOverlay overlay(*this->store, this->kIno, 0, UINT64_MAX);
  overlay.write(P(0, 100, A));
  overlay.write(P(50, 100, B));
  overlay.write(P(60, 10, A, 500));  // same block again, different range
  EXPECT_EQ(show(overlay.pieces()), "[0,50)10@0 [50,60)11@0 [60,70)10@500 [70,150)11@20 ");
  EXPECT_EQ(this->commit(overlay), (Deltas{{A, 2}, {B, 2}}));
  EXPECT_EQ(this->all(), "[0,50)10@0 [50,60)11@0 [60,70)10@500 [70,150)11@20 ");
  // Flushing again with no edits emits nothing.
  WriteBatch again;
  EXPECT_TRUE(overlay.flush(again).empty());
  EXPECT_TRUE(again.empty());
}

// A commit of scattered writes loads only the ranges it edits: the same map results as
// from an overlay over the whole file, with edits at, across and between range edges.
TYPED_TEST(ExtentMapTest, ScatteredRangesEditLikeTheWholeFile) {
  // A fragmented file: 400 pieces of 100 bytes with 50-byte holes between them.
  {
    ExtentOverlay overlay(*this->store, this->kIno, 0, UINT64_MAX);
    for (uint64_t i = 0; i < 400; i++) overlay.write(P(i * 150, 100, A, i * 150));
    this->commit(overlay);
  }
  // Reference: the same edits through a whole-file overlay on inode kIno + 1.
  {
    ExtentOverlay overlay(*this->store, this->kIno + 1, 0, UINT64_MAX);
    for (uint64_t i = 0; i < 400; i++) overlay.write(P(i * 150, 100, A, i * 150));
    this->commit(overlay);
  }
  uint64_t seed = 12345;
  auto next = [&seed](uint64_t bound) {
    seed = seed * 6364136223846793005ull + 1442695040888963407ull;
    return (seed >> 33) % bound;
  };
  for (int round = 0; round < 20; round++) {
    std::vector<ExtentPiece> writes;
    std::vector<std::pair<uint64_t, uint64_t>> ranges;
    for (int k = 0; k < 12; k++) {
      uint64_t off = next(62000), len = 1 + next(400);
      writes.push_back(P(off, len, k % 2 ? B : C, next(1000)));
      ranges.emplace_back(off, off + len);
    }
    ExtentOverlay sparse(*this->store, this->kIno,
                         kj::ArrayPtr<const std::pair<uint64_t, uint64_t>>(ranges.data(),
                                                                           ranges.size()));
    ExtentOverlay whole(*this->store, this->kIno + 1, 0, UINT64_MAX);
    for (auto& w : writes) {
      sparse.write(w);
      whole.write(w);
    }
    int64_t sparseChange = sparse.mappedChange(), wholeChange = whole.mappedChange();
    EXPECT_EQ(sparseChange, wholeChange);
    EXPECT_EQ(this->commit(sparse), this->commit(whole));
    ASSERT_EQ(this->all(this->kIno), this->all(this->kIno + 1)) << "round " << round;
  }
  // Outside every range: refused, as outside a single window.
  std::vector<std::pair<uint64_t, uint64_t>> two = {{0, 10}, {100, 110}};
  ExtentOverlay sparse(*this->store, this->kIno,
                       kj::ArrayPtr<const std::pair<uint64_t, uint64_t>>(two.data(), two.size()));
  EXPECT_ANY_THROW(sparse.write(P(5, 100, B)));
  EXPECT_ANY_THROW(sparse.truncate(0));
  EXPECT_ANY_THROW(sparse.removeAll());
  sparse.write(P(100, 10, B));
}

TYPED_TEST(ExtentMapTest, TruncateMidPieceDownAndUp) {
  this->put(P(0, 100, A));
  this->put(P(100, 100, B));
  {
    ExtentOverlay overlay(*this->store, this->kIno, 150, UINT64_MAX);
    overlay.truncate(150);  // mid-piece: trims B
    EXPECT_EQ(this->commit(overlay), Deltas{});
    EXPECT_EQ(opsOf(this->lastBatch), (std::vector<std::string>{"put:100"}));
  }
  EXPECT_EQ(this->all(), "[0,100)10@0 [100,150)11@0 ");
  {
    ExtentOverlay overlay(*this->store, this->kIno, 1000, UINT64_MAX);
    overlay.truncate(1000);  // grow: nothing to do
    EXPECT_EQ(this->commit(overlay), Deltas{});
    EXPECT_TRUE(this->lastBatch.empty());
  }
  {
    ExtentOverlay overlay(*this->store, this->kIno, 100, UINT64_MAX);
    overlay.truncate(100);  // exact boundary: B goes, A untouched
    EXPECT_EQ(this->commit(overlay), (Deltas{{B, -1}}));
    EXPECT_EQ(opsOf(this->lastBatch), (std::vector<std::string>{"del:100"}));
  }
  EXPECT_EQ(this->all(), "[0,100)10@0 ");
  {
    ExtentOverlay overlay(*this->store, this->kIno, 1, UINT64_MAX);
    overlay.truncate(1);
    EXPECT_EQ(this->commit(overlay), Deltas{});
  }
  EXPECT_EQ(this->all(), "[0,1)10@0 ");
  {
    ExtentOverlay overlay(*this->store, this->kIno, 0, UINT64_MAX);
    overlay.truncate(0);
    EXPECT_EQ(this->commit(overlay), (Deltas{{A, -1}}));
  }
  EXPECT_EQ(this->all(), "");
}

TYPED_TEST(ExtentMapTest, RemoveAllManyPieces) {
  ExtentOverlay fill(*this->store, this->kIno, 0, UINT64_MAX);
  for (uint64_t i = 0; i < 3000; ++i) fill.write(P(i * 10, 10, i % 3 == 0 ? A : B, i % 100));
  EXPECT_EQ(this->commit(fill), (Deltas{{A, 1000}, {B, 2000}}));
  this->put(P(0, 10, C), this->kIno + 1);

  ExtentOverlay overlay(*this->store, this->kIno, 0, UINT64_MAX);
  EXPECT_EQ(overlay.pieces().size(), 3000u);
  overlay.removeAll();
  EXPECT_EQ(this->commit(overlay), (Deltas{{A, -1000}, {B, -2000}}));
  EXPECT_EQ(this->lastBatch.size(), 3000u);
  EXPECT_EQ(this->all(), "");
  EXPECT_EQ(this->all(this->kIno + 1), "[0,10)12@0 ");
}

TYPED_TEST(ExtentMapTest, RejectsInvalidEdits) {
  ExtentOverlay overlay(*this->store, this->kIno, 100, 200);
  EXPECT_ANY_THROW(overlay.write(P(50, 100, A)));    // starts before window
  EXPECT_ANY_THROW(overlay.write(P(150, 51, A)));    // ends past window
  EXPECT_ANY_THROW(overlay.write(ExtentPiece{100, 10, A, 95, 100}));  // past block end
  EXPECT_ANY_THROW(overlay.write(P(100, 10, BlockId{})));              // zero block
  EXPECT_ANY_THROW(overlay.truncate(150));           // window not open-ended
  EXPECT_ANY_THROW(overlay.removeAll());
  overlay.write(ExtentPiece{100, 10, A, 90, 100});   // exactly to block end is fine
  overlay.write(P(120, 0, A));                       // empty write: no-op
  EXPECT_EQ(show(overlay.pieces()), "[100,110)10@90 ");
  ExtentOverlay top(*this->store, this->kIno, 0, UINT64_MAX);
  EXPECT_ANY_THROW(top.write(P(UINT64_MAX - 5, 10, A)));  // offset overflow
}


// Inline pieces as "[from,to)'bytes' ".
std::string showInline(const kj::Vector<ExtentPiece>& pieces) {
  std::string out;
  for (auto& p : pieces) {
    out += "[" + std::to_string(p.fileOffset) + "," + std::to_string(p.end()) + ")";
    if (p.isInline()) {
      out += "'" + std::string(p.inlineData->asChars().begin(), p.inlineData->size()) + "' ";
    } else {
      out += std::to_string(p.block.lo) + "@" + std::to_string(p.blockOffset) + " ";
    }
  }
  return out;
}

ExtentPiece I(uint64_t off, kj::StringPtr text) { return inlinePiece(off, text.asBytes()); }

TYPED_TEST(ExtentMapTest, InlinePiecesAreSlicedAndHaveNoBlockReferences) {
  // A small file written inline, then partly overwritten by a block and by inline bytes:
  // the inline piece keeps exactly the bytes still mapped, and no block is referenced for
  // any inline piece (their bytes are in the record, read back from the store).
  EXPECT_EQ(this->put(I(0, "abcdefghij")), Deltas{});
  EXPECT_EQ(showInline(readExtents(*this->store, this->kIno, 0, UINT64_MAX)), "[0,10)'abcdefghij' ");
  EXPECT_EQ(this->put(P(3, 4, A)), (Deltas{{A, 1}}));  // splits the inline piece
  EXPECT_EQ(showInline(readExtents(*this->store, this->kIno, 0, UINT64_MAX)),
            "[0,3)'abc' [3,7)10@0 [7,10)'hij' ");
  EXPECT_EQ(this->put(I(2, "XYZ")), Deltas{});  // A: -1 for [3,7), +1 for [5,7)
  EXPECT_EQ(showInline(readExtents(*this->store, this->kIno, 0, UINT64_MAX)),
            "[0,2)'ab' [2,5)'XYZ' [5,7)10@2 [7,10)'hij' ");

  ExtentOverlay overlay(*this->store, this->kIno, 0, UINT64_MAX);
  overlay.truncate(8);
  EXPECT_EQ(showInline(overlay.pieces()), "[0,2)'ab' [2,5)'XYZ' [5,7)10@2 [7,8)'h' ");
  EXPECT_EQ(this->commit(overlay), Deltas{});
  EXPECT_EQ(opsOf(this->lastBatch), (std::vector<std::string>{"put:7"}));
  ExtentOverlay gone(*this->store, this->kIno, 0, UINT64_MAX);
  gone.removeAll();
  EXPECT_EQ(this->commit(gone), (Deltas{{A, -1}}));
  EXPECT_EQ(this->all(), "");
}

TYPED_TEST(ExtentMapTest, RejectsMalformedInlinePieces) {
  ExtentOverlay overlay(*this->store, this->kIno, 0, 100);
  auto piece = I(0, "abc");
  piece.length = 4;  // more than its bytes
  EXPECT_ANY_THROW(overlay.write(piece));
  piece = I(0, "abc");
  piece.block = A;   // inline with a block
  EXPECT_ANY_THROW(overlay.write(piece));
  piece = I(0, "abc");
  piece.blockOffset = 1;
  EXPECT_ANY_THROW(overlay.write(piece));
  overlay.write(I(0, "abc"));
  EXPECT_EQ(showInline(overlay.pieces()), "[0,3)'abc' ");

  // A stored record claiming inline bytes and a block (or past 64 KiB) is corrupt.
  for (auto bad : {ExtentPiece{0, 3, A, 0, 3, makeInlineBytes(kj::StringPtr("abc").asBytes())},
                   I(kMaxInlineBytes - 1, "abc")}) {
    WriteBatch batch;
    batch.put(keys::extent(this->kIno + 1, bad.fileOffset), encodeExtentValue(bad));
    this->store->write(batch);
    EXPECT_ANY_THROW(readExtents(*this->store, this->kIno + 1, 0, UINT64_MAX));
    WriteBatch undo;
    undo.del(keys::extent(this->kIno + 1, bad.fileOffset));
    this->store->write(undo);
  }
}

}  // namespace
}  // namespace test
}  // namespace dfs
