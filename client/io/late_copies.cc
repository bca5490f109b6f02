// LateCopies: the background tail of replica writes an upload stopped waiting for.
#include "client/io/late_copies.h"

#include <kj/debug.h>
#include "common/base/limits.h"

namespace dfs {

void LateCopies::add(kj::Promise<uint64_t> write, uint64_t bytes, BlockId block) {
  inFlight += bytes;
  count.started++;
  tasks.add(write.then(
      [this, bytes, block](uint64_t node) {
        inFlight -= bytes;
        if (node != 0) {
          count.landed++;
          unreported.add(Copy{block, node, 0});
          scheduleReport(kReportDelay);
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

void LateCopies::scheduleReport(kj::Duration delay) {
  if (reportQueued) return;
  reportQueued = true;
  tasks.add(timer.afterDelay(delay).then([this]() { return report(); }));
}

kj::Promise<void> LateCopies::report() {
  reportQueued = false;
  if (unreported.empty()) return kj::READY_NOW;
  size_t n = kj::min(unreported.size(), size_t(kMaxAddCopies));
  auto batch = kj::heapArray<Copy>(unreported.begin(), n);
  kj::Vector<Copy> rest;
  for (size_t i = n; i < unreported.size(); i++) rest.add(unreported[i]);
  unreported = kj::mv(rest);
  if (!unreported.empty()) scheduleReport(kReportDelay);  // the rest in the next call
  // (The call may run later, once connected: it gets its own copy of the batch.)
  auto sent = master.call([copies = kj::heapArray<Copy>(batch.asPtr())](
                              wire::Session::Client& s) {
    auto req = s.addCopiesRequest();
    auto list = req.initCopies(copies.size());
    for (size_t i = 0; i < copies.size(); i++) {
      copies[i].block.toWire(list[i].initBlock());
      list[i].setNode(copies[i].node);
    }
    return req.send();
  });
  return sent.then(
      [this, batch = kj::mv(batch)](capnp::Response<wire::Session::AddCopiesResults> r) mutable {
        auto unknown = r.getUnknown();
        count.reported += batch.size() - unknown.size();
        bool retry = false;
        for (auto k : unknown) {
          if (k >= batch.size()) continue;
          // Not committed yet: its writer commits later (at close, or every few blocks).
          Copy copy = batch[k];
          if (++copy.attempts >= kMaxReportAttempts) continue;  // its block report tells
          unreported.add(copy);
          retry = true;
        }
        if (retry) scheduleReport(kRetryDelay);
      },
      [](kj::Exception&& e) {
        // The copies stay unrecorded: the servers' next block reports delete them.
        KJ_LOG(WARNING, "could not report late block copies to the master", e);
      });
}

void LateCopies::taskFailed(kj::Exception&& e) {
  KJ_LOG(WARNING, "late block copy bookkeeping failed", e);
}

}  // namespace dfs
