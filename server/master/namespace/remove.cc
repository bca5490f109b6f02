// Namespace removals: unlink and rmdir.
#include "server/master/namespace/namespace.h"
#include "server/master/namespace/names.h"
#include <cerrno>
#include <kj/debug.h>

namespace dfs {

int Namespace::removeEntry(uint64_t parent, BytesPtr name, bool wantDir,
                           uint64_t* removedIno, ClientChoice choice) {
  int err = validateName(name);
  if (err != 0) return err;
  auto t = txn();
  t.useClientTime(choice.timeNs);
  Inode* dir;
  err = t.dir(parent, dir);
  if (err != 0) return err;
  uint64_t childIno;
  KJ_IF_MAYBE(entry, t.dirent(parent, name)) { childIno = entry->ino; } else { return ENOENT; }
  Inode* child = nullptr;
  KJ_IF_MAYBE(c, t.inode(childIno)) { child = c; } else {
    KJ_FAIL_REQUIRE("dangling directory entry", parent, childIno);
  }
  if (wantDir) {
    if (!child->isDir()) return ENOTDIR;
    if (!t.dirIsEmpty(childIno)) return ENOTEMPTY;
    t.removeInode(childIno);
    --dir->nlink;
  } else {
    if (child->isDir()) return EISDIR;
    child->ctimeNs = t.now();
    if (--child->nlink == 0) t.removeInode(childIno);
  }
  t.delDirent(parent, name);
  dir->mtimeNs = dir->ctimeNs = t.now();
  t.commit();
  if (removedIno != nullptr) *removedIno = childIno;
  return 0;
}

int Namespace::unlink(uint64_t parent, BytesPtr name, uint64_t* removedIno,
                      ClientChoice choice) {
  return removeEntry(parent, name, false, removedIno, choice);
}
int Namespace::rmdir(uint64_t parent, BytesPtr name, uint64_t* removedIno) {
  return removeEntry(parent, name, true, removedIno);
}

}  // namespace dfs
