// KernelNotifier: the notify calls, made on the worker thread.
#include "client/fuse/kernel_notifier.h"

#include <kj/debug.h>

namespace dfs {

void KernelNotifier::attach(struct fuse_session* s) {
  session = s;
  // A batch the worker is running may still use the old session: wait for it.
  if (s == nullptr) worker.executor().executeSync([]() {});
}

kj::Promise<void> KernelNotifier::invalidate(KernelInvalidation what) {
  if (session.load() == nullptr) return kj::READY_NOW;
  return worker.executor()
      .executeAsync([this, what = kj::mv(what)]() {
        struct fuse_session* se = session.load();
        if (se == nullptr) return;
        // Errors (ENOENT: the kernel does not know it) mean there is nothing to drop.
        for (auto ino : what.attrs) {
          fuse_lowlevel_notify_inval_inode(se, ino, -1, 0);
          sent++;
        }
        for (auto ino : what.data) {
          fuse_lowlevel_notify_inval_inode(se, ino, 0, 0);
          sent++;
        }
        for (auto& e : what.entries) {
          // libfuse sends the name with its terminating NUL: a string, not the bytes.
          auto name = kj::heapString(reinterpret_cast<const char*>(e.second.begin()),
                                     e.second.size());
          fuse_lowlevel_notify_inval_entry(se, e.first, name.cStr(), name.size());
          sent++;
        }
      })
      .catch_([](kj::Exception&& e) { KJ_LOG(WARNING, "kernel invalidation failed", e); });
}

}  // namespace dfs
