// MasterLink: the mount's session with the master. Connects lazily, puts a deadline on
// every call, drops a broken connection and reconnects (and re-mounts the volume) on the
// next call, so the mount recovers by itself when the master comes back. While the mount
// has state the master must get back (held locks: keepConnected), a lost session is
// re-established in the background every kReconnectInterval, and a session-start hook
// (the lock reclaim) runs on each new session before any call may use it.
#pragma once

#include <kj/async-io.h>
#include <kj/function.h>
#include <kj/timer.h>
#include <master.capnp.h>
#include "client/rpc/rpc_stats.h"
#include "common/rpc/rpc.h"

namespace dfs {

class MasterLink {
public:
  // `consistency`: the level this mount asks for; null = the volume's default. The level
  // the first mount answers with is kept for the life of the link (reconnects ask for it).
  MasterLink(kj::AsyncIoProvider& io, kj::Timer& timer, kj::String address, kj::String volume,
             kj::String clientName, kj::Duration timeout,
             kj::Maybe<wire::Consistency> consistency = nullptr);

  // Calls fn(session) -> Promise<T> with the deadline. Connection failures and deadline
  // overruns throw DISCONNECTED (the caller maps them to EIO) and reset the connection.
  template <typename Fn>
  auto call(Fn&& fn) -> typename PromiseOf<decltype(fn(kj::instance<wire::Session::Client&>()))>::Type {
    return callBefore(timer.afterDelay(timeout), "master RPC", kj::fwd<Fn>(fn));
  }

  // call() for getLock/setLock without waiting: a restarted master serves them only after
  // its lock grace period (Master.mount lockGraceMs), so the deadline is the later of the
  // RPC deadline and the grace period's end plus the RPC deadline.
  template <typename Fn>
  auto callLock(Fn&& fn) -> typename PromiseOf<decltype(fn(kj::instance<wire::Session::Client&>()))>::Type {
    return callBefore(lockDeadline(), "master lock RPC", kj::fwd<Fn>(fn));
  }

  // call() with the deadline `deadline` (a promise that resolves when it has passed).
  template <typename Fn>
  auto callBefore(kj::Promise<void> deadline, kj::StringPtr what, Fn&& fn)
      -> typename PromiseOf<decltype(fn(kj::instance<wire::Session::Client&>()))>::Type {
    using P = typename PromiseOf<decltype(fn(kj::instance<wire::Session::Client&>()))>::Type;
    if (!held.empty()) sendHeld();  // they were made first
    uint64_t gen;
    auto work = getSession(gen).then(
        [fn = kj::fwd<Fn>(fn)](wire::Session::Client session) mutable { return fn(session); });
    return guard(kj::mv(deadline), what, gen, P(kj::mv(work)));
  }

  // call() for calls nobody waits for whose place among the mount's calls matters
  // (asynchronous directory operations, which the master applies in the order sent):
  // held, then sent together with the others held — at most kHoldDelay later, once
  // kMaxHeld are held, at sendHeld(), or when any other call is made (before it, so the
  // order is kept). One message burst per batch instead of per call: on a small machine
  // the wakeups cost more than the calls. Null if no session is established.
  template <typename Fn>
  auto callSoon(Fn&& fn)
      -> kj::Maybe<typename PromiseOf<decltype(fn(kj::instance<wire::Session::Client&>()))>::Type> {
    using P = typename PromiseOf<decltype(fn(kj::instance<wire::Session::Client&>()))>::Type;
    using R = typename ResultOf<P>::Type;
    if (session == nullptr) return nullptr;
    auto paf = kj::newPromiseAndFulfiller<R>();
    held.add([fn = kj::fwd<Fn>(fn), f = kj::mv(paf.fulfiller)](
                 wire::Session::Client& s) mutable -> kj::Promise<void> {
      auto& fulfiller = *f;
      return P(fn(s))
          .then([&fulfiller](R&& r) { fulfiller.fulfill(kj::mv(r)); },
                [&fulfiller](kj::Exception&& e) { fulfiller.reject(kj::mv(e)); })
          .attach(kj::mv(f));
    });
    if (held.size() >= kMaxHeld) {
      sendHeld();
    } else if (held.size() == 1) {
      heldTasks.add(timer.afterDelay(kHoldDelay).then([this]() { sendHeld(); }));
    }
    return guard(timer.afterDelay(timeout), "master RPC", generation, P(kj::mv(paf.promise)));
  }
  // Sends what callSoon holds, now (without a session, those calls fail).
  void sendHeld();
  static constexpr kj::Duration kHoldDelay = 2 * kj::MILLISECONDS;
  static constexpr size_t kMaxHeld = 128;

