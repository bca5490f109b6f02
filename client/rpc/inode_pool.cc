// InodePool: reserved inode numbers, taken in increasing order, refilled in the background.
#include "client/rpc/inode_pool.h"

#include <kj/debug.h>

namespace dfs {

kj::Maybe<uint64_t> InodePool::take() {
  prepare();
  while (!ranges.empty()) {
    auto& r = ranges[0];
    if (r.next < r.end) {
      uint64_t ino = r.next++;
      prepare();
      return ino;
    }
    // The first range is used up: the next one (ranges are few).
    kj::Vector<Range> rest;
    for (size_t i = 1; i < ranges.size(); ++i) rest.add(ranges[i]);
    ranges = kj::mv(rest);
  }
  return nullptr;
}

void InodePool::prepare() {
  if (master.sessionGeneration() != generation) {
    generation = master.sessionGeneration();
    ranges.clear();
  }
  if (refilling || left() >= batch / 2 || !master.connected()) return;
  refilling = true;
  uint64_t gen = generation;
  uint32_t count = batch;
  tasks.add(master
                .call([count](wire::Session::Client& s) {
                  auto r = s.reserveInodesRequest();
                  r.setCount(count);
                  return r.send();
                })
                .then(
                    [this, gen](capnp::Response<wire::Session::ReserveInodesResults> r) {
                      refilling = false;
                      // Numbers of a session that is gone are no use.
                      if (gen != master.sessionGeneration() || r.getCount() == 0) return;
                      ranges.add(Range{r.getFirst(), r.getFirst() + r.getCount()});
                    },
                    [this](kj::Exception&& e) {
                      refilling = false;
                      KJ_LOG(WARNING, "could not reserve inode numbers", e.getDescription());
                    }));
}

size_t InodePool::left() const {
  size_t n = 0;
  for (auto& r : ranges) n += r.end - r.next;
  return n;
}

void InodePool::taskFailed(kj::Exception&& e) {
  KJ_LOG(WARNING, "inode reservation task failed", e);
}

}  // namespace dfs
