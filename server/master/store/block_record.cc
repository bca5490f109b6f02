// BlockInfo encoding to and from meta::BlockRecord.
#include "server/master/store/block_record.h"
#include "server/master/store/keys.h"
#include "server/master/store/records.h"

namespace dfs {

Bytes BlockInfo::encode() const {
  capnp::MallocMessageBuilder msg;
  auto r = msg.initRoot<meta::BlockRecord>();
  r.setRefs(refs);
  r.setSize(size);
  auto list = r.initNodes(nodes.size());
  for (uint i = 0; i < nodes.size(); ++i) list.set(i, nodes[i]);
  r.setVolumeId(volumeId);
  r.setCreatedNs(createdNs);
  return encodeRecord<meta::BlockRecord>(msg);
}

BlockInfo BlockInfo::decode(BytesPtr value) {
  Record<meta::BlockRecord> rec(value);
  auto r = rec.get();
  BlockInfo info;
  info.refs = r.getRefs();
  info.size = r.getSize();
  auto list = r.getNodes();
  info.nodes.reserve(list.size());
  for (auto id : list) info.nodes.add(id);
  info.volumeId = r.getVolumeId();
  info.createdNs = r.getCreatedNs();
  return info;
}

bool BlockInfo::hasNode(uint64_t id) const {
  for (auto n : nodes) {
    if (n == id) return true;
  }
  return false;
}

bool BlockInfo::addNode(uint64_t id) {
  if (hasNode(id)) return false;
  nodes.add(id);
  return true;
}

bool BlockInfo::removeNode(uint64_t id) {
  kj::Vector<uint64_t> kept(nodes.size());
  for (auto n : nodes) {
    if (n != id) kept.add(n);
  }
  bool removed = kept.size() != nodes.size();
  nodes = kj::mv(kept);
  return removed;
}

kj::Maybe<BlockInfo> loadBlock(MetaStore& store, BlockId id) {
  KJ_IF_MAYBE(value, store.get(keys::block(id))) {
    return BlockInfo::decode(*value);
  }
  return nullptr;
}

}  // namespace dfs
