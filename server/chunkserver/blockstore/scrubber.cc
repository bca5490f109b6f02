// Scrubber: one block per step, paced by a kj::Timer, passes separated by a pause.
#include "server/chunkserver/blockstore/scrubber.h"

#include "common/base/limits.h"

#include <kj/debug.h>

namespace dfs {

Scrubber::Scrubber(BlockStore& store, kj::Timer& timer, ScrubberOptions options)
    : store(store), timer(timer), options(options) {}

kj::Maybe<uint64_t> Scrubber::step() {
  if (pass == nullptr) {
    pass = store.ids();
    next = 0;
  }
  auto& ids = KJ_ASSERT_NONNULL(pass);
  if (next >= ids.size()) {
    pass = nullptr;
    stats.passes++;
    return nullptr;
  }
  BlockId id = ids[next++];
  uint64_t bytes = 0;
  auto result = store.scrub(id, bytes);
  stats.bytes += bytes;
  if (result != ScrubResult::kGone) stats.blocks++;
  if (result == ScrubResult::kCorrupt) {
    stats.corrupt++;
    KJ_LOG(ERROR, "scrubber found a corrupt block copy", id.hex());
  }
  return bytes;
}

kj::Promise<void> Scrubber::run() {
  if (options.bytesPerSec == 0) return kj::NEVER_DONE;
  return loop();
}

kj::Promise<void> Scrubber::loop() {
  kj::Maybe<uint64_t> bytes;
  KJ_IF_MAYBE(e, kj::runCatchingExceptions([&]() { bytes = step(); })) {
    KJ_LOG(ERROR, "scrubber could not read a block", *e);
    bytes = uint64_t(kMaxBlockSize);  // pace as if a whole block was read
  }
  KJ_IF_MAYBE(b, bytes) {
    if (*b == 0) return kj::evalLater([this]() { return loop(); });
    auto pause = *b * 1'000'000'000ULL / options.bytesPerSec * kj::NANOSECONDS;
    return timer.afterDelay(pause).then([this]() { return loop(); });
  }
  return timer.afterDelay(options.passInterval).then([this]() { return loop(); });
}

}  // namespace dfs
