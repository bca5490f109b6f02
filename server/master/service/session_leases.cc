// SessionImpl: call dispatch — the stale-session fence, directory leases (call ordering
// and recalls), inode number reservations for asynchronous creates.
#include "server/master/service/session_impl.h"
#include "common/base/limits.h"
#include <cerrno>
#include <kj/debug.h>

namespace dfs {

capnp::Capability::Server::DispatchCallResult SessionImpl::dispatchCall(
    uint64_t interfaceId, uint16_t methodId,
    capnp::CallContext<capnp::AnyPointer, capnp::AnyPointer> context) {
  KJ_IF_MAYBE(stale, refusedAsStale(methodId)) return {kj::mv(*stale), false};
  KJ_IF_MAYBE(recalled, recallFor(methodId, context)) {
    // Only this call waits: the others of the session go on in the order they arrive (a
    // mount sends nothing that depends on a call before its reply, and its asynchronous
    // operations, in directories it holds, never wait), so no two mounts can wait on
    // each other's queues.
    return {afterRecall(kj::mv(*recalled), interfaceId, methodId, context), false};
  }
  return wire::Session::Server::dispatchCall(interfaceId, methodId, context);
}

kj::Maybe<kj::Exception> SessionImpl::refusedAsStale(uint16_t methodId) {
  if (!core.sessions.superseded(sessionId)) return nullptr;
  return KJ_EXCEPTION(DISCONNECTED, "session replaced by a newer one of the same mount",
                      sessionId, methodId);
}

kj::Maybe<kj::Promise<void>> SessionImpl::recallFor(
    uint16_t methodId, capnp::CallContext<capnp::AnyPointer, capnp::AnyPointer>& context) {
  if (core.leases.held() == 0) return nullptr;
  auto dirs = leaseDirsOf(methodId, context.getParams());
  return core.leases.recall(sessionId, dirs);
}

kj::Promise<void> SessionImpl::afterRecall(
    kj::Promise<void> recalled, uint64_t interfaceId, uint16_t methodId,
    capnp::CallContext<capnp::AnyPointer, capnp::AnyPointer> context) {
  return recalled.then([this, interfaceId, methodId, context]() mutable -> kj::Promise<void> {
    KJ_IF_MAYBE(stale, refusedAsStale(methodId)) return kj::mv(*stale);
    // While it waited, a lease may have been granted on a directory it touches (or one
    // it did not see yet, like a rename's target made meanwhile): look again first.
    KJ_IF_MAYBE(again, recallFor(methodId, context)) {
      return afterRecall(kj::mv(*again), interfaceId, methodId, context);
    }
    return wire::Session::Server::dispatchCall(interfaceId, methodId, context).promise;
  });
}

kj::Vector<uint64_t> SessionImpl::leaseDirsOf(uint16_t methodId,
                                              capnp::AnyPointer::Reader params) {
  kj::Vector<uint64_t> dirs;
  // The child directory `name` in `parent`, if it is one (rmdir and rename must see its
  // entries: is it empty?).
  auto childDir = [&](uint64_t parent, capnp::Data::Reader name) {
    Inode node;
    if (ns.lookup(parent, name, node) == 0 && node.isDir()) dirs.add(node.ino);
  };
  // Ordinals of schema/master.capnp's Session methods.
  switch (methodId) {
    case 0: dirs.add(params.getAs<wire::Session::LookupParams>().getParent()); break;
    case 1: dirs.add(params.getAs<wire::Session::GetAttrParams>().getIno()); break;
    case 2: dirs.add(params.getAs<wire::Session::SetAttrParams>().getReq().getIno()); break;
    case 3: dirs.add(params.getAs<wire::Session::MknodParams>().getParent()); break;
    case 4: dirs.add(params.getAs<wire::Session::MkdirParams>().getParent()); break;
    case 5: dirs.add(params.getAs<wire::Session::SymlinkParams>().getParent()); break;
    case 7: dirs.add(params.getAs<wire::Session::LinkParams>().getNewParent()); break;
    case 8: dirs.add(params.getAs<wire::Session::UnlinkParams>().getParent()); break;
    case 9: {
      auto p = params.getAs<wire::Session::RmdirParams>();
      dirs.add(p.getParent());
      childDir(p.getParent(), p.getName());
      break;
    }
    case 10: {
      auto p = params.getAs<wire::Session::RenameParams>();
      dirs.add(p.getParent());
      dirs.add(p.getNewParent());
      childDir(p.getNewParent(), p.getNewName());
      childDir(p.getParent(), p.getName());  // RENAME_EXCHANGE moves the target too
      break;
    }
    case 11: dirs.add(params.getAs<wire::Session::ReaddirParams>().getIno()); break;
    case 20: dirs.add(params.getAs<wire::Session::SetXattrParams>().getIno()); break;
    case 23: dirs.add(params.getAs<wire::Session::RemoveXattrParams>().getIno()); break;
    default: break;  // no directory's entries or attributes
  }
  return dirs;
}

kj::Promise<void> SessionImpl::reserveInodes(ReserveInodesContext context) {
  auto rpcScope = callScope(RpcMethod::RESERVE_INODES);
  uint32_t count = context.getParams().getCount();
  KJ_REQUIRE(count > 0 && count <= kMaxReservedInodes, "bad inode reservation", count);
  uint64_t first = ns.reserveInodes(count);
  // The oldest ranges go first: a mount uses the newest.
  if (reserved.size() >= kMaxReservedRanges) {
    kj::Vector<InodeRange> kept;
    for (size_t i = reserved.size() + 1 - kMaxReservedRanges; i < reserved.size(); ++i) {
      kept.add(reserved[i]);
    }
    reserved = kj::mv(kept);
  }
  reserved.add(InodeRange{first, first + count});
  auto results = context.getResults();
  results.setFirst(first);
  results.setCount(count);
  return kj::READY_NOW;
}

bool SessionImpl::takeReserved(uint64_t ino) {
  for (size_t i = 0; i < reserved.size(); ++i) {
    auto& r = reserved[i];
    if (ino < r.next || ino >= r.end) continue;
    r.next = ino + 1;
    if (r.next == r.end) {
      kj::Vector<InodeRange> kept;
      for (size_t j = 0; j < reserved.size(); ++j) {
        if (j != i) kept.add(reserved[j]);
      }
      reserved = kj::mv(kept);
    }
    return true;
  }
  return false;
}

kj::Promise<void> SessionImpl::asyncReply() {
  auto now = core.timer.now();
  if (replyBatch == nullptr || now >= replyBatchDue) {
    replyBatchDue = now + kAsyncReplyDelay;
    replyBatch = core.timer.afterDelay(kAsyncReplyDelay).fork();
  }
  return KJ_ASSERT_NONNULL(replyBatch).addBranch();
}

int SessionImpl::asyncAllowed(bool async, uint64_t dir) const {
  if (!async) return 0;
  return core.leases.holds(sessionId, dir) ? 0 : ESTALE;
}

}  // namespace dfs
