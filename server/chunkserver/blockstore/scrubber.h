// Scrubber: re-reads every stored block in the background to find corrupt copies early.
#pragma once

#include "server/chunkserver/blockstore/block_store.h"

#include <kj/async.h>
#include <kj/timer.h>

namespace dfs {

struct ScrubberOptions {
  uint64_t bytesPerSec = 8 << 20;                  // read rate bound; 0 disables the scrubber
  kj::Duration passInterval = 86400 * kj::SECONDS;  // pause after each full pass
};

// Counts since the scrubber was created (exported as metrics).
struct ScrubCounters {
  uint64_t bytes = 0;    // file bytes read and verified
  uint64_t blocks = 0;   // blocks verified (good or corrupt)
  uint64_t passes = 0;   // full passes completed
  uint64_t corrupt = 0;  // corrupt copies found (and quarantined by the store)
};

// A pass lists the store's block ids, then verifies them one per step with
// BlockStore::scrub (every CRC32C chunk; a corrupt copy is quarantined as by a failed read).
// Blocks deleted since the listing are skipped; blocks stored since wait for the next pass.
// run() paces the steps with `timer`: after a block of N bytes it waits N / bytesPerSec, so
// the event loop is never held for more than one block read. `store` and `timer` must
// outlive the scrubber.
class Scrubber {
public:
  Scrubber(BlockStore& store, kj::Timer& timer, ScrubberOptions options);
  KJ_DISALLOW_COPY(Scrubber);

  // Scrubs forever: pass, pause passInterval, pass... starting at once. Never resolves (also
  // when disabled); an I/O error on one block is logged and the pass goes on. Cancel by
  // dropping the promise.
  kj::Promise<void> run();

  // One step without pacing: verifies the next block of the current pass (starting a pass
  // if none is under way) and returns the file bytes read (0 for a block deleted since the
  // listing), or returns nullptr when the pass is complete (no block read). Throws on an
  // I/O error (the block is skipped).
  kj::Maybe<uint64_t> step();

  const ScrubCounters& counters() const { return stats; }

private:
  BlockStore& store;
  kj::Timer& timer;
  ScrubberOptions options;
  ScrubCounters stats;
  kj::Maybe<kj::Array<BlockId>> pass;  // ids of the pass under way
  size_t next = 0;                      // index into *pass

  kj::Promise<void> loop();
};

}  // namespace dfs
