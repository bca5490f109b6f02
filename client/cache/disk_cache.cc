// DiskCache: the worker thread, cross-thread loads and stores, the loop-side key set.
#include "disk_cache.h"

#include <kj/debug.h>

namespace dfs {

void DiskCache::ErrorHandler::taskFailed(kj::Exception&& e) {
  KJ_LOG(WARNING, "disk cache task failed", e.getDescription());
}

DiskCache::DiskCache(kj::StringPtr dirPath, uint64_t capacityBytes)
    : dir(kj::str(dirPath)), capacity(capacityBytes) {
  stores = kj::heap<kj::TaskSet>(errorHandler);
  struct Opened {
    kj::Maybe<kj::Exception> error;
    kj::Array<SegmentKey> keys;
  };
  opened = executor
               ->executeAsync([this]() {
                 Opened out;
                 out.error = kj::runCatchingExceptions([&]() {
                   files = kj::heap<SegmentFiles>(dir, capacity);
                 });
                 KJ_IF_MAYBE(f, files) out.keys = (*f)->keys();
                 publish();
                 return out;
               })
               .then([this](Opened r) {
                 KJ_IF_MAYBE(e, r.error) {
                   KJ_LOG(WARNING, "cache_dir unusable; running without a disk cache", dir,
                          e->getDescription());
                   warned = true;
                   storing = false;
                   openErrors++;
                 }
                 for (auto& k : r.keys) known.insert(k);
               })
               .fork();
}

DiskCache::~DiskCache() noexcept(false) {
  stores = nullptr;  // cancels queued stores (waits for one that is being written)
  opened = nullptr;
  executor->executeSync([this]() { files = nullptr; });  // closed on the worker thread
}

kj::Array<SegmentKey> DiskCache::publish() {
  KJ_IF_MAYBE(f, files) {
    usedCount = (*f)->usedBytes();
    evictionCount = (*f)->evictions();
    corruptCount = (*f)->corruptions();
    return (*f)->takeDropped();
  }
  return nullptr;
}

void DiskCache::forgetDropped(kj::Array<SegmentKey> keys) {
  for (auto& k : keys) known.erase(k);
}

void DiskCache::writeFailed() {
  writeErrors++;
  storing = false;
  if (!warned) {
    warned = true;
    KJ_LOG(WARNING, "cannot write to cache_dir (full or not writable); disk cache stores off",
           dir);
  }
}

kj::Promise<kj::Maybe<kj::Own<SharedBytes>>> DiskCache::load(const SegmentKey& key) {
  if (known.count(key) == 0) {
    missCount++;
    return kj::Maybe<kj::Own<SharedBytes>>(nullptr);
  }
  struct Loaded {
    kj::Maybe<kj::Array<kj::byte>> data;
    kj::Array<SegmentKey> dropped;
  };
  return executor
      ->executeAsync([this, key]() {
        Loaded out;
        KJ_IF_MAYBE(f, files) out.data = (*f)->load(key);
        out.dropped = publish();
        return out;
      })
      .then(
          [this, key](Loaded r) -> kj::Maybe<kj::Own<SharedBytes>> {
            forgetDropped(kj::mv(r.dropped));
            KJ_IF_MAYBE(d, r.data) {
              hitCount++;
              bytesReadCount += d->size();
              return kj::refcounted<SharedBytes>(kj::mv(*d));
            }
            known.erase(key);
            missCount++;
            return nullptr;
          },
          [this](kj::Exception&& e) -> kj::Maybe<kj::Own<SharedBytes>> {
            KJ_LOG(WARNING, "disk cache load failed", e.getDescription());
            missCount++;
            return nullptr;
          });
}

void DiskCache::store(const SegmentKey& key, kj::Own<SharedBytes> bytes) {
  if (!storing || queuedStores >= kMaxQueuedStores || known.count(key) > 0) return;
  known.insert(key);  // a load queued after this store finds it
  queuedStores++;
  uint64_t size = bytes->get().size();
  struct Stored {
    bool ok = false;
    kj::Array<SegmentKey> dropped;
  };
  // `bytes` is only read on the worker; the lambda (and the reference) dies on this loop.
  stores->add(executor
                  ->executeAsync([this, key, bytes = kj::mv(bytes)]() {
                    Stored out;
                    KJ_IF_MAYBE(f, files) out.ok = (*f)->store(key, bytes->get());
                    out.dropped = publish();
                    return out;
                  })
                  .then(
                      [this, key, size](Stored r) {
                        queuedStores--;
                        forgetDropped(kj::mv(r.dropped));
                        if (r.ok) {
                          bytesWrittenCount += size;
                        } else {
                          known.erase(key);
                          if (storing) writeFailed();
                        }
                      },
                      [this, key](kj::Exception&& e) {
                        queuedStores--;
                        known.erase(key);
                        KJ_LOG(WARNING, "disk cache store failed", e.getDescription());
                        if (storing) writeFailed();
                      }));
}

kj::Promise<void> DiskCache::idle() {
  KJ_IF_MAYBE(o, opened) {
    return o->addBranch().then([this]() { return stores->onEmpty(); });
  }
  return stores->onEmpty();
}

DiskCache::Stats DiskCache::stats() const {
  Stats s;
  s.hits = hitCount;
  s.misses = missCount;
  s.bytesRead = bytesReadCount;
  s.bytesWritten = bytesWrittenCount;
  s.evictions = evictionCount.load();
  s.errors = writeErrors + corruptCount.load() + openErrors.load();
  s.usedBytes = usedCount.load();
  return s;
}

}  // namespace dfs
