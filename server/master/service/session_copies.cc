// SessionImpl::addCopies: block copies a mount's upload stopped waiting for (a slow chunk
// server) and that landed after the commit, recorded on their blocks.
#include "server/master/service/session_impl.h"
#include "server/master/service/master_metrics.h"
#include "server/master/store/block_record.h"
#include "server/master/store/keys.h"
#include "common/base/limits.h"
#include <kj/debug.h>
#include <map>

namespace dfs {

kj::Promise<void> SessionImpl::addCopies(AddCopiesContext context) {
  auto rpcScope = callScope(RpcMethod::ADD_COPIES);
  auto list = context.getParams().getCopies();
  KJ_REQUIRE(list.size() <= kMaxAddCopies, "too many copies in one addCopies", list.size());
  std::map<BlockId, BlockInfo> changed;
  kj::Vector<uint32_t> unknown;
  for (uint32_t k = 0; k < list.size(); k++) {
    auto copy = list[k];
    auto id = BlockId::fromWire(copy.getBlock());
    uint64_t node = copy.getNode();
    bool known = false;
    KJ_IF_MAYBE(n, core.nodes.find(node)) { known = !n->removed; }
    if (!known) continue;
    auto it = changed.find(id);
    if (it == changed.end()) {
      KJ_IF_MAYBE(rec, loadBlock(core.store, id)) {
        if (rec->hasNode(node)) continue;
        it = changed.emplace(id, kj::mv(*rec)).first;
      } else {
        unknown.add(k);  // not committed yet (or collected): the mount may retry
        continue;
      }
    }
    // Recorded now (a surplus one is trimmed by the next scan); a deletion queued for it
    // (an earlier report saw it as unknown or surplus) must not remove it.
    if (it->second.nodes.size() < kMaxReplicas && it->second.addNode(node)) {
      core.nodes.cancelDelete(node, id);
    }
  }
  auto back = context.getResults().initUnknown(unknown.size());
  for (size_t i = 0; i < unknown.size(); i++) back.set(i, unknown[i]);
  if (changed.empty()) return kj::READY_NOW;
  WriteBatch batch;
  for (auto& [id, rec] : changed) batch.put(keys::block(id), rec.encode());
  core.store.write(batch);
  return kj::READY_NOW;
}

}  // namespace dfs
