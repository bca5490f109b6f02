// BlockInfo: the decoded 'B' record of one block (refcount, size, copies, volume, age).
//
// Every reader and writer of block records goes through this type, so the record's
// fields are encoded in exactly one place.
#pragma once

#include "common/base/block_id.h"
#include "server/master/store/meta_store.h"
#include <kj/vector.h>
#include <cstdint>

namespace dfs {

struct BlockInfo {
  uint64_t refs = 0;           // extent pieces pointing at the block
  uint64_t size = 0;           // bytes in the block
  kj::Vector<uint64_t> nodes;  // chunk servers believed to hold a copy
  uint64_t volumeId = 0;       // whose replica count applies (0 = master default)
  int64_t createdNs = 0;       // first commit

  Bytes encode() const;
  // Throws on a malformed record.
  static BlockInfo decode(BytesPtr value);

  bool hasNode(uint64_t id) const;
  // Appends `id` unless present; returns whether it was added.
  bool addNode(uint64_t id);
  // Removes `id` if present; returns whether it was there.
  bool removeNode(uint64_t id);
};

// The block's record, or nullptr if the master does not know the block.
kj::Maybe<BlockInfo> loadBlock(MetaStore& store, BlockId id);

}  // namespace dfs
