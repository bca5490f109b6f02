// WorkerThread: start (wait for the loop's executor), run, stop and join.
#include "common/base/worker_thread.h"

namespace dfs {

WorkerThread::WorkerThread() {
  thread = kj::heap<kj::Thread>([this]() { run(); });
  exec = running.when([](const kj::Maybe<Running>& r) { return r != nullptr; },
                      [](kj::Maybe<Running>& r) -> const kj::Executor* {
                        return KJ_ASSERT_NONNULL(r).executor.get();
                      });
}

WorkerThread::~WorkerThread() noexcept(false) {
  exec->executeSync([this]() { KJ_ASSERT_NONNULL(*running.lockExclusive()).stop->fulfill(); });
  thread = nullptr;  // joins
}

void WorkerThread::run() {
  kj::EventLoop loop;
  kj::WaitScope waitScope(loop);
  auto paf = kj::newPromiseAndFulfiller<void>();
  *running.lockExclusive() = Running{kj::getCurrentThreadExecutor().addRef(), kj::mv(paf.fulfiller)};
  paf.promise.wait(waitScope);
  KJ_ASSERT_NONNULL(*running.lockExclusive()).stop = nullptr;
}

}  // namespace dfs
