// Applying extent reference deltas to block records and queueing zero-ref blocks for GC.
#include "server/master/store/block_refs.h"

#include "server/master/store/keys.h"
#include "server/master/store/block_record.h"
#include <kj/debug.h>

namespace dfs {
namespace {

BlockInfo newBlock(uint64_t refs, const NewBlockInfo& info, int64_t nowNs) {
  BlockInfo b;
  b.refs = refs;
  b.size = info.size;
  for (auto n : info.nodes) b.addNode(n);
  b.volumeId = info.volumeId;
  b.createdNs = nowNs;
  return b;
}

}  // namespace

void applyRefDeltas(MetaStore& store, WriteBatch& batch,
                    const std::map<BlockId, int64_t>& deltas,
                    const std::map<BlockId, NewBlockInfo>& newBlocks, int64_t nowNs,
                    int64_t graceNs) {
  for (auto& entry : deltas) {
    const BlockId& id = entry.first;
    int64_t delta = entry.second;
    if (delta == 0) continue;
    auto key = keys::block(id);
    KJ_IF_MAYBE(record, loadBlock(store, id)) {
      uint64_t old = record->refs;
      if (delta < 0) {
        KJ_REQUIRE(static_cast<uint64_t>(-delta) <= old, "block refcount would go negative",
                   id.hex(), old, delta);
      }
      record->refs = old + static_cast<uint64_t>(delta);  // wraps correctly for delta < 0
      batch.put(key, record->encode());
      if (record->refs == 0) batch.put(keys::gc(nowNs + graceNs, id), nullptr);
    } else {
      auto it = newBlocks.find(id);
      KJ_REQUIRE(it != newBlocks.end(), "reference to an unknown block", id.hex());
      KJ_REQUIRE(delta > 0, "new block with a negative reference delta", id.hex(), delta);
      batch.put(key, newBlock(static_cast<uint64_t>(delta), it->second, nowNs).encode());
    }
  }
}

void putUnreferencedBlock(WriteBatch& batch, BlockId id, const NewBlockInfo& info,
                          int64_t nowNs, int64_t graceNs) {
  batch.put(keys::block(id), newBlock(0, info, nowNs).encode());
  batch.put(keys::gc(nowNs + graceNs, id), nullptr);
}

void addDeltas(std::map<BlockId, int64_t>& into, const std::map<BlockId, int64_t>& more) {
  for (auto& entry : more) {
    int64_t sum = (into[entry.first] += entry.second);
    if (sum == 0) into.erase(entry.first);
  }
}

kj::Maybe<uint64_t> blockRefs(MetaStore& store, BlockId id) {
  KJ_IF_MAYBE(record, loadBlock(store, id)) {
    return record->refs;
  }
  return nullptr;
}

}  // namespace dfs
