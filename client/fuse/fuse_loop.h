// FuseLoop: serves /dev/fuse from the KJ event loop. The session fd is non-blocking and
// watched by an FdObserver; each readable event drains requests until EAGAIN.
//
// Busy polling: a program working through a file calls again a few microseconds after its
// last answer (tar: create, write, chown, utimes, chmod, close). Sleeping in epoll in
// between costs this process a wakeup per request, which on small virtual machines is
// most of a request's cost. So for `busyPoll` after the last request or answer the reader
// keeps trying /dev/fuse from the event queue (kj::evalLater) instead of sleeping: the other
// events run in between, and the event port is polled every few turns (the caller sets
// WaitScope::setBusyPollInterval, else RPC replies wait until the window ends). Zero: off.
// While a request still waits for its answer (the mount asked the master or a chunk
// server), the reader polls on for up to kAnswerPollFactor * busyPoll after the last
// request or answer: the RPC's reply then finds this process awake, and the caller gets its answer
// without two wakeups in between (one here, one for the caller).
#pragma once

#define FUSE_USE_VERSION 34
#include <fuse_lowlevel.h>
#include <kj/async-unix.h>
#include <kj/time.h>

namespace dfs {

class FuseWire;

// Resolves when the session ends (unmounted, aborted or fuse_session_exit()). `wire`, if
// given, tells how many requests still wait for an answer.
kj::Promise<void> serveFuse(kj::UnixEventPort& port, struct fuse_session* session,
                            kj::Duration busyPoll = 0 * kj::NANOSECONDS,
                            const FuseWire* wire = nullptr);

// The event-port poll interval (in event-loop turns) that busy polling needs: how many
// events may run before a reply that arrived on a socket is noticed.
constexpr uint kBusyPollTurns = 8;

// How much longer than busyPoll the reader polls while an answer is pending.
constexpr int64_t kAnswerPollFactor = 10;

}  // namespace dfs
