// DirLeases: directories one mount may change without waiting for the master (its
// creates and unlinks there are asynchronous, as CephFS's async dirops).
//
// A session gets the lease on a directory when no other mount may cache it: no other
// session's CacheWatch watcher records its names or attributes. Before a call of any
// other session touches a leased directory (SessionImpl::dispatchCall), the holder is
// recalled (CacheClient.recallLease): it stops sending asynchronous operations there and
// answers once those it sent were answered, so the other session's call sees all of
// them. A holder that does not answer within the recall timeout loses the lease
// (revoked): its asynchronous operations that arrive later fail with ESTALE. A directory
// is not granted again for kRegrantDelay after its lease was recalled, so mounts sharing
// it do not pass the lease back and forth. Leases live in memory only: a restarted master has none
// and the mounts' sessions are new.
#pragma once

#include <kj/async.h>
#include <kj/timer.h>
#include <master.capnp.h>
#include <cstdint>
#include <unordered_map>
#include <unordered_set>
#include "server/master/service/cache_watch.h"

namespace dfs {

class DirLeases final : private kj::TaskSet::ErrorHandler {
public:
  struct Counters {
    uint64_t granted = 0;
    uint64_t recalled = 0;  // recalls sent
    uint64_t revoked = 0;   // recalls not answered in time
  };

  DirLeases(kj::Timer& timer, kj::Duration recallTimeout, CacheWatch& watch)
      : timer(timer), recallTimeout(recallTimeout), watch(watch), tasks(*this) {}
  KJ_DISALLOW_COPY(DirLeases);

  // Grants directory `dir` to session `sessionId` (true; also if it holds it already), or
  // not (false): another session holds it or records it, it was recalled within
  // kRegrantDelay, or the session has no watcher to be recalled through.
  bool grant(uint64_t sessionId, uint64_t dir);
  // The session holds `dir` (also while it is being recalled: what it sent before the
  // recall still applies).
  bool holds(uint64_t sessionId, uint64_t dir) const;
  // Recalls those of `dirs` that another session holds. Null when none is (go on at
  // once); else resolves when every one was returned or revoked. Never fails.
  kj::Maybe<kj::Promise<void>> recall(uint64_t sessionId, kj::ArrayPtr<const uint64_t> dirs);
  // Session `sessionId` ended (or its client replaced it): its leases go without a
  // recall.
  void ended(uint64_t sessionId);
  // Directory `dir` was removed: its lease goes.
  void removed(uint64_t dir);

  size_t held() const { return leases.size(); }
  const Counters& counters() const { return count; }
  static constexpr kj::Duration kRegrantDelay = 2 * kj::SECONDS;

private:
  struct Lease {
    uint64_t sessionId;
    uint64_t id;  // tells a lease from a later one of the same directory
    kj::Maybe<kj::ForkedPromise<void>> recalling;
  };
  kj::Promise<void> startRecall(uint64_t dir, Lease& lease);
  void drop(uint64_t dir, uint64_t id);  // if `dir`'s lease is still lease `id`
  void erase(std::unordered_map<uint64_t, Lease>::iterator it);
  void taskFailed(kj::Exception&& e) override;

  kj::Timer& timer;
  kj::Duration recallTimeout;
  CacheWatch& watch;
  uint64_t nextId = 1;
  std::unordered_map<uint64_t, Lease> leases;  // by directory
  std::unordered_map<uint64_t, std::unordered_set<uint64_t>> bySession;
  std::unordered_map<uint64_t, kj::TimePoint> recalledAt;  // directory -> lease recalled
  Counters count;
  kj::TaskSet tasks;  // drops leases once recalled
};

}  // namespace dfs
