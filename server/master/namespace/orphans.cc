// Namespace: files unlinked while open (orphans) — deletion at last close and at start.
#include "server/master/namespace/namespace.h"
#include "server/master/store/keys.h"

namespace dfs {

void Namespace::releaseOrphan(uint64_t ino) {
  if (openFiles != nullptr && openFiles->isOpen(ino)) return;
  if (store.get(keys::orphan(ino)) == nullptr) return;
  auto t = txn();
  KJ_IF_MAYBE(node, t.inode(ino)) {
    if (node->nlink == 0) {
      t.dropOrphan(ino);
      t.commit();
    }
  }
}

void Namespace::purgeOrphans(MetaStore& store, Clock& clock, int64_t gcGraceNs,
                             const OpenFiles* keepOpen) {
  kj::Vector<uint64_t> orphans;
  {
    auto prefix = keys::orphanPrefix();
    auto it = store.newPrefixIterator(prefix);
    for (it->seek(prefix); it->valid() && keys::hasPrefix(it->key(), prefix); it->next()) {
      orphans.add(keys::orphanIno(it->key()));
    }
  }
  for (uint64_t ino : orphans) {
    if (keepOpen != nullptr && keepOpen->isOpen(ino)) continue;
    KJ_IF_MAYBE(node, loadInode(store, ino)) {
      Txn t(store, clock, node->volumeId, gcGraceNs);
      KJ_IF_MAYBE(loaded, t.inode(ino)) {
        (void)loaded;
        t.dropOrphan(ino);
      }
      t.commit();
    } else {
      WriteBatch batch;
      batch.del(keys::orphan(ino));
      store.write(batch);
    }
  }
}

}  // namespace dfs
