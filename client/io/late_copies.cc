// LateCopies: the background tail of replica writes an upload stopped waiting for.
#include "client/io/late_copies.h"

#include <kj/debug.h>
#include "common/base/limits.h"

namespace dfs {

void LateCopies::add(kj::Promise<bool> write, uint64_t bytes, BlockId block, uint64_t node) {
  inFlight += bytes;
  count.started++;
  tasks.add(write.then(
      [this, bytes, block, node](bool ok) {
        inFlight -= bytes;
        if (ok) {
          count.landed++;
          if (node != 0) landed(block, node);
        } else {
          count.failed++;
        }
      },
      [this, bytes](kj::Exception&& e) {
        inFlight -= bytes;
        count.failed++;
        KJ_LOG(WARNING, "a late block copy failed unexpectedly", e);
      }));
}

void LateCopies::landed(BlockId block, uint64_t node) {
  unreported.add(Copy{block, node});
  scheduleReport();
}

void LateCopies::scheduleReport() {
  if (reportQueued) return;
  reportQueued = true;
  tasks.add(timer.afterDelay(kReportDelay).then([this]() { return report(); }));
}

kj::Promise<void> LateCopies::report() {
  reportQueued = false;
  if (unreported.empty()) return kj::READY_NOW;
  size_t n = kj::min(unreported.size(), size_t(kMaxAddCopies));
  auto batch = kj::heapArray<Copy>(unreported.begin(), n);
  kj::Vector<Copy> rest;
  for (size_t i = n; i < unreported.size(); i++) rest.add(unreported[i]);
  unreported = kj::mv(rest);
  if (!unreported.empty()) scheduleReport();  // the rest in the next call
  return master
      .call([batch = kj::mv(batch)](wire::Session::Client& s) {
        auto req = s.addCopiesRequest();
        auto list = req.initCopies(batch.size());
        for (size_t i = 0; i < batch.size(); i++) {
          batch[i].block.toWire(list[i].initBlock());
          list[i].setNode(batch[i].node);
        }
        return req.send().ignoreResult();
      })
      .then([this, n]() { count.reported += n; },
            [](kj::Exception&& e) {
              // The copies stay unrecorded: the servers' next block reports delete them.
              KJ_LOG(WARNING, "could not report late block copies to the master", e);
            });
}

void LateCopies::taskFailed(kj::Exception&& e) {
  KJ_LOG(WARNING, "late block copy bookkeeping failed", e);
}

}  // namespace dfs
