// Applying extent reference deltas to block records and queueing zero-ref blocks for GC.
#include "server/master/store/block_refs.h"

#include "server/master/store/keys.h"
#include "server/master/store/records.h"
#include <kj/debug.h>
#include <meta.capnp.h>

namespace dfs {
namespace {

Bytes encodeBlock(uint64_t refs, uint64_t size, capnp::List<uint64_t>::Reader nodes) {
  capnp::MallocMessageBuilder msg;
  auto r = msg.initRoot<meta::BlockRecord>();
  r.setRefs(refs);
  r.setSize(size);
  r.setNodes(nodes);
  return encodeRecord<meta::BlockRecord>(msg);
}

Bytes encodeNewBlock(uint64_t refs, const NewBlockInfo& info) {
  capnp::MallocMessageBuilder msg;
  auto r = msg.initRoot<meta::BlockRecord>();
  r.setRefs(refs);
  r.setSize(info.size);
  auto nodes = r.initNodes(info.nodes.size());
  for (size_t i = 0; i < info.nodes.size(); ++i) nodes.set(i, info.nodes[i]);
  return encodeRecord<meta::BlockRecord>(msg);
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
    KJ_IF_MAYBE(record, getRecord<meta::BlockRecord>(store, key)) {
      auto r = record->get();
      uint64_t old = r.getRefs();
      if (delta < 0) {
        KJ_REQUIRE(static_cast<uint64_t>(-delta) <= old, "block refcount would go negative",
                   id.hex(), old, delta);
      }
      uint64_t now = old + static_cast<uint64_t>(delta);  // wraps correctly for delta < 0
      batch.put(key, encodeBlock(now, r.getSize(), r.getNodes()));
      if (now == 0) batch.put(keys::gc(nowNs + graceNs, id), nullptr);
    } else {
      auto it = newBlocks.find(id);
      KJ_REQUIRE(it != newBlocks.end(), "reference to an unknown block", id.hex());
      KJ_REQUIRE(delta > 0, "new block with a negative reference delta", id.hex(), delta);
      batch.put(key, encodeNewBlock(static_cast<uint64_t>(delta), it->second));
    }
  }
}

void addDeltas(std::map<BlockId, int64_t>& into, const std::map<BlockId, int64_t>& more) {
  for (auto& entry : more) {
    int64_t sum = (into[entry.first] += entry.second);
    if (sum == 0) into.erase(entry.first);
  }
}

kj::Maybe<uint64_t> blockRefs(MetaStore& store, BlockId id) {
  KJ_IF_MAYBE(record, getRecord<meta::BlockRecord>(store, keys::block(id))) {
    return record->get().getRefs();
  }
  return nullptr;
}

}  // namespace dfs
