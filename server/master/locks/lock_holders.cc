// LockHolders: the 'L' records of sessions that took locks.
#include "server/master/locks/lock_holders.h"
#include "server/master/store/keys.h"

namespace dfs {

size_t LockHolders::loadPrevious() {
  previous.clear();
  auto prefix = keys::lockHolderPrefix();
  auto it = store.newPrefixIterator(prefix);
  for (it->seek(prefix); it->valid() && keys::hasPrefix(it->key(), prefix); it->next()) {
    previous.add(copyBytes(it->key()));
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
  if (sessions.erase(session) == 0) return;
  WriteBatch batch;
  batch.del(keys::lockHolder(boot, session));
  store.write(batch);
}

void LockHolders::forgetPrevious() {
  if (previous.empty()) return;
  WriteBatch batch;
  for (auto& key : previous) batch.del(key);
  store.write(batch);
  previous.clear();
}

}  // namespace dfs
