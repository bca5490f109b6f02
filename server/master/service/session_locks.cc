// SessionImpl: the lock calls (getLock, setLock, releaseLocks) on core.locks. Lock owners
// are (this session, the kernel's owner id); waits can be cancelled by the client.
#include "server/master/service/session_impl.h"
#include "server/master/service/master_metrics.h"

#include <kj/debug.h>

namespace dfs {

static LockType fromWire(wire::LockType type) {
  switch (type) {
    case wire::LockType::UNLOCK: return LockType::UNLOCK;
    case wire::LockType::READ: return LockType::READ;
    case wire::LockType::WRITE: return LockType::WRITE;
  }
  KJ_FAIL_REQUIRE("bad lock type", static_cast<uint16_t>(type));
}

static wire::LockType toWire(LockType type) {
  switch (type) {
    case LockType::UNLOCK: return wire::LockType::UNLOCK;
    case LockType::READ: return wire::LockType::READ;
    case LockType::WRITE: return wire::LockType::WRITE;
  }
  KJ_UNREACHABLE;
}

static FileLock decode(uint64_t session, wire::LockRequest::Reader r) {
  FileLock lock;
  lock.owner = LockOwner{session, r.getOwner()};
  lock.type = fromWire(r.getType());
  lock.start = r.getStart();
  lock.end = r.getEnd();
  lock.pid = r.getPid();
  if (r.getFlock()) {  // flock locks cover the whole file whatever the client sent
    lock.start = 0;
    lock.end = kLockToEof;
  }
  return lock;
}

static LockClass classOf(wire::LockRequest::Reader r) {
  return r.getFlock() ? LockClass::FLOCK : LockClass::POSIX;
}

kj::Promise<void> SessionImpl::getLock(GetLockContext context) {
  RpcScope rpcScope(core.rpcMetrics, RpcMethod::GET_LOCK);
  auto r = context.getParams().getLock();
  auto request = decode(sessionId, r);
  auto out = context.getResults().initConflict();
  KJ_IF_MAYBE(held, core.locks.test(r.getIno(), classOf(r), request)) {
    out.setType(toWire(held->type));
    out.setStart(held->start);
    out.setEnd(held->end);
    out.setPid(held->pid);
  } else {
    out.setType(wire::LockType::UNLOCK);
  }
  return kj::READY_NOW;
}

kj::Promise<void> SessionImpl::setLock(SetLockContext context) {
  RpcScope rpcScope(core.rpcMetrics, RpcMethod::SET_LOCK);
  auto p = context.getParams();
  auto r = p.getLock();
  auto request = decode(sessionId, r);
  bool wait = p.getWait();
  auto granted = core.locks.set(r.getIno(), classOf(r), request, wait, p.getWaitTag());
  // A waiting call ends when the client cancels it (signal, unmount) or its connection
  // dies: the promise is dropped and the request withdrawn.
  if (wait) context.allowCancellation();
  return granted.then([context](int err) mutable { context.getResults().setErr(err); });
}

kj::Promise<void> SessionImpl::releaseLocks(ReleaseLocksContext context) {
  RpcScope rpcScope(core.rpcMetrics, RpcMethod::RELEASE_LOCKS);
  auto p = context.getParams();
  uint64_t ino = p.getIno();
  LockOwner owner{sessionId, p.getOwner()};
  if (p.getInterruptTag() != 0) {
    context.getResults().setInterrupted(core.locks.interrupt(sessionId, p.getInterruptTag()));
  }
  for (auto cls : {LockClass::POSIX, LockClass::FLOCK}) {
    if (!(cls == LockClass::POSIX ? p.getPosix() : p.getFlock())) continue;
    if (p.getAllOwners()) {
      core.locks.releaseSessionInode(ino, cls, sessionId);
    } else {
      core.locks.releaseOwner(ino, cls, owner);
    }
  }
  return kj::READY_NOW;
}

}  // namespace dfs
