// LockHolders: which sessions took file locks, recorded in the store ('L' keys) so that
// a restarted master knows whether clients may come back to reclaim locks (and so
// whether it needs a lock grace period). A record is written when a session takes its
// first lock and dropped when the session ends; a master that stops or crashes leaves
// its records, which the next run reads at start and drops when its grace period ends.
// It also follows the previous run's holders as they come back and reclaim their locks:
// once all did, the grace period has nothing left to protect.
#pragma once

#include "server/master/store/meta_store.h"
#include <kj/string.h>
#include <set>
#include <unordered_map>
#include <unordered_set>

namespace dfs {

class LockHolders {
public:
  // `boot` names this run of the master (see MasterCore::boot).
  LockHolders(MetaStore& store, uint64_t boot) : store(store), boot(boot) {}
  KJ_DISALLOW_COPY(LockHolders);

  // Reads the records of earlier runs (call once, at start); returns how many there are.
  size_t loadPrevious();
  // `session` is about to take a lock: records it (one store write per session).
  // Throws if the store fails, before anything is granted.
  void taking(uint64_t session, kj::StringPtr clientName);
  // The session ended while the master runs on: drops its record.
  void ended(uint64_t session);
  // The earlier runs' clients had their grace period: drops their records.
  void forgetPrevious();

  // A new session `session` replaces (boot, oldSession) and will send `reclaims`
  // reclaims. Returns true if that was a holder of an earlier run not yet back.
  bool returning(uint64_t session, uint64_t boot, uint64_t oldSession, uint32_t reclaims);
  // `session` sent one reclaim (granted or not).
  void reclaimed(uint64_t session);
  // Every holder of the earlier runs came back and sent all its reclaims.
  bool allReturned() const { return awaited.empty(); }

  size_t previousCount() const { return previous.size(); }
  bool recorded(uint64_t session) const { return sessions.count(session) != 0; }

private:
  MetaStore& store;
  uint64_t boot;
  std::unordered_set<uint64_t> sessions;  // this run's sessions with a record
  kj::Vector<Bytes> previous;             // keys of earlier runs' records
  struct Holder {
    uint64_t boot;
    uint64_t session;
    bool operator<(const Holder& o) const {
      return boot != o.boot ? boot < o.boot : session < o.session;
    }
  };
  std::set<Holder> awaited;  // earlier runs' holders not yet back with all reclaims
  struct Returning {
    Holder holder;
    uint32_t reclaimsLeft;
  };
  std::unordered_map<uint64_t, Returning> returningSessions;  // by new session id
};

}  // namespace dfs
