// LockManager: granting, waiting, waking and releasing file locks.
#include "server/master/locks/lock_manager.h"

#include <kj/debug.h>
#include <kj/vector.h>
#include <cerrno>

namespace dfs {

LockManager::~LockManager() noexcept(false) {
  // Pending waits are owned by RPC calls that may outlive us; make them fail, not hang.
  for (auto& entry : inodes) {
    for (auto& w : entry.second.waiters) {
      w.fulfiller->reject(KJ_EXCEPTION(DISCONNECTED, "lock manager shut down"));
    }
  }
}

static void checkRequest(const FileLock& request) {
  KJ_REQUIRE(request.start <= request.end, "lock range start after end", request.start,
             request.end);
  KJ_REQUIRE(request.type == LockType::UNLOCK || request.type == LockType::READ ||
                 request.type == LockType::WRITE,
             "bad lock type");
}

kj::Maybe<FileLock> LockManager::test(uint64_t ino, LockClass cls,
                                      const FileLock& request) const {
  checkRequest(request);
  KJ_REQUIRE(request.type != LockType::UNLOCK, "F_GETLK needs a read or write lock type");
  auto it = inodes.find(ino);
  if (it == inodes.end()) return nullptr;
  KJ_IF_MAYBE(held, it->second.of(cls).conflict(request)) { return *held; }
  return nullptr;
}

kj::Promise<int> LockManager::set(uint64_t ino, LockClass cls, const FileLock& request,
                                  bool wait, uint64_t tag) {
  checkRequest(request);
  auto& node = inodes[ino];
  auto& set = node.of(cls);
  if (request.type == LockType::UNLOCK) {
    set.apply(request);
    wake(ino);
    return 0;
  }
  KJ_IF_MAYBE(blocker, set.conflict(request)) {
    if (!wait) {
      dropIfEmpty(ino);
      return EAGAIN;
    }
    if (cls == LockClass::POSIX && wouldDeadlock(request, *blocker)) {
      dropIfEmpty(ino);
      return EDEADLK;
    }
    auto paf = kj::newPromiseAndFulfiller<int>();
    uint64_t id = nextWaiterId++;
    node.waiters.push_back(Waiter{id, tag, cls, request, kj::mv(paf.fulfiller)});
    // Dropping the promise (the RPC was cancelled) withdraws the request.
    return paf.promise.attach(kj::defer([this, ino, id]() { withdraw(ino, id); }));
  }
  // A downgrade or a shrink may unblock others.
  set.apply(request);
  wake(ino);
  return 0;
}

void LockManager::wake(uint64_t ino) {
  auto it = inodes.find(ino);
  if (it == inodes.end()) return;
  auto& node = it->second;
  bool granted = true;
  while (granted) {
    granted = false;
    for (auto w = node.waiters.begin(); w != node.waiters.end();) {
      auto& set = node.of(w->cls);
      if (set.conflict(w->request) != nullptr) {
        ++w;
        continue;
      }
      set.apply(w->request);
      w->fulfiller->fulfill(0);
      w = node.waiters.erase(w);
      granted = true;
    }
  }
  dropIfEmpty(ino);
}

void LockManager::withdraw(uint64_t ino, uint64_t waiterId) {
  auto it = inodes.find(ino);
  if (it == inodes.end()) return;
  auto& waiters = it->second.waiters;
  for (auto w = waiters.begin(); w != waiters.end(); ++w) {
    if (w->id == waiterId) {
      waiters.erase(w);
      break;
    }
  }
  dropIfEmpty(ino);
}

bool LockManager::interrupt(uint64_t session, uint64_t tag) {
  if (tag == 0) return false;
  for (auto& entry : inodes) {
    auto& waiters = entry.second.waiters;
    for (auto w = waiters.begin(); w != waiters.end(); ++w) {
      if (w->tag == tag && w->request.owner.session == session) {
        w->fulfiller->fulfill(EINTR);
        waiters.erase(w);
        dropIfEmpty(entry.first);
        return true;
      }
    }
  }
  return false;
}

void LockManager::dropIfEmpty(uint64_t ino) {
  auto it = inodes.find(ino);
  if (it != inodes.end() && it->second.empty()) inodes.erase(it);
}

void LockManager::releaseOwner(uint64_t ino, LockClass cls, LockOwner owner) {
  auto it = inodes.find(ino);
  if (it == inodes.end()) return;
  if (it->second.of(cls).removeIf([&](const FileLock& l) { return l.owner == owner; })) {
    wake(ino);
  }
}

void LockManager::releaseSessionInode(uint64_t ino, LockClass cls, uint64_t session) {
  auto it = inodes.find(ino);
  if (it == inodes.end()) return;
  if (it->second.of(cls).removeIf(
          [&](const FileLock& l) { return l.owner.session == session; })) {
    wake(ino);
  }
}

void LockManager::releaseSession(uint64_t session) {
  kj::Vector<uint64_t> touched;
  for (auto& entry : inodes) {
    auto& node = entry.second;
    auto mine = [&](const FileLock& l) { return l.owner.session == session; };
    bool changed = node.posix.removeIf(mine);
    changed = node.flock.removeIf(mine) || changed;
    for (auto w = node.waiters.begin(); w != node.waiters.end();) {
      if (w->request.owner.session == session) {
        w->fulfiller->reject(KJ_EXCEPTION(DISCONNECTED, "session ended"));
        w = node.waiters.erase(w);
        changed = true;
      } else {
        ++w;
      }
    }
    if (changed) touched.add(entry.first);
  }
  for (auto ino : touched) wake(ino);
}

size_t LockManager::heldCount(uint64_t ino, LockClass cls) const {
  auto it = inodes.find(ino);
  return it == inodes.end() ? 0 : it->second.of(cls).all().size();
}

size_t LockManager::waiterCount() const {
  size_t n = 0;
  for (auto& entry : inodes) n += entry.second.waiters.size();
  return n;
}

const LockSet* LockManager::locksOf(uint64_t ino, LockClass cls) const {
  auto it = inodes.find(ino);
  return it == inodes.end() ? nullptr : &it->second.of(cls);
}

}  // namespace dfs
