// InodePool: inode numbers the master reserved for this mount's session
// (Session.reserveInodes), for creations that do not wait for the master (asynchronous
// creates in a leased directory, see client/cache/leased_dirs.h). Refilled in the
// background once less than half a batch is left; emptied when the session changes (the
// numbers were that session's).
#pragma once

#include <kj/async.h>
#include <kj/vector.h>
#include <cstdint>
#include "client/rpc/master_link.h"

namespace dfs {

class InodePool final : private kj::TaskSet::ErrorHandler {
public:
  explicit InodePool(MasterLink& master, uint32_t batch = kBatch)
      : master(master), batch(batch), tasks(*this) {}
  KJ_DISALLOW_COPY(InodePool);

  // A number for a new inode; null when none is left (the caller creates through the
  // master; a refill is on its way).
  kj::Maybe<uint64_t> take();
  // Starts a refill if less than half a batch is left (before the first take is needed).
  void prepare();

  static constexpr uint32_t kBatch = 1024;

private:
  struct Range {
    uint64_t next;
    uint64_t end;
  };
  size_t left() const;
  void taskFailed(kj::Exception&& e) override;

  MasterLink& master;
  uint32_t batch;
  uint64_t generation = 0;  // the session the ranges are from
  kj::Vector<Range> ranges;
  bool refilling = false;
  kj::TaskSet tasks;
};

}  // namespace dfs
