// scanBlocks: paged walk over 'B' records.
#include "server/master/replication/block_scan.h"
#include "server/master/store/keys.h"
#include <kj/debug.h>

namespace dfs {
namespace {

struct ScanState {
  MetaStore& store;
  size_t pageSize;
  kj::Function<bool(BlockId, BlockInfo&)> visit;
  kj::Function<void()> afterPage;
  Bytes resumeAt;  // first key of the next page; empty = start
};

kj::Promise<void> scanPage(kj::Own<ScanState> s) {
  bool done = true;
  {
    auto prefix = keys::blockPrefix();
    auto it = s->store.newPrefixIterator(prefix);
    it->seek(s->resumeAt.size() > 0 ? s->resumeAt.asPtr() : prefix.asPtr());
    WriteBatch batch;
    for (size_t n = 0; it->valid() && keys::hasPrefix(it->key(), prefix); it->next(), ++n) {
      if (n == s->pageSize) {
        s->resumeAt = copyBytes(it->key());
        done = false;
        break;
      }
      BlockId id = keys::blockIdOf(it->key());
      KJ_IF_MAYBE(e, kj::runCatchingExceptions([&]() {
        auto info = BlockInfo::decode(it->value());
        if (s->visit(id, info)) batch.put(it->key(), info.encode());
      })) {
        KJ_LOG(ERROR, "skipping a block record that cannot be processed", id.hex(), *e);
      }
    }
    if (!batch.empty()) s->store.write(batch);
  }
  s->afterPage();
  if (done) return kj::READY_NOW;
  return kj::evalLater([s = kj::mv(s)]() mutable { return scanPage(kj::mv(s)); });
}

}  // namespace

kj::Promise<void> scanBlocks(MetaStore& store, size_t pageSize,
                             kj::Function<bool(BlockId, BlockInfo&)> visit,
                             kj::Function<void()> afterPage) {
  KJ_REQUIRE(pageSize > 0);
  auto state = kj::heap<ScanState>(ScanState{store, pageSize, kj::mv(visit), kj::mv(afterPage), nullptr});
  return kj::evalLater([s = kj::mv(state)]() mutable { return scanPage(kj::mv(s)); });
}

}  // namespace dfs