  // Changes whenever the session is lost or replaced (what a session was granted, such
  // as reserved inode numbers and directory leases, ends with it).
  uint64_t sessionGeneration() const { return generation; }
  // Sessions started so far, counted just before each one's start hook runs: what a mount
  // registered on one session (an open) is released on the same one (ReleaseQueue drops
  // releases of an earlier session; the start hook registers anew what is still held).
  uint64_t sessionStarts() const { return starts; }

private:
  // `work` (a call on session `gen`) with the deadline, failure accounting and timing.
  template <typename P>
  P guard(kj::Promise<void> deadline, kj::StringPtr what, uint64_t gen, P work) {
    auto start = timer.now();
    return deadline
        .then([what]() -> P { return KJ_EXCEPTION(DISCONNECTED, "deadline exceeded", what); })
        .exclusiveJoin(kj::mv(work))
        .catch_([this, gen](kj::Exception&& e) -> P {
          stats.failed();
          if (e.getType() == kj::Exception::Type::DISCONNECTED) reset(gen);
          return kj::mv(e);
        })
        .attach(kj::defer([this, start]() { stats.finished(timer.now() - start); }));
  }

public:

  // Like call(), but without the deadline: for calls that may wait as long as they must
  // (a blocking lock). They end when answered, when the connection fails (DISCONNECTED),
  // or when the caller drops the returned promise (which cancels the call at the master).
  template <typename Fn>
  auto callWaiting(Fn&& fn) -> typename PromiseOf<decltype(fn(kj::instance<wire::Session::Client&>()))>::Type {
    using P = typename PromiseOf<decltype(fn(kj::instance<wire::Session::Client&>()))>::Type;
    if (!held.empty()) sendHeld();
    uint64_t gen;
    auto work = getSession(gen).then(
        [fn = kj::fwd<Fn>(fn)](wire::Session::Client session) mutable { return fn(session); });
    return P(kj::mv(work)).catch_([this, gen](kj::Exception&& e) -> P {
      stats.failed();
      if (e.getType() == kj::Exception::Type::DISCONNECTED) reset(gen);
      return kj::mv(e);
    });
  }

  // Connects and mounts now; throws with a readable message on failure.
  kj::Promise<void> connectNow();

  // Runs on every new session (first mount too) after the master accepted it and before
  // any call gets it; `masterRestarted`: the master is a new run (else the session was
  // lost and replaced). A failure of the returned promise fails this connect attempt
  // (the next call or background attempt tries again).
  using SessionStart = kj::Function<kj::Promise<void>(wire::Session::Client session,
                                                      bool masterRestarted)>;
  // `reclaims()`: how many locks the start hook will re-assert, told to the master with
  // the mount (a restarted master ends its grace period once all holders are back).
  void onSessionStart(SessionStart fn, kj::Function<uint32_t()> reclaims) {
    sessionStart = kj::mv(fn);
    reclaimCount = kj::mv(reclaims);
  }
  // While `wanted()` returns true, a lost session is re-established in the background
  // (at once, then every kReconnectInterval, each attempt connecting within
  // kReconnectConnectTimeout)
  // instead of at the next call: the master's lock grace period after a restart is sized
  // from these two (5 s by default).
  void keepConnected(kj::Function<bool()> wanted) { keepWanted = kj::mv(wanted); }
  static constexpr kj::Duration kReconnectInterval = 1 * kj::SECONDS;
  static constexpr kj::Duration kReconnectConnectTimeout = 2 * kj::SECONDS;

