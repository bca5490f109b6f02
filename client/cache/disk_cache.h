// DiskCache: the mount's on-disk segment cache (-o cache_dir). File I/O runs on one worker
// thread (SegmentFiles there, reached through kj::Executor), so the event loop never waits
// for the disk; the loop keeps a copy of the key set and answers most misses at once.
#pragma once

#include <kj/async.h>
#include <kj/mutex.h>
#include <atomic>
#include <unordered_set>
#include "client/cache/block_cache.h"
#include "client/cache/segment_files.h"
#include "common/base/worker_thread.h"

namespace dfs {

class DiskCache {
public:
  // Starts the worker, which opens (creates, scans) `dir` holding at most `capacityBytes`.
  // If the directory is unusable, logs one warning and behaves as an empty cache.
  DiskCache(kj::StringPtr dir, uint64_t capacityBytes);
  // Cancels queued stores and stops the worker (joins it).
  ~DiskCache() noexcept(false);
  KJ_DISALLOW_COPY(DiskCache);

  // The segment from disk; null on a miss (absent, corrupt, unreadable, disabled).
  // Never fails.
  kj::Promise<kj::Maybe<kj::Own<SharedBytes>>> load(const SegmentKey& key);

  // Queues a background write of the segment (the bytes are referenced, not copied).
  // Dropped when kMaxQueuedStores writes are queued already or storing is disabled. The
  // first failed write (full disk, unwritable directory) disables storing with one warning.
  void store(const SegmentKey& key, kj::Own<SharedBytes> bytes);

  // Resolves when the open scan and every queued store are done.
  kj::Promise<void> idle();

  struct Stats {
    uint64_t hits = 0, misses = 0;
    uint64_t bytesRead = 0, bytesWritten = 0;
    uint64_t evictions = 0, errors = 0;  // errors: corrupt files, failed writes, bad dir
    uint64_t usedBytes = 0;
  };
  Stats stats() const;

  static constexpr size_t kMaxQueuedStores = 256;

private:
  // Worker thread: after an operation, publishes its figures and the dropped keys.
  kj::Array<SegmentKey> publish();
  void writeFailed();
  void forgetDropped(kj::Array<SegmentKey> keys);

  kj::String dir;
  uint64_t capacity;
  kj::Maybe<kj::Own<SegmentFiles>> files;  // worker thread only
  WorkerThread worker;
  const kj::Executor* executor = &worker.executor();

  // Event-loop side.
  std::unordered_set<SegmentKey, SegmentKeyHash> known;  // keys believed on disk
  size_t queuedStores = 0;
  bool storing = true;
  bool warned = false;
  uint64_t hitCount = 0, missCount = 0, bytesReadCount = 0, bytesWrittenCount = 0;
  uint64_t writeErrors = 0;
  std::atomic<uint64_t> evictionCount{0}, corruptCount{0}, usedCount{0}, openErrors{0};

  class ErrorHandler final : public kj::TaskSet::ErrorHandler {
    void taskFailed(kj::Exception&& e) override;
  } errorHandler;
  kj::Maybe<kj::ForkedPromise<void>> opened;
  kj::Own<kj::TaskSet> stores;
};

}  // namespace dfs
