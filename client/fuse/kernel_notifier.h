// KernelNotifier: drops entries of the kernel's FUSE caches (attributes, file pages,
// names) when the master says another mount changed them. The fuse_lowlevel_notify_*
// calls run on a worker thread: made from the thread that serves /dev/fuse they can
// deadlock (the kernel may wait for that thread to answer a request).
#pragma once

#define FUSE_USE_VERSION 34
#include <fuse_lowlevel.h>

#include <kj/async.h>
#include <kj/string.h>
#include <kj/vector.h>
#include <atomic>
#include <utility>
#include "common/base/worker_thread.h"

namespace dfs {

struct KernelInvalidation {
  kj::Vector<fuse_ino_t> attrs;  // attributes only
  kj::Vector<fuse_ino_t> data;   // attributes and every cached page
  kj::Vector<std::pair<fuse_ino_t, kj::Array<kj::byte>>> entries;  // (parent, name)
};

class KernelNotifier {
public:
  KernelNotifier() = default;
  KJ_DISALLOW_COPY(KernelNotifier);

  // The session to notify; until set (and after it is reset to null, before the session
  // is destroyed) invalidations are no-ops: the kernel caches nothing of a mount it
  // does not have.
  void attach(struct fuse_session* session);

  // Resolves once the kernel dropped everything listed. Entries the kernel does not
  // hold are fine. Never fails.
  kj::Promise<void> invalidate(KernelInvalidation what);

  uint64_t notifications() const { return sent; }

private:
  std::atomic<struct fuse_session*> session{nullptr};
  std::atomic<uint64_t> sent{0};
  WorkerThread worker;
};

}  // namespace dfs
