// Filesystem: re-asserting held locks on a new master session (as NFSv4 reclaims state).
// MasterLink runs this on every new session before any call may use it. A restarted
// master grants reclaims during its grace period, when no one else can take locks; a
// master that kept running (this mount's session was lost and replaced) grants them if
// no other mount took a conflicting lock meanwhile. A lock that cannot be reclaimed is
// lost: logged, counted (dfs_client_locks_lost_total), and I/O and new locks through the
// handles its owner locked through fail with EIO until they are closed, as on NFS.
#include "filesystem.h"

#include <kj/debug.h>

namespace dfs {
namespace {

wire::LockType wireType(LockType type) {
  switch (type) {
    case LockType::READ: return wire::LockType::READ;
    case LockType::WRITE: return wire::LockType::WRITE;
    default: return wire::LockType::UNLOCK;
  }
}

}  // namespace

kj::Promise<void> Filesystem::reclaimLocks(wire::Session::Client session, bool masterRestarted) {
  auto held = heldLocks.all();
  if (held.empty()) return kj::READY_NOW;
  KJ_LOG(WARNING, masterRestarted ? "master restarted: reclaiming locks"
                                  : "new master session: reclaiming locks",
         held.size());
  auto work = kj::heapArrayBuilder<kj::Promise<void>>(held.size());
  for (auto& h : held) {
    auto req = session.setLockRequest();
    auto l = req.initLock();
    l.setIno(h.ino);
    l.setOwner(h.lock.owner.owner);
    l.setPid(h.lock.pid);
    l.setType(wireType(h.lock.type));
    l.setStart(h.lock.start);
    l.setEnd(h.lock.end);
    l.setFlock(h.cls == LockClass::FLOCK);
    req.setReclaim(true);
    work.add(req.send().then([this, h](capnp::Response<wire::Session::SetLockResults> r) {
      if (r.getErr() == 0) {
        ++lockCounters.reclaimed;
        return;
      }
      ++lockCounters.lost;
      KJ_LOG(ERROR, "lock lost: could not reclaim it (another mount took a conflicting lock "
                    "while this mount had no session); I/O through its handles fails with EIO",
             h.ino, h.cls == LockClass::FLOCK ? "flock" : "fcntl", h.lock.owner.owner,
             h.lock.start, h.lock.end, r.getErr());
      heldLocks.lost(h);
    }));
  }
  // A failure (the connection dropped again) fails this session's start: the next one
  // reclaims what is still held.
  return kj::joinPromises(work.finish());
}

}  // namespace dfs
