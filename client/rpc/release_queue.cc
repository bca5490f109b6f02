// ReleaseQueue: batching of Session.release calls.
#include "client/rpc/release_queue.h"

namespace dfs {

kj::Promise<void> ReleaseQueue::release(uint64_t ino) {
  queued.add(ino);
  if (batch == nullptr) {
    batch = timer.afterDelay(delay).then([this]() { return sendQueued(); }).fork();
  }
  return KJ_ASSERT_NONNULL(batch).addBranch();
}

kj::Promise<void> ReleaseQueue::sendQueued() {
  auto inos = queued.releaseAsArray();
  queued = kj::Vector<uint64_t>();
  batch = nullptr;  // releases from now on start the next batch
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
  return kj::joinPromises(calls.releaseAsArray());
}

}  // namespace dfs
