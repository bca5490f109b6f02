// SessionImpl: the lock calls (getLock, setLock, releaseLocks) on core.locks. Lock owners
// are (this session, the kernel's owner id); waits can be cancelled by the client. During
// the lock grace period after a restart (core.lockGrace) only reclaims and unlocks are
// served at once; other setLock and getLock calls wait for its end first.
#include "server/master/service/session_impl.h"
#include "server/master/service/master_metrics.h"

#include <cerrno>
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

static void fillConflict(MasterCore& core, uint64_t ino, LockClass cls, const FileLock& request,
                         wire::HeldLock::Builder out) {
  KJ_IF_MAYBE(held, core.locks.test(ino, cls, request)) {
    out.setType(toWire(held->type));
    out.setStart(held->start);
    out.setEnd(held->end);
    out.setPid(held->pid);
  } else {
    out.setType(wire::LockType::UNLOCK);
  }
}

kj::Promise<void> SessionImpl::getLock(GetLockContext context) {
  auto rpcScope = callScope(RpcMethod::GET_LOCK);
  auto r = context.getParams().getLock();
  auto request = decode(sessionId, r);
  KJ_REQUIRE(request.type != LockType::UNLOCK, "F_GETLK needs a read or write lock type");
  uint64_t ino = r.getIno();
  auto cls = classOf(r);
  if (!core.lockGrace.active()) {
    fillConflict(core, ino, cls, request, context.getResults().initConflict());
    return kj::READY_NOW;
  }
  // The answer would miss locks not reclaimed yet: wait for the grace period's end.
  context.allowCancellation();
  auto& c = core;
  return core.lockGrace.wait(sessionId, 0).then([&c, context, ino, cls, request](bool) mutable {
    fillConflict(c, ino, cls, request, context.getResults().initConflict());
  });
}

// Sets the lock now, or waits at the lock manager if `wait`.
static kj::Promise<int> grant(MasterCore& core, uint64_t ino, LockClass cls,
                              const FileLock& request, bool wait, uint64_t tag) {
  return core.locks.set(ino, cls, request, wait, tag);
}

kj::Promise<void> SessionImpl::setLock(SetLockContext context) {
  auto rpcScope = callScope(RpcMethod::SET_LOCK);
  auto p = context.getParams();
  auto r = p.getLock();
  auto request = decode(sessionId, r);
  uint64_t ino = r.getIno();
  auto cls = classOf(r);
  bool reclaim = p.getReclaim();
  bool wait = p.getWait() && !reclaim;  // a reclaim is answered at once
  uint64_t tag = p.getWaitTag();
  if (request.type != LockType::UNLOCK) {
    // Recorded before anything is granted: a restart then knows to keep a grace period.
    core.lockHolders.taking(sessionId, clientName());
  }
  auto& c = core;
  if (reclaim) {
    KJ_REQUIRE(request.type != LockType::UNLOCK, "a reclaim needs a read or write lock");
    return grant(core, ino, cls, request, false, 0)
        .then([&c, context, ino, id = sessionId, name = kj::str(clientName())](int err) mutable {
          c.lockHolders.reclaimed(id);
          c.checkLockGrace();
          if (err == 0) {
            ++c.lockGrace.reclaimedTotal;
          } else {
            ++c.lockGrace.reclaimRefusedTotal;
            KJ_LOG(WARNING, "lock reclaim refused: another owner holds a conflicting lock",
                   name, ino, err);
          }
          context.getResults().setErr(err);
        });
  }
  // A waiting call ends when the client cancels it (signal, unmount) or its connection
  // dies: the promise is dropped and the request withdrawn.
  if (wait) context.allowCancellation();
  if (request.type == LockType::UNLOCK || !core.lockGrace.active()) {
    return grant(core, ino, cls, request, wait, tag).then([context](int err) mutable {
      context.getResults().setErr(err);
    });
  }
  context.allowCancellation();
  return core.lockGrace.wait(sessionId, tag)
      .then([&c, context, ino, cls, request, wait, tag](bool over) mutable -> kj::Promise<void> {
        if (!over) {  // interrupted (releaseLocks with interruptTag) before the grace ended
          context.getResults().setErr(EINTR);
          return kj::READY_NOW;
        }
        return grant(c, ino, cls, request, wait, tag).then([context](int err) mutable {
          context.getResults().setErr(err);
        });
      });
}

kj::Promise<void> SessionImpl::releaseLocks(ReleaseLocksContext context) {
  auto rpcScope = callScope(RpcMethod::RELEASE_LOCKS);
  auto p = context.getParams();
  uint64_t ino = p.getIno();
  LockOwner owner{sessionId, p.getOwner()};
  if (p.getInterruptTag() != 0) {
    uint64_t tag = p.getInterruptTag();
    bool interrupted = core.locks.interrupt(sessionId, tag) ||
                       core.lockGrace.interrupt(sessionId, tag);
    context.getResults().setInterrupted(interrupted);
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
