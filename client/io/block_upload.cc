// Block upload: placement from the master, parallel streamed writes to every replica, and
// a short grace for the copies beyond what the mount's level needs.
#include "block_upload.h"

#include <kj/debug.h>
#include <cstring>
#include "common/base/limits.h"
#include "common/rpc/block_send.h"

namespace dfs {
namespace {

constexpr int kMaxPlacements = 3;

// Writes `data` to one chunk server as block `id`; with `deferSync` the server may make it
// durable later (UnsyncedBlocks, ChunkServer.sync).
kj::Promise<void> writeReplica(DataContext& ctx, kj::StringPtr address, BlockId id,
                               kj::ArrayPtr<const kj::byte> data, bool deferSync) {
  return ctx.chunks.call(address, [id, data, deferSync](wire::ChunkServer::Client& server) {
    return sendBlock(server, id, data, deferSync);
  });
}

// How the writes of one placement are going; shared by the upload and its writes (a write
// the upload stopped waiting for outlives it).
struct ReplicaRace final : public kj::Refcounted {
  enum class State { RUNNING, ACKED, FAILED };

  ReplicaRace(size_t need, kj::TimePoint start) : need(need), start(start) {
    first = fork(firstFulfiller);
    enough = fork(enoughFulfiller);
    all = fork(allFulfiller);
  }

  // A new write, to `replica` (node 0 and no address until its server is known).
  size_t add(Placement::Replica replica) {
    KJ_REQUIRE(!isEnough() || state.empty(), "a write added to a decided race");
    state.add(State::RUNNING);
    errors.add(nullptr);
    reps.add(kj::mv(replica));
    return state.size() - 1;
  }
  // Write `i` ended: acknowledged (`error` null) or failed.
  void settle(size_t i, kj::Maybe<kj::String> error) {
    KJ_IF_MAYBE(e, error) {
      state[i] = State::FAILED;
      errors[i] = kj::mv(*e);
    } else {
      state[i] = State::ACKED;
      ackCount++;
    }
    settled++;
    bool ended = allEnded();
    if (ended) allFulfiller->fulfill();
    if ((ackCount >= need || ended) && enoughFulfiller->isWaiting()) enoughFulfiller->fulfill();
    if ((ackCount > 0 || ended) && firstFulfiller->isWaiting()) firstFulfiller->fulfill();
  }
  bool acked(size_t i) const { return state[i] == State::ACKED; }
  bool running(size_t i) const { return state[i] == State::RUNNING; }
  size_t runningCount() const { return state.size() - settled; }
  bool allEnded() const { return settled == state.size(); }
  bool isEnough() const { return ackCount >= need || allEnded(); }

