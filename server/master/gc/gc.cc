// BlockGc: due 'G' keys -> one batch deleting G/B keys -> per-node deletion queues.
#include "server/master/gc/gc.h"
#include "server/master/store/keys.h"
#include "server/master/store/block_record.h"
#include <kj/debug.h>

namespace dfs {

BlockGc::BlockGc(MetaStore& store, Clock& clock, NodeRegistry& nodes)
    : store(store), clock(clock), nodes(nodes) {}

size_t BlockGc::runPass(size_t limit) {
  ++passes;
  int64_t now = clock.nowNs();
  WriteBatch batch;
  kj::Vector<std::pair<BlockId, kj::Array<uint64_t>>> doomed;
  auto prefix = keys::gcPrefix();
  auto it = store.newPrefixIterator(prefix);
  size_t seen = 0;
  for (it->seek(prefix); it->valid() && keys::hasPrefix(it->key(), prefix) && seen < limit;
       it->next(), ++seen) {
    if (keys::gcDue(it->key()) > now) break;
    BlockId id = keys::gcBlock(it->key());
    batch.del(it->key());
    KJ_IF_MAYBE(rec, loadBlock(store, id)) {
      if (rec->refs != 0) continue;  // re-referenced since: keep the block
      auto ids = rec->nodes.releaseAsArray();
      // TODO(snapshots): check live snapshots before deleting (one lookup per snapshot).
      batch.del(keys::block(id));
      doomed.add(id, kj::mv(ids));
    }
  }
  lastScanned = seen;
  if (batch.empty()) return 0;
  store.write(batch);
  for (auto& d : doomed) {
    for (auto node : d.second) nodes.queueDelete(node, d.first);
  }
  deleted += doomed.size();
  return doomed.size();
}

kj::Promise<void> BlockGc::run(kj::Timer& timer, kj::Duration interval) {
  bool backlog = lastScanned >= kPassLimit;
  lastScanned = 0;
  kj::Promise<void> wait = backlog ? kj::evalLater([]() {}) : timer.afterDelay(interval);
  return wait.then([this, &timer, interval]() {
    KJ_IF_MAYBE(e, kj::runCatchingExceptions([this]() {
      size_t n = runPass();
      if (n > 0) KJ_LOG(INFO, "gc: deleted blocks", n);
    })) {
      KJ_LOG(ERROR, "gc pass failed", *e);
    }
    return run(timer, interval);
  });
}

}  // namespace dfs
