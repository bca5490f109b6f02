// dfs-mount: mounts a dfs volume with FUSE. Unless -f, it forks first; the child checks
// the master, mounts, and tells the parent the outcome through a pipe, so the command's
// exit status says whether the mount is ready. The child then serves FUSE requests and
// RPCs on one KJ event loop until unmounted or signalled (SIGTERM/SIGINT/SIGHUP).
#include <kj/async-io.h>
#include <kj/async-unix.h>
#include <kj/debug.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <cerrno>
#include "client/fs/filesystem.h"
#include "client/fuse/fuse_loop.h"
#include "client/mount/options.h"
#include "common/base/heap_tuning.h"
#include "common/base/port_file.h"
#include "common/metrics/http_endpoint.h"

namespace {

kj::String clientName() {
  char host[256] = {0};
  gethostname(host, sizeof(host) - 1);
  return kj::str(host, ":", getpid());
}

kj::String fuseOptionString(const dfs::MountOptions& options) {
  kj::Vector<kj::String> all;
  all.add(kj::str("fsname=dfs:", options.masterAddress, "/", options.volume));
  all.add(kj::str("subtype=dfs"));
  all.add(kj::str("default_permissions"));
  if (getuid() == 0) all.add(kj::str("allow_other"));
  for (auto& o : options.fuseOptions) all.add(kj::str(o));
  return kj::strArray(all, ",");
}

// Tells the waiting parent how the mount went ("" = success) and closes the pipe.
void report(int& fd, kj::StringPtr error) {
  if (fd < 0) {
    if (error.size() > 0) fprintf(stderr, "dfs-mount: %s\n", error.cStr());
    return;
  }
  if (error.size() > 0) {
    ssize_t n = ::write(fd, error.begin(), error.size());
    (void)n;
  } else {
    ssize_t n = ::write(fd, "", 1);  // a single NUL byte means success
    (void)n;
  }
  close(fd);
  fd = -1;
}

// The daemon leaves the terminal: stdin, and stdout/stderr unless they are regular files
// (`dfs-mount ... 2>>mount.log`: its log, errors of asynchronous operations among them, keep
// going there), become /dev/null.
void detachStdio() {
  int null = open("/dev/null", O_RDWR);
  if (null < 0) return;
  dup2(null, 0);
  for (int fd : {1, 2}) {
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) dup2(null, fd);
  }
  if (null > 2) close(null);
}

