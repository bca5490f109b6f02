// ReleaseQueue: batching of Session.release calls.
#include "client/rpc/release_queue.h"

#include <kj/debug.h>

namespace dfs {

kj::Promise<void> ReleaseQueue::release(uint64_t ino) {
  queued.add(Queued{ino, master.sessionStarts()});
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
  auto entries = queued.releaseAsArray();
  queued = kj::Vector<Queued>();
  // Releases from now on start the next batch; this one's waiters hear from `fulfiller`.
  batch = nullptr;
  auto fulfiller = kj::mv(KJ_ASSERT_NONNULL(done));
  done = nullptr;
  kj::Vector<kj::Promise<void>> calls;
  for (size_t from = 0; from < entries.size(); from += maxBatch) {
    auto part = kj::heapArray<Queued>(entries.slice(from, kj::min(entries.size(), from + maxBatch)));
    calls.add(master
                  .call([this, part = kj::mv(part)](wire::Session::Client& s)
                            -> kj::Promise<void> {
                    // Only those of the session the call goes to (see release()).
                    kj::Vector<uint64_t> inos;
                    for (auto& q : part) {
                      if (q.session == master.sessionStarts()) inos.add(q.ino);
                    }
                    if (inos.size() == 0) return kj::READY_NOW;
                    ++sent;
                    auto r = s.releaseRequest();
                    r.setIno(inos[0]);
                    auto more = r.initMore(inos.size() - 1);
                    for (size_t i = 1; i < inos.size(); ++i) more.set(i - 1, inos[i]);
                    return r.send().ignoreResult();
                  }));
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
