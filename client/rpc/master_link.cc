// MasterLink: lazy connect, re-mount after reconnect, reset on disconnect.
#include "master_link.h"

#include <kj/debug.h>
#include "common/base/limits.h"
#include <cstring>

namespace dfs {

constexpr unsigned kDefaultMasterPort = 9400;

MasterLink::MasterLink(kj::AsyncIoProvider& io, kj::Timer& timer, kj::String address,
                       kj::String volume, kj::String clientName, kj::Duration timeout,
                       kj::Maybe<wire::Consistency> consistency)
    : io(io), timer(timer), masterAddress(kj::mv(address)), volume(kj::mv(volume)),
      clientName(kj::mv(clientName)), timeout(timeout), level(consistency),
      lockGraceEnd(timer.now()) {}

kj::Promise<void> MasterLink::connectNow() {
  uint64_t gen;
  return withDeadline(timer, timeout, getSession(gen).ignoreResult(), "connect to master");
}

kj::Promise<wire::Session::Client> MasterLink::getSession(
    uint64_t& gen, kj::Maybe<kj::Duration> connectTimeout) {
  gen = generation;
  KJ_IF_MAYBE(s, session) return *s;
  if (connecting == nullptr) {
    connecting = connect(connectTimeout.orDefault(timeout)).fork();
  }
  auto& forked = KJ_ASSERT_NONNULL(connecting);
  uint64_t attempt = generation;
  // The fork is cleared from a branch (never from inside the forked promise itself), so a
  // failed attempt is retried by the next call.
  return forked.addBranch().then(
      [this, attempt]() -> kj::Promise<wire::Session::Client> {
        if (attempt == generation) connecting = nullptr;
        KJ_IF_MAYBE(s, session) return wire::Session::Client(*s);
        return KJ_EXCEPTION(DISCONNECTED, "master session lost while connecting");
      },
      [this, attempt](kj::Exception&& e) -> kj::Promise<wire::Session::Client> {
        if (attempt == generation) connecting = nullptr;
        return kj::mv(e);
      });
}

kj::Promise<void> MasterLink::connect(kj::Duration connectTimeout) {
  uint64_t gen = generation;
  return connectRpc(io, timer, masterAddress, kDefaultMasterPort, connectTimeout)
      .then([this, gen](kj::Own<RpcConnection> conn) {
        auto master = conn->bootstrap<wire::Master>();
        auto req = master.mountRequest();
        req.setVolume(volume);
        req.setClientName(clientName);
        KJ_IF_MAYBE(l, level) {
          req.setChooseConsistency(true);
          req.setConsistency(*l);
        }
        KJ_IF_MAYBE(c, cacheClient) req.setCacheClient(*c);
        // Our earlier session is dead to us: the master drops its locks now (if it is of
        // its current run), so the reclaims below do not collide with them.
        req.setReplacesBoot(lastBoot);
        req.setReplacesSession(lastSessionId);
        KJ_IF_MAYBE(count, reclaimCount) req.setReclaims((*count)());
        return req.send().then(
            [this, gen, conn = kj::mv(conn)](capnp::Response<wire::Master::MountResults> r) mutable
            -> kj::Promise<void> {
              if (r.getErr() != 0) {
                kj::throwFatalException(KJ_EXCEPTION(FAILED, kj::str("volume '", volume, "': ",
                                                                     strerror(r.getErr()))));
              }
              if (gen != generation) return kj::READY_NOW;  // reset meanwhile
              bool restarted = lastBoot != 0 && r.getBoot() != lastBoot;
              // Named by the next mount if this one is lost, even during the start hook
              // (whatever it reclaimed then goes with it).
              lastBoot = r.getBoot();
              lastSessionId = r.getSessionId();
              lockGraceEnd = timer.now() + r.getLockGraceMs() * kj::MILLISECONDS;
              if (r.getLockGraceMs() > 0) {
                KJ_LOG(WARNING, "the master is in its lock grace period; lock calls wait for it",
                       r.getLockGraceMs());
              }
              auto newSession = r.getSession();
              kj::Promise<void> started = kj::READY_NOW;
              starts++;
              KJ_IF_MAYBE(fn, sessionStart) started = (*fn)(newSession, restarted);
              return started.then([this, gen, conn = kj::mv(conn), r = kj::mv(r),
                                   newSession = kj::mv(newSession)]() mutable {
                if (gen != generation) return;  // reset meanwhile
                root = r.getVolume().getRootIno();
                level = r.getConsistency();
                masterInvalidates = r.getInvalidates();
                inlineLimit = kj::min(r.getInlineMax(), kMaxInlineBytes);
                session = kj::mv(newSession);
                disconnectWatch = conn->onDisconnect()
                                      .then([this, gen]() { return kj::evalLater([this, gen]() {
                                        reset(gen);
                                      }); })
                                      .catch_([](kj::Exception&&) {})
                                      .eagerlyEvaluate(nullptr);
                connection = kj::mv(conn);
                KJ_LOG(INFO, "connected to master", masterAddress, volume);
              });
            });
      });
}

void MasterLink::sendHeld() {
  auto calls = kj::mv(held);
  held = {};
  KJ_IF_MAYBE(s, session) {
    for (auto& call : calls) heldTasks.add(call(*s));
  }
  // Without a session the calls are dropped: their callers see them fail.
}

void MasterLink::LogFailures::taskFailed(kj::Exception&& e) {
  KJ_LOG(WARNING, "held master call failed", e.getDescription());
}

void MasterLink::reset(uint64_t gen) {
  if (gen != generation) return;  // already reset
  generation++;
  held.clear();  // calls for the lost session (its leases): they fail
  KJ_IF_MAYBE(fn, sessionLost) (*fn)();
  session = nullptr;
  connection = nullptr;
  connecting = nullptr;
  KJ_LOG(WARNING, "master connection reset; will reconnect on next call", masterAddress);
  startReconnecting();
}

kj::Promise<void> MasterLink::lockDeadline() {
  return timer.afterDelay(timeout).then([this]() -> kj::Promise<void> {
    // A (re)mount during the call may have told us of a grace period.
    if (lockGraceEnd > timer.now()) return timer.atTime(lockGraceEnd + timeout);
    return kj::READY_NOW;
  });
}

void MasterLink::startReconnecting() {
  if (reconnectRunning) return;
  KJ_IF_MAYBE(wanted, keepWanted) {
    if (!(*wanted)()) return;
  } else {
    return;
  }
  reconnectRunning = true;
  // The first attempt at once (a lost session, not a restart, is usually back at once:
  // the fewer moments without our locks at the master, the better), then every interval.
  reconnecting = reconnectLoop(0 * kj::SECONDS).eagerlyEvaluate([this](kj::Exception&& e) {
    reconnectRunning = false;
    KJ_LOG(ERROR, "background reconnect to the master failed", e);
  });
}

kj::Promise<void> MasterLink::reconnectLoop(kj::Duration delay) {
  return timer.afterDelay(delay).then([this]() -> kj::Promise<void> {
    bool wanted = false;
    KJ_IF_MAYBE(fn, keepWanted) wanted = (*fn)();
    if (session != nullptr || !wanted) {
      reconnectRunning = false;
      return kj::READY_NOW;
    }
    uint64_t gen;
    auto attempt = getSession(gen, kReconnectConnectTimeout).ignoreResult();
    return withDeadline(timer, timeout, kj::mv(attempt), "reconnect to master")
        .then([this]() -> kj::Promise<void> {
                reconnectRunning = false;
                return kj::READY_NOW;
              },
              [this](kj::Exception&& e) -> kj::Promise<void> {
                KJ_LOG(INFO, "background reconnect to the master failed; retrying",
                       e.getDescription());
                return reconnectLoop(kReconnectInterval);
              });
  });
}

}  // namespace dfs
