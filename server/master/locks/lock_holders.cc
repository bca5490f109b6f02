// LockHolders: the 'L' records of sessions that took locks.
#include "server/master/locks/lock_holders.h"
#include "server/master/store/keys.h"

namespace dfs {

size_t LockHolders::loadPrevious() {
  previous.clear();
  awaited.clear();
  auto prefix = keys::lockHolderPrefix();
  auto it = store.newPrefixIterator(prefix);
  for (it->seek(prefix); it->valid() && keys::hasPrefix(it->key(), prefix); it->next()) {
    previous.add(copyBytes(it->key()));
    awaited.insert(Holder{keys::lockHolderBoot(it->key()), keys::lockHolderSession(it->key())});
  }
  return previous.size();
}

void LockHolders::taking(uint64_t session, kj::StringPtr clientName) {
  if (sessions.count(session) != 0) return;
  WriteBatch batch;
  batch.put(keys::lockHolder(boot, session), clientName.asBytes());
  store.write(batch);
  sessions.insert(session);
}

void LockHolders::ended(uint64_t session) {
  returningSessions.erase(session);
  if (sessions.erase(session) == 0) return;
  WriteBatch batch;
  batch.del(keys::lockHolder(boot, session));
  store.write(batch);
}

bool LockHolders::returning(uint64_t session, uint64_t boot, uint64_t oldSession,
                            uint32_t reclaims) {
  Holder holder{boot, oldSession};
  if (awaited.count(holder) == 0) return false;
  if (reclaims == 0) {
    awaited.erase(holder);
  } else {
    returningSessions[session] = Returning{holder, reclaims};
  }
  return true;
}

void LockHolders::reclaimed(uint64_t session) {
  auto it = returningSessions.find(session);
  if (it == returningSessions.end()) return;
  if (--it->second.reclaimsLeft == 0) {
    awaited.erase(it->second.holder);
    returningSessions.erase(it);
  }
}

void LockHolders::forgetPrevious() {
  if (previous.empty()) return;
  WriteBatch batch;
  for (auto& key : previous) batch.del(key);
  store.write(batch);
  previous.clear();
  awaited.clear();
  returningSessions.clear();
}

}  // namespace dfs
