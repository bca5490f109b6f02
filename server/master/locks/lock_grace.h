// LockGrace: the lock grace period of a restarted master (as in NFSv4). Locks live in
// memory only, so a restart loses them; the clients re-assert ("reclaim") the locks their
// processes hold as soon as they reconnect. While the grace period lasts only reclaims
// (and unlocks) are served; every other lock request waits here until it ends, so that
// no one is granted a lock a returning client still holds. Single-threaded.
#pragma once

#include <kj/async.h>
#include <kj/function.h>
#include <kj/timer.h>
#include <list>

namespace dfs {

class LockGrace {
public:
  explicit LockGrace(kj::Timer& timer) : timer(timer) {}
  KJ_DISALLOW_COPY(LockGrace);
  ~LockGrace() noexcept(false);

  // Starts a grace period of `length` from now; `onEnd` runs when it ends. A length of
  // zero starts none (onEnd runs at once).
  void start(kj::Duration length, kj::Function<void()> onEnd);
  // Ends the grace period now: every waiting request proceeds.
  void end();
  bool active() const { return isActive; }
  // How much of the grace period is left (0 when none is active).
  kj::Duration remaining() const;

  // A lock request that must wait for the grace period. Resolves to true once it is over
  // (at once if none is active), or to false if interrupt(session, tag) ended the wait
  // first (the client's process got a signal). Dropping the promise withdraws the wait.
  kj::Promise<bool> wait(uint64_t session, uint64_t tag);
  // Ends the wait of `session` tagged `tag` (nonzero); false if there is none.
  bool interrupt(uint64_t session, uint64_t tag);

  size_t waiting() const { return waiters.size(); }
  // Totals for metrics: requests that had to wait; reclaims granted and refused.
  uint64_t waitedTotal = 0;
  uint64_t reclaimedTotal = 0;
  uint64_t reclaimRefusedTotal = 0;

private:
  struct Waiter {
    uint64_t id;
    uint64_t session;
    uint64_t tag;
    kj::Own<kj::PromiseFulfiller<bool>> fulfiller;
  };
  void finish();  // the period is over: release waiters, run onEnd

  kj::Timer& timer;
  bool isActive = false;
  kj::TimePoint endsAt = kj::origin<kj::TimePoint>();
  kj::Maybe<kj::Promise<void>> expiry;
  kj::Maybe<kj::Function<void()>> onEnd;
  std::list<Waiter> waiters;
  uint64_t nextId = 1;
};

}  // namespace dfs