int runMount(const dfs::MountOptions& options, int notifyFd) {
  auto io = kj::setupAsyncIo();
  auto& waitScope = io.waitScope;
  dfs::MetricsRegistry registry;  // before fs: its series outlive every RPC of fs
  dfs::Filesystem fs(*io.provider, io.provider->getTimer(), options, clientName());
  if (options.metricsListen.size() > 0) fs.exportMetrics(registry);

  kj::Maybe<kj::String> error;
  fs.masterLink()
      .connectNow()
      .catch_([&error](kj::Exception&& e) { error = kj::str(e.getDescription()); })
      .wait(waitScope);
  KJ_IF_MAYBE(e, error) {
    report(notifyFd, kj::str("cannot use master ", options.masterAddress, " volume '",
                             options.volume, "': ", *e));
    return 1;
  }
  fs.applyConsistency(options);

  auto optString = fuseOptionString(options);
  kj::Vector<const char*> fuseArgv;
  fuseArgv.add("dfs-mount");
  fuseArgv.add("-o");
  fuseArgv.add(optString.cStr());
  if (options.debug) fuseArgv.add("-d");
  struct fuse_args args = FUSE_ARGS_INIT(int(fuseArgv.size()), const_cast<char**>(fuseArgv.begin()));
  struct fuse_session* session =
      fuse_session_new(&args, &dfs::lowlevelOps(), sizeof(struct fuse_lowlevel_ops), &fs);
  if (session == nullptr) {
    report(notifyFd, kj::str("bad FUSE options: ", optString));
    return 1;
  }
  if (fuse_session_mount(session, options.mountpoint.cStr()) != 0) {
    fuse_session_destroy(session);
    report(notifyFd, kj::str("cannot mount on ", options.mountpoint));
    return 1;
  }
  // Requests and replies pass through the Filesystem's FuseWire (protocol additions).
  if (fuse_session_custom_io(session, &dfs::lowlevelIo(), fuse_session_fd(session)) != 0) {
    fuse_session_unmount(session);
    fuse_session_destroy(session);
    report(notifyFd, kj::str("cannot set up /dev/fuse io for ", options.mountpoint));
    return 1;
  }
  fs.attachKernel(session);
  bool daemon = notifyFd >= 0;
  report(notifyFd, "");
  if (daemon) detachStdio();

  auto& port = io.unixEventPort;
  auto signalled = port.onSignal(SIGTERM).ignoreResult()
                       .exclusiveJoin(port.onSignal(SIGINT).ignoreResult())
                       .exclusiveJoin(port.onSignal(SIGHUP).ignoreResult());
  kj::Promise<void> metricsServing = kj::NEVER_DONE;
  if (options.metricsListen.size() > 0) {
    metricsServing =
        dfs::serveMetrics(
            io.provider->getNetwork(), io.provider->getTimer(), options.metricsListen, registry,
            []() { return true; },
            [&options](unsigned metricsPort) {
              if (options.metricsPortFile.size() > 0) {
                dfs::writePortFile(options.metricsPortFile, metricsPort);
              }
            })
            .catch_([&options](kj::Exception&& e) {
              // The mount keeps working without its metrics endpoint.
              KJ_LOG(ERROR, "metrics endpoint failed", options.metricsListen, e.getDescription());
              return kj::Promise<void>(kj::NEVER_DONE);
            });
  }
  if (options.busyPoll > 0 * kj::NANOSECONDS) waitScope.setBusyPollInterval(dfs::kBusyPollTurns);
  dfs::serveFuse(port, session, options.busyPoll, &fs.kernelWire())
      .exclusiveJoin(kj::mv(signalled))
      .exclusiveJoin(kj::mv(metricsServing))
      .wait(waitScope);

  // Save what open files still hold, within a bounded time, then unmount.
  auto& timer = io.provider->getTimer();
  timer.afterDelay(fs.masterLink().deadline() * 2)
      .exclusiveJoin(fs.drain())
      .wait(waitScope);
  fs.attachKernel(nullptr);
  fuse_session_unmount(session);
  fuse_session_destroy(session);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  dfs::keepBlockBuffersInHeap();
  dfs::MountOptions options;
  KJ_IF_MAYBE(err, dfs::parseMountOptions(argc, argv, options)) {
    fprintf(stderr, "dfs-mount: %s\n%s", err->cStr(), dfs::mountUsage().cStr());
    return 2;
  }
  if (access(options.mountpoint.cStr(), F_OK) != 0) {
    fprintf(stderr, "dfs-mount: mount point %s: %s\n", options.mountpoint.cStr(), strerror(errno));
    return 2;
  }
  if (!options.debug) kj::_::Debug::setLogLevel(kj::LogSeverity::WARNING);

  kj::UnixEventPort::captureSignal(SIGTERM);
  kj::UnixEventPort::captureSignal(SIGINT);
  kj::UnixEventPort::captureSignal(SIGHUP);

  if (options.foreground) return runMount(options, -1);

  int fds[2];
  if (pipe(fds) != 0) {
    perror("dfs-mount: pipe");
    return 1;
  }
  pid_t pid = fork();
  if (pid < 0) {
    perror("dfs-mount: fork");
    return 1;
  }
  if (pid == 0) {
    close(fds[0]);
    setsid();
    int rc = runMount(options, fds[1]);
    _exit(rc);
  }
  close(fds[1]);
  char buf[4096];
  size_t got = 0;
  for (;;) {
    ssize_t n = read(fds[0], buf + got, sizeof(buf) - 1 - got);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    got += n;
    if (got >= sizeof(buf) - 1) break;
  }
  close(fds[0]);
  if (got == 1 && buf[0] == '\0') return 0;
  buf[got] = '\0';
  if (got == 0) {
    int status = 0;
    waitpid(pid, &status, 0);
    fprintf(stderr, "dfs-mount: the mount process exited before mounting\n");
    return 1;
  }
  waitpid(pid, nullptr, 0);
  fprintf(stderr, "dfs-mount: %s\n", buf);
  return 1;
}
