// ReleaseQueue: batching of Session.release calls.
#include "client/rpc/release_queue.h"

#include <kj/debug.h>

namespace dfs {

kj::Promise<void> ReleaseQueue::release(uint64_t ino) {
  queued.add(ino);
  if (batch == nullptr) {
    auto paf = kj::newPromiseAndFulfiller<void>();
    batch = paf.promise.fork();
    done = kj::mv(paf.fulfiller);
    // The send runs from this TaskSet, never from inside the forked promise it resolves.
    tasks.add(timer.afterDelay(delay).then([this]() { return sendQueued(); }));
  }
  return KJ_ASSERT_NONNULL(batch).addBranch();
}

kj::Promise<void> ReleaseQueue::sendQueued() {
  auto inos = queued.releaseAsArray();
  queued = kj::Vector<uint64_t>();
  // Releases from now on start the next batch; this one's waiters hear from `fulfiller`.
  batch = nullptr;
  auto fulfiller = kj::mv(KJ_ASSERT_NONNULL(done));
  done = nullptr;
  kj::Vector<kj::Promise<void>> calls;
  for (size_t from = 0; from < inos.size(); from += maxBatch) {
    auto part = kj::heapArray<uint64_t>(inos.slice(from, kj::min(inos.size(), from + maxBatch)));
    ++sent;
    calls.add(master
                  .call([part = kj::mv(part)](wire::Session::Client& s) {
                    auto r = s.releaseRequest();
                    r.setIno(part[0]);
                    auto more = r.initMore(part.size() - 1);
                    for (size_t i = 1; i < part.size(); ++i) more.set(i - 1, part[i]);
                    return r.send();
                  })
                  .ignoreResult());
  }
  return kj::joinPromises(calls.releaseAsArray())
      .then([f = fulfiller.get()]() { f->fulfill(); },
            [f = fulfiller.get()](kj::Exception&& e) { f->reject(kj::mv(e)); })
      .attach(kj::mv(fulfiller));
}

void ReleaseQueue::taskFailed(kj::Exception&& e) {
  KJ_LOG(WARNING, "release batch failed", e);
}

}  // namespace dfs