  uint64_t rootIno() const { return root; }
  // The mount's consistency level (valid once connectNow() succeeded).
  wire::Consistency consistency() const { return level.orDefault(wire::Consistency::QUORUM); }
  kj::StringPtr address() const { return masterAddress; }
  kj::Duration deadline() const { return timeout; }
  // The mount's cache callback, offered to the master at every (re)mount; set before the
  // first call.
  void setCacheClient(wire::CacheClient::Client client) { cacheClient = kj::mv(client); }
  // True if the master accepted the callback for the current session: it invalidates
  // what this mount caches when other mounts change it (quorum mounts).
  bool invalidates() const { return masterInvalidates; }
  // A file's data ending at or before this may be committed inline (Master.mount
  // inlineMax, at most kMaxInlineBytes); 0: never (also for a master without it).
  uint64_t inlineMax() const { return inlineLimit; }
  // Called when the session is lost: its connection dropped (noticed at once) or a call
  // failed. The master forgets what this mount caches; the next call mounts again.
  void onSessionLost(kj::Function<void()> fn) { sessionLost = kj::mv(fn); }
  // True while a session is established.
  bool connected() const { return session != nullptr; }
  // Where call counts, failures and latencies go (nothing is recorded by default).
  void setStats(RpcStats s) { stats = s; }

private:
  // The current session, or a new one (connecting within `connectTimeout`, else the
  // call deadline).
  kj::Promise<wire::Session::Client> getSession(uint64_t& gen,
                                                kj::Maybe<kj::Duration> connectTimeout = nullptr);
  kj::Promise<void> connect(kj::Duration connectTimeout);
  void reset(uint64_t gen);
  // Background reconnection while keepWanted says so (see keepConnected).
  void startReconnecting();
  // Resolves when a lock call started now has overrun (see callLock).
  kj::Promise<void> lockDeadline();
  kj::Promise<void> reconnectLoop(kj::Duration delay);

  kj::AsyncIoProvider& io;
  kj::Timer& timer;
  kj::String masterAddress;
  kj::String volume;
  kj::String clientName;
  kj::Duration timeout;

  kj::Maybe<wire::Consistency> level;
  kj::Maybe<wire::CacheClient::Client> cacheClient;
  bool masterInvalidates = false;
  uint64_t inlineLimit = 0;
  kj::Maybe<kj::Function<void()>> sessionLost;
  kj::Maybe<kj::Promise<void>> disconnectWatch;  // resets the link when the connection drops
  uint64_t generation = 0;
  uint64_t starts = 0;
  uint64_t root = 0;
  kj::Maybe<kj::Own<RpcConnection>> connection;
  kj::Maybe<wire::Session::Client> session;
  kj::Maybe<kj::ForkedPromise<void>> connecting;
  RpcStats stats;
  // The last session the master gave us: named in the next mount (replacesBoot/Session).
  uint64_t lastBoot = 0;
  uint64_t lastSessionId = 0;
  kj::TimePoint lockGraceEnd;  // the master's lock grace period, as of the last mount
  kj::Maybe<SessionStart> sessionStart;
  kj::Maybe<kj::Function<uint32_t()>> reclaimCount;
  kj::Maybe<kj::Function<bool()>> keepWanted;
  bool reconnectRunning = false;
  kj::Maybe<kj::Promise<void>> reconnecting;
  template <typename T> struct ResultOf;
  template <typename T> struct ResultOf<kj::Promise<T>> { using Type = T; };
  // callSoon's calls not sent yet, in order.
  kj::Vector<kj::Function<kj::Promise<void>(wire::Session::Client&)>> held;
  class LogFailures final : public kj::TaskSet::ErrorHandler {
  public:
    void taskFailed(kj::Exception&& e) override;
  };
  LogFailures logFailures;
  kj::TaskSet heldTasks{logFailures};  // held calls' sends and the timer that sends them
};

}  // namespace dfs
