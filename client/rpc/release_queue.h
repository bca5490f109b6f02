// ReleaseQueue: the mount's Session.release calls, sent in batches. Nothing waits for a
// release (close() has already returned), so each one waits up to `delay` for others and
// they go to the master in one call: untar and cp -a close hundreds of files a second, and
// on a small machine every message costs a wakeup of the master and of the mount.
#pragma once

#include <kj/async.h>
#include <kj/timer.h>
#include <kj/vector.h>
#include "client/rpc/master_link.h"
#include "common/base/limits.h"

namespace dfs {

class ReleaseQueue final : private kj::TaskSet::ErrorHandler {
public:
  // At most `maxBatch` inodes per call; more queued at once go in several calls.
  ReleaseQueue(MasterLink& master, kj::Timer& timer, kj::Duration delay,
               size_t maxBatch = 1024)
      : master(master), timer(timer), delay(delay), maxBatch(kj::min(maxBatch, kMaxReleaseBatch)),
        tasks(*this) {}
  KJ_DISALLOW_COPY(ReleaseQueue);

  // Queues one release of `ino` (one open of it by this mount ended). Resolves when the
  // master has it; fails if the call failed (the master forgets a lost session's opens).
  // Released on a later session than the one current now, it is dropped: the open ended
  // with that session (the mount registers anew only the opens still held).
  kj::Promise<void> release(uint64_t ino);

  uint64_t calls() const { return sent; }  // release calls made so far

private:
  kj::Promise<void> sendQueued();
  void taskFailed(kj::Exception&& e) override;

  MasterLink& master;
  kj::Timer& timer;
  kj::Duration delay;
  size_t maxBatch;
  struct Queued {
    uint64_t ino;
    uint64_t session;  // MasterLink::sessionStarts() when queued
  };
  kj::Vector<Queued> queued;
  kj::Maybe<kj::ForkedPromise<void>> batch;  // the next send, while inodes are queued
  kj::Maybe<kj::Own<kj::PromiseFulfiller<void>>> done;  // resolves `batch`
  uint64_t sent = 0;
  kj::TaskSet tasks;  // the timed sends (declared last: destroyed first)
};

}  // namespace dfs
