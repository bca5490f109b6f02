// BlockSyncer: the writer thread, the grouped sync passes and the waiters on them.
#include "server/chunkserver/service/block_syncer.h"

#include <kj/debug.h>

namespace dfs {
namespace {

kj::Array<BlockStore::PendingItem> copyItems(kj::ArrayPtr<const BlockStore::PendingItem> items) {
  return KJ_MAP(item, items) { return BlockStore::PendingItem{item.id, kj::heapString(item.tmpPath)}; };
}

}  // namespace

void BlockSyncer::ErrorHandler::taskFailed(kj::Exception&& e) {
  KJ_LOG(ERROR, "block sync task failed", e);
}

BlockSyncer::BlockSyncer(BlockStore& store, kj::Timer& timer, BlockSyncerOptions options)
    : blocks(store), timer(timer), options(options), tasks(errorHandler) {}

BlockSyncer::~BlockSyncer() noexcept(false) {
  for (auto& w : waiters) {
    w.fulfiller->reject(KJ_EXCEPTION(DISCONNECTED, "chunk server shutting down"));
  }
}

kj::Promise<void> BlockSyncer::store(BlockId id, BlockFileBuffer file, bool durable) {
  KJ_IF_MAYBE(size, blocks.stat(id)) {
    KJ_REQUIRE(*size == file.blockSize(), "block exists with a different size", id.hex(), *size,
               file.blockSize());
    return durable ? syncAll() : kj::READY_NOW;
  }
  auto path = blocks.tempPathFor(id);
  uint64_t size = file.blockSize();
  Disk& disk = blocks.getDisk();
  bool inline_ = size <= options.inlineWriteMax;
  bool direct = !inline_ && options.directWrites;
  auto writeFile = [&disk, path = kj::heapString(path), file = kj::mv(file), direct]() mutable {
    file.sealHeader();
    // Large blocks skip the page cache (the kernel's copy of every byte was most of the
    // server's CPU time); a small one would wait for the device on the loop.
    if (direct) {
      disk.writeFileDirect(path, file.paddedBytes(), file.bytes().size());
    } else {
      disk.writeFile(path, file.bytes());
    }
  };
  kj::Promise<void> work = nullptr;
  if (inline_) {
    KJ_IF_MAYBE(e, kj::runCatchingExceptions(kj::mv(writeFile))) {
      work = kj::mv(*e);
    } else {
      work = kj::READY_NOW;
    }
  } else {
    work = writer.executor().executeAsync(kj::mv(writeFile));
  }
  // (Each lambda gets its own copy: the order in which then()'s arguments are built is
  // unspecified.)
  auto failedPath = kj::heapString(path);
  return work
      .then(
          [this, id, size, path = kj::mv(path), durable]() mutable -> kj::Promise<void> {
            if (!blocks.addPending(id, size, path)) return durable ? syncAll() : kj::READY_NOW;
            queue.add(BlockStore::PendingItem{id, kj::mv(path)});
            queuedBytes += size;
            if (durable || options.interval == 0 * kj::MILLISECONDS) return syncAll();
            if (queuedBytes >= options.maxPendingBytes) startPass();
            return kj::READY_NOW;
          },
          [this, failedPath = kj::mv(failedPath)](kj::Exception&& e) -> kj::Promise<void> {
            blocks.noteWriteFailure(failedPath);
            return kj::mv(e);
          });
}

kj::Promise<void> BlockSyncer::syncAll() {
  if (queue.empty() && !syncing) return kj::READY_NOW;
  auto paf = kj::newPromiseAndFulfiller<void>();
  waiters.add(Waiter{queue.empty() ? passesStarted : passesStarted + 1, stats.failures,
                     kj::mv(paf.fulfiller)});
  startPass();
  return kj::mv(paf.promise);
}

kj::Promise<void> BlockSyncer::run() {
  return timer.afterDelay(kj::max(options.interval, 1 * kj::MILLISECONDS)).then([this]() {
    startPass();
    return run();
  });
}

void BlockSyncer::startPass() {
  if (syncing || queue.empty()) return;
  syncing = true;
  passesStarted++;
  inPass = queue.releaseAsArray();
  queuedBytes = 0;
  kj::TimePoint start = timer.now();
  Disk& disk = blocks.getDisk();
  tasks.add(syncer.executor()
                .executeAsync([&disk, dir = kj::heapString(blocks.dataDir()),
                               items = copyItems(inPass)]() mutable {
                  return BlockStore::makeDurable(disk, dir, items);
                })
                .then(
                    [this, start](kj::Array<bool> ok) { finishPass(ok, start); },
                    [this, start](kj::Exception&& e) {
                      KJ_LOG(ERROR, "block sync pass failed", e);
                      auto ok = kj::heapArray<bool>(inPass.size());
                      for (auto& b : ok) b = false;
                      finishPass(ok, start);
                    }));
}

void BlockSyncer::finishPass(kj::ArrayPtr<const bool> ok, kj::TimePoint start) {
  for (size_t i = 0; i < inPass.size(); i++) {
    blocks.settle(inPass[i], ok[i]);
    if (ok[i]) {
      stats.blocksSynced++;
    } else {
      stats.failures++;
    }
  }
  inPass = nullptr;
  syncing = false;
  stats.passes++;
  stats.syncNs += (timer.now() - start) / kj::NANOSECONDS;
  uint64_t done = passesStarted;
  kj::Vector<Waiter> rest;
  for (auto& w : waiters) {
    if (w.pass > done) {
      rest.add(kj::mv(w));
    } else if (stats.failures > w.failuresSeen) {
      w.fulfiller->reject(KJ_EXCEPTION(FAILED, "a block could not be made durable (disk error)"));
    } else {
      w.fulfiller->fulfill();
    }
  }
  waiters = kj::mv(rest);
  if (!waiters.empty() || queuedBytes >= options.maxPendingBytes) startPass();
}

}  // namespace dfs
