// SessionImpl::touchAtime: a read's access time (relatime), told to other mounts if it moved.
#include "server/master/service/session_impl.h"
#include "server/master/service/master_metrics.h"

namespace dfs {

kj::Promise<void> SessionImpl::touchAtime(TouchAtimeContext context) {
  auto rpcScope = callScope(RpcMethod::TOUCH_ATIME);
  uint64_t ino = context.getParams().getIno();
  Inode node;
  bool updated = false;
  int err = ns.touchAtime(ino, node, updated);
  auto results = context.getResults();
  results.setErr(err);
  if (err != 0) return kj::READY_NOW;
  results.setUpdated(updated);
  node.toWire(results.initAttr());
  if (!updated) return kj::READY_NOW;
  return changed(CacheChange().attr(ino));
}

}  // namespace dfs