  size_t need;
  kj::TimePoint start;
  kj::Vector<State> state;
  kj::Vector<kj::String> errors;  // of the failed writes
  kj::Vector<Placement::Replica> reps;
  size_t ackCount = 0, settled = 0;
  bool extraStarted = false;  // a copy on one more server, for one that did not answer
  kj::ForkedPromise<void> first = nullptr;   // an ack, or every write ended
  kj::ForkedPromise<void> enough = nullptr;  // `need` acks, or every write ended
  kj::ForkedPromise<void> all = nullptr;     // every write ended
  kj::Own<kj::PromiseFulfiller<void>> firstFulfiller, enoughFulfiller, allFulfiller;

private:
  static kj::ForkedPromise<void> fork(kj::Own<kj::PromiseFulfiller<void>>& fulfiller) {
    auto paf = kj::newPromiseAndFulfiller<void>();
    fulfiller = kj::mv(paf.fulfiller);
    return paf.promise.fork();
  }
};

// Once a block has the copies its level needs, the others get this long to follow; and
// when some copies are in but too few, the missing ones get this long before one more
// server is asked.
kj::Duration lateGrace(kj::Duration sinceStart) {
  return kj::min(kj::max(4 * sinceStart, kMinLateGrace), kMaxLateGrace);
}

// The writes of one placement, owned by its upload until it decides.
struct ReplicaWrites {
  kj::Own<ReplicaRace> race;
  kj::Vector<kj::Promise<void>> writes;
  kj::Array<uint64_t> excluded;  // servers earlier placements of the block failed on
};

// Keeps write `i` of the race running and records its end.
void startWrite(DataContext& ctx, ReplicaWrites& state, size_t i,
                kj::Promise<void> write) {
  auto& race = *state.race;
  state.writes.add(write
                       .then([r = kj::addRef(race), i]() mutable { r->settle(i, nullptr); },
                             [r = kj::addRef(race), i](kj::Exception&& e) mutable {
                               r->settle(i, kj::str(e.getDescription()));
                             })
                       .eagerlyEvaluate(nullptr));
}

// Leaves the servers of the writes still running out of new placements for a while.
void avoidSilent(DataContext& ctx, const ReplicaRace& race) {
  for (size_t i = 0; i < race.reps.size(); i++) {
    if (race.running(i) && race.reps[i].nodeId != 0) {
      ctx.placements.avoid(race.reps[i].nodeId, kAvoidLateServer);
    }
  }
}

// Some copies are in, too few, and the rest did not answer within the grace: writes the
// block to one more server (a fresh placement that leaves out every server tried; only its
// server is used: a block id may live on any server), and avoids the silent ones.
void startExtraCopy(DataContext& ctx, ReplicaWrites& state, BlockId id,
                    kj::ArrayPtr<const kj::byte> data, bool deferSync) {
  auto& race = *state.race;
  race.extraStarted = true;
  avoidSilent(ctx, race);
  kj::Vector<uint64_t> tried;
  for (auto& rep : race.reps) tried.add(rep.nodeId);
  size_t i = race.add(Placement::Replica{0, nullptr});
  // Not on a server that failed this block or is avoided, unless no other can take it.
  kj::Vector<uint64_t> notThere;
  notThere.addAll(tried);
  notThere.addAll(state.excluded);
  auto write = ctx.placements.take(notThere, true, true)
                   .catch_([&ctx, tried = tried.releaseAsArray()](kj::Exception&&) {
                     return ctx.placements.take(tried, true, false);
                   })
                   .then([&ctx, r = kj::addRef(race), i, id, data,
                          deferSync](Placement p) mutable -> kj::Promise<void> {
                     KJ_REQUIRE(p.replicas.size() > 0, "no other server for a block copy");
                     r->reps[i] = Placement::Replica{p.replicas[0].nodeId,
                                                     kj::str(p.replicas[0].address)};
                     return writeReplica(ctx, r->reps[i].address, id, data, deferSync);
                   });
  startWrite(ctx, state, i, kj::mv(write));
}

kj::Promise<UploadedBlock> place(DataContext& ctx, kj::Own<BlockBytes> bytes,
                                 kj::Vector<uint64_t> exclude, int attempt, bool avoiding);

// The upload's outcome once enough copies acked (or every write ended): writes still
// running go on in the background; their servers and those that failed are avoided for a
// while; with too few copies the failed servers are excluded and the block is placed again.
kj::Promise<UploadedBlock> finishPlacement(DataContext& ctx, kj::Own<ReplicaWrites> state,
                                           kj::Own<BlockBytes> bytes, BlockId id,
                                           kj::Vector<uint64_t> exclude, int attempt,
                                           bool deferSync, bool avoiding) {
  auto& race = *state->race;
  auto& reps = race.reps;
  UploadedBlock done;
  done.block = id;
  done.size = bytes->get().size();
  kj::String lastError;
  for (size_t i = 0; i < reps.size(); i++) {
    if (race.acked(i)) {
      // (An extra copy can make one more than a block may have: that one is not named.)
      if (done.nodes.size() < kMaxReplicas) done.nodes.add(reps[i].nodeId);
    } else if (race.running(i)) {
      KJ_LOG(WARNING, "chunk server slow to take a block copy; going on without it",
             reps[i].address);
      if (reps[i].nodeId != 0) ctx.placements.avoid(reps[i].nodeId, kAvoidLateServer);
      // (The server of an extra copy may not be known yet: read it when the write ends.)
      auto landed = state->writes[i].then([r = kj::addRef(race), i]() -> uint64_t {
        return r->acked(i) ? r->reps[i].nodeId : 0;
      });
      ctx.late.add(landed.attach(kj::addRef(*bytes)), done.size, id);
    } else {
      KJ_LOG(WARNING, "block upload to a replica failed", reps[i].address, race.errors[i]);
      if (reps[i].nodeId != 0) {
        ctx.placements.avoid(reps[i].nodeId, kAvoidLateServer);
        exclude.add(reps[i].nodeId);
      }
      lastError = kj::str(reps[i].address, ": ", race.errors[i]);
    }
  }
  // At least what the level needs (the master completes the rest from a copy that is there).
  if (done.nodes.size() >= race.need) {
    if (deferSync) {
      kj::Vector<kj::StringPtr> held;
      for (size_t i = 0; i < reps.size(); i++) {
        if (race.acked(i)) held.add(reps[i].address);
      }
      ctx.unsynced.add(held, kj::min(race.need, held.size()), ctx.timer.now());
    }
    return kj::mv(done);
  }
  if (attempt + 1 >= kMaxPlacements) {
    return KJ_EXCEPTION(DISCONNECTED, "block upload failed", lastError);
  }
  state = nullptr;  // every write ended
  return place(ctx, kj::mv(bytes), kj::mv(exclude), attempt + 1, avoiding);
}

kj::Promise<UploadedBlock> place(DataContext& ctx, kj::Own<BlockBytes> bytes,
                                 kj::Vector<uint64_t> exclude, int attempt, bool avoiding) {
  // The first attempt may use a pooled placement; retries, and a placement that may use
  // avoided servers again, ask the master afresh.
  auto placement = ctx.placements.take(exclude, attempt > 0 || !avoiding, avoiding);
  if (avoiding && ctx.placements.avoiding() > 0) {
    // Leaving out the servers that were late or failed may leave none the master can use
    // (ENOSPC): use them after all.
    placement = placement.catch_([&ctx, exclude = kj::heapArray<uint64_t>(exclude)](
                                     kj::Exception&&) -> kj::Promise<Placement> {
      return ctx.placements.take(exclude, true, false);
    });
  }
  return placement.then([&ctx, bytes = kj::mv(bytes), exclude = kj::mv(exclude), attempt,
                         avoiding](Placement p) mutable -> kj::Promise<UploadedBlock> {
    BlockId id = p.block;
    auto data = bytes->get();
    // How many copies this mount's level needs before the block counts as written.
    auto level = ctx.master.consistency();
    size_t want = kj::max(size_t(1), size_t(p.wanted));
    size_t need = level == wire::Consistency::STRONG   ? want
                  : level == wire::Consistency::QUORUM ? want / 2 + 1
                                                       : 1;
    if (p.replicas.size() < need && avoiding && ctx.placements.avoiding() > 0) {
      // Leaving out the servers that were late or failed left too few: use them after all
      // (a fresh placement; the attempt does not count).
      return place(ctx, kj::mv(bytes), kj::mv(exclude), attempt, false);
    }
    if (p.replicas.size() < need && attempt == 0) {
      return place(ctx, kj::mv(bytes), kj::mv(exclude), attempt + 1, avoiding);  // stale?
    }
    if (p.replicas.size() < need) {
      return KJ_EXCEPTION(DISCONNECTED, "fewer live chunk servers than this mount's "
                          "consistency level needs", p.replicas.size(), need);
    }
    // Strong mounts promise durability at write(); the others at fsync().
    bool deferSync = level != wire::Consistency::STRONG;
    auto state = kj::heap<ReplicaWrites>();
    state->race = kj::refcounted<ReplicaRace>(need, ctx.timer.now());
    state->excluded = kj::heapArray<uint64_t>(exclude.asPtr());
    auto& race = *state->race;
    for (auto& rep : p.replicas) {
      size_t i = race.add(kj::mv(rep));
      startWrite(ctx, *state, i,
                 writeReplica(ctx, race.reps[i].address, id, data, deferSync));
    }
    ReplicaWrites* raw = state.get();
    // Some copies but too few, the rest silent for a grace: one more server.
    auto enough = race.first.addBranch().then([&ctx, raw, id, data,
                                               deferSync]() -> kj::Promise<void> {
      auto& race = *raw->race;
      if (race.isEnough()) return kj::READY_NOW;
      auto grace = lateGrace(ctx.timer.now() - race.start);
      return race.enough.addBranch().exclusiveJoin(
          ctx.timer.afterDelay(grace).then([&ctx, raw, id, data, deferSync]() {
            if (!raw->race->isEnough()) startExtraCopy(ctx, *raw, id, data, deferSync);
            return raw->race->enough.addBranch();
          }));
    });
    // Enough copies: the rest get a grace (none if they already had theirs), then finish
    // in the background if there is room for their bytes (else this upload waits for
    // them, as every upload once did, and new blocks avoid their servers meanwhile).
    uint64_t size = data.size();
    auto decided = enough.then([&ctx, raw, size]() -> kj::Promise<void> {
      auto& race = *raw->race;
      if (race.allEnded()) return kj::READY_NOW;
      kj::Promise<void> graced = kj::READY_NOW;
      if (!race.extraStarted) {
        auto grace = lateGrace(ctx.timer.now() - race.start);
        graced = race.all.addBranch().exclusiveJoin(ctx.timer.afterDelay(grace));
      }
      return graced.then([&ctx, raw, size]() -> kj::Promise<void> {
        auto& race = *raw->race;
        if (race.runningCount() == 0 || ctx.late.canTake(size * race.runningCount())) {
          return kj::READY_NOW;
        }
        avoidSilent(ctx, race);
        return race.all.addBranch();
      });
    });
    return decided.then([&ctx, state = kj::mv(state), bytes = kj::mv(bytes), id,
                         exclude = kj::mv(exclude), attempt, deferSync, avoiding]() mutable {
      return finishPlacement(ctx, kj::mv(state), kj::mv(bytes), id, kj::mv(exclude), attempt,
                             deferSync, avoiding);
    });
  });
}

}  // namespace

kj::Promise<UploadedBlock> uploadBlock(DataContext& ctx, kj::Own<BlockBytes> bytes) {
  auto size = bytes->get().size();
  KJ_REQUIRE(size > 0 && size <= kMaxBlockSize, "bad block size", size);
  return place(ctx, kj::mv(bytes), kj::Vector<uint64_t>(), 0, true);
}

}  // namespace dfs
