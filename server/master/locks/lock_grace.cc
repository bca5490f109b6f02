// LockGrace: the timer, the waiting requests and their interruption.
#include "server/master/locks/lock_grace.h"

#include <kj/debug.h>

namespace dfs {

LockGrace::~LockGrace() noexcept(false) {
  // Waits are owned by RPC calls that may outlive us; make them fail, not hang.
  for (auto& w : waiters) w.fulfiller->reject(KJ_EXCEPTION(DISCONNECTED, "master shut down"));
}

void LockGrace::start(kj::Duration length, kj::Function<void()> onEndFn) {
  onEnd = kj::mv(onEndFn);
  isActive = true;
  endsAt = timer.now() + length;
  if (length <= 0 * kj::NANOSECONDS) {
    finish();
    return;
  }
  KJ_LOG(WARNING, "lock grace period: only lock reclaims are served until it ends",
         length / kj::MILLISECONDS);
  expiry = timer.afterDelay(length).then([this]() { finish(); }).eagerlyEvaluate([](kj::Exception&& e) {
    KJ_LOG(ERROR, "lock grace period timer failed", e);
  });
}

kj::Duration LockGrace::remaining() const {
  if (!isActive) return 0 * kj::NANOSECONDS;
  auto now = timer.now();
  return now < endsAt ? endsAt - now : 0 * kj::NANOSECONDS;
}

void LockGrace::end() {
  if (!isActive) return;
  expiry = nullptr;  // not called from the timer's own continuation (finish() is)
  finish();
}

void LockGrace::finish() {
  if (!isActive) return;
  isActive = false;
  KJ_LOG(WARNING, "lock grace period over", reclaimedTotal, reclaimRefusedTotal, waiters.size());
  auto ready = kj::mv(waiters);
  waiters.clear();
  for (auto& w : ready) w.fulfiller->fulfill(true);
  KJ_IF_MAYBE(fn, onEnd) {
    auto call = kj::mv(*fn);
    onEnd = nullptr;
    KJ_IF_MAYBE(e, kj::runCatchingExceptions([&]() { call(); })) {
      KJ_LOG(ERROR, "lock grace period end hook failed", *e);
    }
  }
}

kj::Promise<bool> LockGrace::wait(uint64_t session, uint64_t tag) {
  if (!isActive) return true;
  ++waitedTotal;
  auto paf = kj::newPromiseAndFulfiller<bool>();
  uint64_t id = nextId++;
  waiters.push_back(Waiter{id, session, tag, kj::mv(paf.fulfiller)});
  return paf.promise.attach(kj::defer([this, id]() {
    for (auto w = waiters.begin(); w != waiters.end(); ++w) {
      if (w->id == id) {
        waiters.erase(w);
        break;
      }
    }
  }));
}

bool LockGrace::interrupt(uint64_t session, uint64_t tag) {
  if (tag == 0) return false;
  for (auto w = waiters.begin(); w != waiters.end(); ++w) {
    if (w->session == session && w->tag == tag) {
      w->fulfiller->fulfill(false);
      waiters.erase(w);
      return true;
    }
  }
  return false;
}

}  // namespace dfs
