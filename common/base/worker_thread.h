// WorkerThread: a thread running its own KJ event loop, for blocking work (disk files,
// kernel notifications) that must not stall the caller's loop. Work goes in through
// executor().executeAsync(fn), whose promise resolves on the caller's loop.
#pragma once

#include <kj/async.h>
#include <kj/mutex.h>
#include <kj/thread.h>

namespace dfs {

class WorkerThread {
public:
  // Starts the thread; returns once its event loop accepts work.
  WorkerThread();
  // Stops the loop (work not started yet is cancelled) and joins the thread.
  ~WorkerThread() noexcept(false);
  KJ_DISALLOW_COPY(WorkerThread);

  const kj::Executor& executor() const { return *exec; }

private:
  struct Running {
    kj::Own<const kj::Executor> executor;
    kj::Own<kj::PromiseFulfiller<void>> stop;  // used on the worker thread only
  };
  void run();

  kj::MutexGuarded<kj::Maybe<Running>> running;
  const kj::Executor* exec = nullptr;
  kj::Own<kj::Thread> thread;
};

}  // namespace dfs
