// FuseLoop: serves /dev/fuse from the KJ event loop. The session fd is non-blocking and
// watched by an FdObserver; each readable event drains requests until EAGAIN.
#pragma once

#define FUSE_USE_VERSION 34
#include <fuse_lowlevel.h>
#include <kj/async-unix.h>

namespace dfs {

// Resolves when the session ends (unmounted, aborted or fuse_session_exit()).
kj::Promise<void> serveFuse(kj::UnixEventPort& port, struct fuse_session* session);

}  // namespace dfs
