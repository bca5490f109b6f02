// SessionImpl: the extended attribute calls (setXattr, getXattr, listXattr, removeXattr).
#include "server/master/service/session_impl.h"
#include "server/master/service/master_metrics.h"

namespace dfs {

kj::Promise<void> SessionImpl::setXattr(SetXattrContext context) {
  RpcScope rpcScope(core.rpcMetrics, RpcMethod::SET_XATTR);
  auto p = context.getParams();
  Inode node;
  int err = ns.setXattr(p.getIno(), p.getName(), p.getValue(), p.getFlags(), node);
  auto results = context.getResults();
  results.setErr(err);
  if (err == 0) node.toWire(results.initAttr());
  return kj::READY_NOW;
}

kj::Promise<void> SessionImpl::getXattr(GetXattrContext context) {
  RpcScope rpcScope(core.rpcMetrics, RpcMethod::GET_XATTR);
  auto p = context.getParams();
  Bytes value;
  int err = ns.getXattr(p.getIno(), p.getName(), value);
  auto results = context.getResults();
  results.setErr(err);
  if (err == 0) results.setValue(value);
  return kj::READY_NOW;
}

kj::Promise<void> SessionImpl::listXattr(ListXattrContext context) {
  RpcScope rpcScope(core.rpcMetrics, RpcMethod::LIST_XATTR);
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
  RpcScope rpcScope(core.rpcMetrics, RpcMethod::REMOVE_XATTR);
  auto p = context.getParams();
  Inode node;
  context.getResults().setErr(ns.removeXattr(p.getIno(), p.getName(), node));
  return kj::READY_NOW;
}

}  // namespace dfs
