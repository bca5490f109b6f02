// LockHolders: which sessions took file locks, recorded in the store ('L' keys) so that
// a restarted master knows whether clients may come back to reclaim locks (and so
// whether it needs a lock grace period). A record is written when a session takes its
// first lock and dropped when the session ends; a master that stops or crashes leaves
// its records, which the next run reads at start and drops when its grace period ends.
#pragma once

#include "server/master/store/meta_store.h"
#include <kj/string.h>
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

  size_t previousCount() const { return previous.size(); }
  bool recorded(uint64_t session) const { return sessions.count(session) != 0; }

private:
  MetaStore& store;
  uint64_t boot;
  std::unordered_set<uint64_t> sessions;  // this run's sessions with a record
  kj::Vector<Bytes> previous;             // keys of earlier runs' records
};

}  // namespace dfs
