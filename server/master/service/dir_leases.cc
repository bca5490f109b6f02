// DirLeases: grants, recalls (CacheClient.recallLease) and revocation of directory leases.
#include "server/master/service/dir_leases.h"

#include <kj/debug.h>
#include <iterator>

namespace dfs {

bool DirLeases::grant(uint64_t sessionId, uint64_t dir) {
  auto it = leases.find(dir);
  if (it != leases.end()) {
    return it->second.sessionId == sessionId && it->second.recalling == nullptr;
  }
  auto recent = recalledAt.find(dir);
  if (recent != recalledAt.end()) {
    if (timer.now() - recent->second < kRegrantDelay) return false;
    recalledAt.erase(recent);
  }
  if (watch.callbackOf(sessionId) == nullptr) return false;
  if (watch.recordedByOthers(sessionId, dir)) return false;
  leases.emplace(dir, Lease{sessionId, nextId++, nullptr});
  bySession[sessionId].insert(dir);
  count.granted++;
  return true;
}

bool DirLeases::holds(uint64_t sessionId, uint64_t dir) const {
  auto it = leases.find(dir);
  return it != leases.end() && it->second.sessionId == sessionId;
}

kj::Maybe<kj::Promise<void>> DirLeases::recall(uint64_t sessionId,
                                                kj::ArrayPtr<const uint64_t> dirs) {
  if (leases.empty()) return nullptr;
  kj::Vector<kj::Promise<void>> waits;
  for (uint64_t dir : dirs) {
    auto it = leases.find(dir);
    if (it == leases.end() || it->second.sessionId == sessionId) continue;
    waits.add(startRecall(dir, it->second));
  }
  if (waits.size() == 0) return nullptr;
  return kj::joinPromises(waits.releaseAsArray());
}

kj::Promise<void> DirLeases::startRecall(uint64_t dir, Lease& lease) {
  KJ_IF_MAYBE(r, lease.recalling) return r->addBranch();
  // Keep this map bounded: forget recalls too old to matter.
  if (recalledAt.size() > 65536) {
    auto now = timer.now();
    for (auto it = recalledAt.begin(); it != recalledAt.end();) {
      it = now - it->second >= kRegrantDelay ? recalledAt.erase(it) : std::next(it);
    }
  }
  count.recalled++;
  kj::Promise<void> answered = nullptr;
  KJ_IF_MAYBE(holder, watch.callbackOf(lease.sessionId)) {
    auto req = holder->recallLeaseRequest();
    req.initDirs(1).set(0, dir);
    answered = req.send().ignoreResult().catch_([](kj::Exception&&) {
      // The holder is gone: nothing of it is coming any more.
    });
  } else {
    answered = kj::READY_NOW;
  }
  uint64_t id = lease.id;
  auto done = answered
                  .exclusiveJoin(timer.afterDelay(recallTimeout).then([this]() {
                    count.revoked++;
                  }))
                  .fork();
  tasks.add(done.addBranch().then([this, dir, id]() { drop(dir, id); }));
  auto branch = done.addBranch();
  lease.recalling = kj::mv(done);
  return branch;
}

void DirLeases::drop(uint64_t dir, uint64_t id) {
  auto it = leases.find(dir);
  if (it == leases.end() || it->second.id != id) return;
  recalledAt.insert_or_assign(dir, timer.now());  // no new grant for kRegrantDelay
  erase(it);
}

void DirLeases::removed(uint64_t dir) {
  auto it = leases.find(dir);
  if (it != leases.end()) erase(it);
}

void DirLeases::erase(std::unordered_map<uint64_t, Lease>::iterator it) {
  auto s = bySession.find(it->second.sessionId);
  if (s != bySession.end()) {
    s->second.erase(it->first);
    if (s->second.empty()) bySession.erase(s);
  }
  leases.erase(it);
}

void DirLeases::ended(uint64_t sessionId) {
  auto s = bySession.find(sessionId);
  if (s == bySession.end()) return;
  for (uint64_t dir : s->second) leases.erase(dir);
  bySession.erase(s);
}

void DirLeases::taskFailed(kj::Exception&& e) {
  KJ_LOG(WARNING, "directory lease task failed", e);
}

}  // namespace dfs
