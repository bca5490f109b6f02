// applyRefDeltas tests over both stores: new blocks, decrements, zero refs -> GC key.
#include "server/master/store/block_refs.h"
#include "server/master/store/extent_map.h"
#include "server/master/store/keys.h"
#include "server/master/store/records.h"
#include "tests/unit/master/store_fixture.h"

#include <kj/debug.h>
#include <vector>

namespace dfs {
namespace test {
namespace {

const BlockId A{1, 0xa}, B{1, 0xb};
constexpr int64_t kNow = 1000000, kGrace = 500;

template <typename F>
class BlockRefsTest : public StoreTest<F> {
protected:
  void apply(const std::map<BlockId, int64_t>& deltas,
             const std::map<BlockId, NewBlockInfo>& newBlocks = {}, int64_t now = kNow) {
    WriteBatch batch;
    applyRefDeltas(*this->store, batch, deltas, newBlocks, now, kGrace);
    this->store->write(batch);
  }
  uint64_t refs(BlockId id) {
    KJ_IF_MAYBE(r, blockRefs(*this->store, id)) return *r;
    ADD_FAILURE() << "no block record";
    return ~0ull;
  }
  std::vector<std::pair<int64_t, BlockId>> gcKeys() {
    std::vector<std::pair<int64_t, BlockId>> out;
    auto prefix = keys::gcPrefix();
    auto it = this->store->newIterator();
    for (it->seek(prefix); it->valid() && keys::hasPrefix(it->key(), prefix); it->next()) {
      out.emplace_back(keys::gcDue(it->key()), keys::gcBlock(it->key()));
    }
    return out;
  }
};
TYPED_TEST_SUITE(BlockRefsTest, StoreTypes);

std::map<BlockId, NewBlockInfo> newInfo(BlockId id, uint64_t size) {
  std::map<BlockId, NewBlockInfo> m;
  NewBlockInfo info{size, {}};
  info.nodes.add(3);
  info.nodes.add(4);
  m.emplace(id, kj::mv(info));
  return m;
}

TYPED_TEST(BlockRefsTest, NewBlockThenDecrementToZeroQueuesGc) {
  this->apply({{A, 2}}, newInfo(A, 12345));
  EXPECT_EQ(this->refs(A), 2u);
  KJ_IF_MAYBE(r, getRecord<meta::BlockRecord>(*this->store, keys::block(A))) {
    EXPECT_EQ(r->get().getSize(), 12345u);
    ASSERT_EQ(r->get().getNodes().size(), 2u);
    EXPECT_EQ(r->get().getNodes()[0], 3u);
    EXPECT_EQ(r->get().getNodes()[1], 4u);
  } else {
    ADD_FAILURE();
  }

  this->apply({{A, -1}});
  EXPECT_EQ(this->refs(A), 1u);
  EXPECT_TRUE(this->gcKeys().empty());

  this->apply({{A, -1}});
  EXPECT_EQ(this->refs(A), 0u);  // B record kept for GC
  auto gc = this->gcKeys();
  ASSERT_EQ(gc.size(), 1u);
  EXPECT_EQ(gc[0].first, kNow + kGrace);
  EXPECT_EQ(gc[0].second, A);
  // Size and nodes survive the refcount update.
  KJ_IF_MAYBE(r, getRecord<meta::BlockRecord>(*this->store, keys::block(A))) {
    EXPECT_EQ(r->get().getSize(), 12345u);
    EXPECT_EQ(r->get().getNodes().size(), 2u);
  } else {
    ADD_FAILURE();
  }
}

TYPED_TEST(BlockRefsTest, RejectsUnknownAndNegative) {
  WriteBatch batch;
  EXPECT_ANY_THROW(applyRefDeltas(*this->store, batch, {{A, 1}}, {}, kNow, kGrace));
  EXPECT_ANY_THROW(applyRefDeltas(*this->store, batch, {{A, -1}}, newInfo(A, 1), kNow, kGrace));
  this->apply({{A, 1}}, newInfo(A, 1));
  EXPECT_ANY_THROW(applyRefDeltas(*this->store, batch, {{A, -2}}, {}, kNow, kGrace));
  this->apply({{A, 0}});  // zero deltas are ignored
  EXPECT_EQ(this->refs(A), 1u);
  EXPECT_TRUE(blockRefs(*this->store, B) == nullptr);
}

TEST(BlockRefs, AddDeltas) {
  std::map<BlockId, int64_t> d{{A, 2}, {B, -1}};
  addDeltas(d, {{A, -2}, {B, -1}, {BlockId{5, 5}, 1}});
  EXPECT_EQ(d, (std::map<BlockId, int64_t>{{B, -2}, {BlockId{5, 5}, 1}}));
}

TYPED_TEST(BlockRefsTest, OverwriteCommitEndToEnd) {
  // File 5 = A[0,100). Overwrite all of it with B in one batch: extent + refs together.
  {
    ExtentOverlay overlay(*this->store, 5, 0, 100);
    overlay.write(ExtentPiece{0, 100, A, 0, 100});
    WriteBatch batch;
    applyRefDeltas(*this->store, batch, overlay.flush(batch), newInfo(A, 100), kNow, kGrace);
    this->store->write(batch);
  }
  EXPECT_EQ(this->refs(A), 1u);
  {
    ExtentOverlay overlay(*this->store, 5, 40, 60);
    overlay.write(ExtentPiece{40, 20, B, 0, 20});  // split A: A refs 2
    WriteBatch batch;
    applyRefDeltas(*this->store, batch, overlay.flush(batch), newInfo(B, 20), kNow, kGrace);
    this->store->write(batch);
  }
  EXPECT_EQ(this->refs(A), 2u);
  EXPECT_EQ(this->refs(B), 1u);
  {
    ExtentOverlay overlay(*this->store, 5, 0, UINT64_MAX);
    overlay.removeAll();
    WriteBatch batch;
    applyRefDeltas(*this->store, batch, overlay.flush(batch), {}, kNow + 1, kGrace);
    this->store->write(batch);
  }
  EXPECT_EQ(this->refs(A), 0u);
  EXPECT_EQ(this->refs(B), 0u);
  auto gc = this->gcKeys();
  ASSERT_EQ(gc.size(), 2u);
  EXPECT_EQ(gc[0].first, kNow + 1 + kGrace);
  EXPECT_EQ(gc[0].second, A);  // same due time: ordered by id
  EXPECT_EQ(gc[1].second, B);
}

}  // namespace
}  // namespace test
}  // namespace dfs
