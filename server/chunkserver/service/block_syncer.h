// BlockSyncer: writes blocks on a worker thread and makes them durable in groups, so the
// event loop never waits for the disk and one fsync pass covers many blocks.
#pragma once

#include "common/base/worker_thread.h"
#include "server/chunkserver/blockstore/block_store.h"

#include <kj/async.h>
#include <kj/timer.h>
#include <kj/vector.h>

namespace dfs {

struct BlockSyncerOptions {
  // Blocks not asked to be durable are synced within this time (0: every block is durable
  // before store() resolves, as if asked).
  kj::Duration interval = 100 * kj::MILLISECONDS;
  // A sync pass starts early once this many block bytes wait for one.
  uint64_t maxPendingBytes = 64ull << 20;
  // Blocks up to this size are written on the caller's loop: a small write into the page
  // cache costs less than the two thread hand-offs.
  uint64_t inlineWriteMax = 64ull << 10;
  // Larger blocks are written with O_DIRECT (no copy into the page cache).
  bool directWrites = true;
};

// What the syncer did since start (exported as metrics).
struct BlockSyncerCounters {
  uint64_t passes = 0;        // sync passes completed
  uint64_t blocksSynced = 0;  // blocks made durable
  uint64_t failures = 0;      // blocks that could not be made durable (dropped)
  uint64_t syncNs = 0;        // time spent in sync passes
};

// Drives BlockStore's four storing steps (block_store.h, "Storing in steps"): the file is
// written by a writer thread, indexed on the caller's loop (readable at once), and synced,
// renamed and its directory fsynced by a sync thread, one pass for every block waiting.
// Must be used from the loop that owns `store`; `store` and `timer` must outlive it.
class BlockSyncer {
public:
  BlockSyncer(BlockStore& store, kj::Timer& timer, BlockSyncerOptions options = {});
  ~BlockSyncer() noexcept(false);
  KJ_DISALLOW_COPY(BlockSyncer);

  // Stores `file` (data filled in; the header is sealed here) as block `id`. Resolves when
  // the block is readable; with `durable` (or a zero interval) only once it is durable.
  // An existing block of the same size is kept (no-op); of another size: FAILED. Write
  // errors reject (and count as a disk error).
  kj::Promise<void> store(BlockId id, BlockFileBuffer file, bool durable);

  // Resolves once every block stored before the call is durable; rejects if one of them
  // could not be made durable (its copy is dropped).
  kj::Promise<void> syncAll();

  // Runs the interval timer; never resolves.
  kj::Promise<void> run();

  const BlockSyncerCounters& counters() const { return stats; }

private:
  struct Waiter {
    uint64_t pass;           // resolved once this pass is done
    uint64_t failuresSeen;   // stats.failures at the call: more by then = rejected
    kj::Own<kj::PromiseFulfiller<void>> fulfiller;
  };

  BlockStore& blocks;
  kj::Timer& timer;
  BlockSyncerOptions options;
  WorkerThread writer;
  WorkerThread syncer;
  kj::Vector<BlockStore::PendingItem> queue;  // indexed, not in a pass yet
  uint64_t queuedBytes = 0;
  kj::Array<BlockStore::PendingItem> inPass;  // the running pass's blocks
  bool syncing = false;
  uint64_t passesStarted = 0;
  kj::Vector<Waiter> waiters;
  BlockSyncerCounters stats;
  struct ErrorHandler final : public kj::TaskSet::ErrorHandler {
    void taskFailed(kj::Exception&& e) override;
  } errorHandler;
  kj::TaskSet tasks;

  void startPass();
  void finishPass(kj::ArrayPtr<const bool> ok, kj::TimePoint start);
};

}  // namespace dfs
