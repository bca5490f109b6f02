// SessionImpl: the extended attribute calls (setXattr, getXattr, listXattr, removeXattr).
#include "server/master/service/session_impl.h"
#include "server/master/service/master_metrics.h"
#include <kj/debug.h>

namespace dfs {

kj::Promise<void> SessionImpl::setXattr(SetXattrContext context) {
  auto rpcScope = callScope(RpcMethod::SET_XATTR);
  auto p = context.getParams();
  auto groupList = p.getGroups();
  KJ_REQUIRE(groupList.size() <= 65536, "too many groups", groupList.size());
  auto groups = kj::heapArray<uint32_t>(groupList.size());
  for (uint i = 0; i < groupList.size(); ++i) groups[i] = groupList[i];
  kj::Maybe<kj::ArrayPtr<const uint32_t>> callerGroups;
  if (!p.getPrivileged()) callerGroups = groups.asPtr();
  Inode node;
  int err =
      ns.setXattr(p.getIno(), p.getName(), p.getValue(), p.getFlags(), node, callerGroups);
  auto results = context.getResults();
  results.setErr(err);
  if (err != 0) return kj::READY_NOW;
  node.toWire(results.initAttr());
  // ctime moved, and an access ACL may have changed the mode: other mounts drop both.
  return changed(CacheChange().attr(p.getIno()));
}

kj::Promise<void> SessionImpl::getXattr(GetXattrContext context) {
  auto rpcScope = callScope(RpcMethod::GET_XATTR);
  auto p = context.getParams();
  Bytes value;
  int err = ns.getXattr(p.getIno(), p.getName(), value);
  auto results = context.getResults();
  results.setErr(err);
  if (err == 0) results.setValue(value);
  return kj::READY_NOW;
}

kj::Promise<void> SessionImpl::listXattr(ListXattrContext context) {
  auto rpcScope = callScope(RpcMethod::LIST_XATTR);
  kj::Vector<Bytes> names;
  int err = ns.listXattr(context.getParams().getIno(), names);
  auto results = context.getResults();
  results.setErr(err);
  if (err != 0) return kj::READY_NOW;
  auto list = results.initNames(names.size());
  for (uint i = 0; i < names.size(); ++i) list.set(i, names[i]);
  return kj::READY_NOW;
}

kj::Promise<void> SessionImpl::removeXattr(RemoveXattrContext context) {
  auto rpcScope = callScope(RpcMethod::REMOVE_XATTR);
  auto p = context.getParams();
  Inode node;
  int err = ns.removeXattr(p.getIno(), p.getName(), node);
  context.getResults().setErr(err);
  if (err != 0) return kj::READY_NOW;
  return changed(CacheChange().attr(p.getIno()));
}

}  // namespace dfs
