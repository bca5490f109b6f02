// LateCopies: replica writes an upload stopped waiting for. Once a block has as many
// copies as the mount's level needs, its upload waits a short grace for the others and
// then goes on (a stalled or slow chunk server must not hold every write up to the RPC
// deadline); the writes still running finish here, in the background, keeping the
// block's bytes alive until their server answers or the deadline passes (the outgoing
// messages reference the bytes). Bounded in bytes: past the bound an upload waits for
// every copy, as before. The commit names only the copies acknowledged in time, and the
// master completes the block from those; a late copy that lands anyway is reported to
// the master (Session.addCopies, batched), which records it (and trims any surplus), so
// that it is neither a second transfer nor deleted as unknown an hour later.
#pragma once

#include <kj/async.h>
#include <kj/timer.h>
#include <kj/vector.h>
#include <cstdint>
#include "client/rpc/master_link.h"
#include "common/base/block_id.h"

namespace dfs {

class LateCopies final : private kj::TaskSet::ErrorHandler {
public:
  struct Counters {
    uint64_t started = 0;   // writes left running by their upload
    uint64_t landed = 0;    // ... that their server acknowledged after all
    uint64_t failed = 0;    // ... that failed or passed the deadline
    uint64_t reported = 0;  // landed copies the master was told of
  };

  LateCopies(MasterLink& master, kj::Timer& timer, uint64_t maxBytes = kDefaultMaxBytes)
      : master(master), timer(timer), maxBytes(maxBytes), tasks(*this) {}
  KJ_DISALLOW_COPY(LateCopies);
  static constexpr uint64_t kDefaultMaxBytes = 64ull << 20;
  // Landed copies are reported at most this late, many in one call.
  static constexpr kj::Duration kReportDelay = 200 * kj::MILLISECONDS;

  // A landed copy of a block not committed yet (its writer commits later) is reported
  // again this often, this many times.
  static constexpr kj::Duration kRetryDelay = 1 * kj::SECONDS;
  static constexpr uint32_t kMaxReportAttempts = 60;

  // Whether a write of `bytes` more may be left running.
  bool canTake(uint64_t bytes) const { return inFlight + bytes <= maxBytes; }
  // Keeps `write` of block `block` running until it ends; it must keep its bytes alive
  // itself, and resolve to the chunk server that acknowledged the copy (0: none). `bytes`
  // count against the bound meanwhile. A copy that lands is reported to the master.
  void add(kj::Promise<uint64_t> write, uint64_t bytes, BlockId block);

  uint64_t bytesInFlight() const { return inFlight; }
  const Counters& counters() const { return count; }

private:
  struct Copy {
    BlockId block;
    uint64_t node;
    uint32_t attempts;  // reports that found the block not committed yet
  };
  void scheduleReport(kj::Duration delay);
  kj::Promise<void> report();
  void taskFailed(kj::Exception&& e) override;
  MasterLink& master;
  kj::Timer& timer;
  uint64_t maxBytes;
  uint64_t inFlight = 0;
  Counters count;
  kj::Vector<Copy> unreported;
  bool reportQueued = false;
  kj::TaskSet tasks;
};

}  // namespace dfs
