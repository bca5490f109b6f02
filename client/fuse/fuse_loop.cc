// FuseLoop: non-blocking /dev/fuse reads driven by an FdObserver, with busy polling.
#include "fuse_loop.h"
#include "client/fuse/fuse_wire.h"

#include <kj/debug.h>
#include <fcntl.h>
#include <cstdlib>
#include <cerrno>

namespace dfs {
namespace {

struct FuseReader {
  FuseReader(kj::UnixEventPort& port, struct fuse_session* session, kj::Duration busyPoll,
             const FuseWire* wire)
      : session(session), fd(fuse_session_fd(session)), busyPoll(busyPoll), wire(wire),
        observer(port, fd, kj::UnixEventPort::FdObserver::OBSERVE_READ) {
    int flags = fcntl(fd, F_GETFL);
    KJ_SYSCALL(fcntl(fd, F_SETFL, flags | O_NONBLOCK));
  }
  ~FuseReader() { free(buf.mem); }

  kj::Promise<void> loop() {
    for (;;) {
      int res = fuse_session_receive_buf(session, &buf);
      if (res == -EAGAIN) break;
      if (res == -EINTR) continue;
      if (res <= 0 || fuse_session_exited(session)) return kj::READY_NOW;
      fuse_session_process_buf(session, &buf);
      if (fuse_session_exited(session)) return kj::READY_NOW;
      lastExchange = clock.now();
    }
    if (busyPoll > 0 * kj::NANOSECONDS) {
      kj::TimePoint now = clock.now();
      if (wire != nullptr && wire->answered() != answersSeen) {
        // An answer went out since: its caller is likely to call again at once.
        answersSeen = wire->answered();
        lastExchange = now;
      }
      kj::Duration idle = now - lastExchange;
      bool answering = wire != nullptr && wire->unanswered() > 0;
      if (idle < busyPoll || (answering && idle < busyPoll * kAnswerPollFactor)) {
        return kj::evalLater([this]() { return loop(); });
      }
    }
    return observer.whenBecomesReadable().then([this]() { return loop(); });
  }

  struct fuse_session* session;
  int fd;
  kj::Duration busyPoll;
  const FuseWire* wire;
  uint64_t answersSeen = 0;
  const kj::MonotonicClock& clock = kj::systemPreciseMonotonicClock();
  kj::TimePoint lastExchange = clock.now();
  kj::UnixEventPort::FdObserver observer;
  struct fuse_buf buf = {};
};

}  // namespace

kj::Promise<void> serveFuse(kj::UnixEventPort& port, struct fuse_session* session,
                            kj::Duration busyPoll, const FuseWire* wire) {
  auto reader = kj::heap<FuseReader>(port, session, busyPoll, wire);
  auto done = reader->loop();
  return done.attach(kj::mv(reader));
}

}  // namespace dfs
