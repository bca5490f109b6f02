// Namespace rename (renameat2 semantics: replace, RENAME_NOREPLACE, RENAME_EXCHANGE).
#include "server/master/namespace/namespace.h"
#include "server/master/namespace/names.h"
#include <cerrno>
#include <kj/debug.h>

namespace dfs {

int Namespace::rename(uint64_t parent, BytesPtr name, uint64_t newParent, BytesPtr newName,
                      uint32_t flags, uint64_t* movedIno, uint64_t* replacedIno) {
  if ((flags & ~(kRenameNoReplace | kRenameExchange)) != 0) return EINVAL;
  if (flags == (kRenameNoReplace | kRenameExchange)) return EINVAL;
  int err = validateName(name);
  if (err == 0) err = validateName(newName);
  if (err != 0) return err;

  auto t = txn();
  Inode* srcDir;
  Inode* dstDir;
  if ((err = t.dir(parent, srcDir)) != 0) return err;
  if ((err = t.dir(newParent, dstDir)) != 0) return err;
  DirentValue srcEntry;
  KJ_IF_MAYBE(e, t.dirent(parent, name)) { srcEntry = *e; } else { return ENOENT; }
  kj::Maybe<DirentValue> dstEntry = t.dirent(newParent, newName);
  bool samePlace = parent == newParent && name == newName;

  Inode* src = nullptr;
  KJ_IF_MAYBE(s, t.inode(srcEntry.ino)) { src = s; } else {
    KJ_FAIL_REQUIRE("dangling directory entry", parent, srcEntry.ino);
  }
  Inode* dst = nullptr;
  KJ_IF_MAYBE(d, dstEntry) {
    KJ_IF_MAYBE(n, t.inode(d->ino)) { dst = n; } else {
      KJ_FAIL_REQUIRE("dangling directory entry", newParent, d->ino);
    }
  }

  if (flags & kRenameNoReplace) {
    if (dst != nullptr) return EEXIST;
  }
  if (flags & kRenameExchange) {
    if (dst == nullptr) return ENOENT;
  }
  if (samePlace || (dst != nullptr && dst->ino == src->ino && !(flags & kRenameExchange))) {
    return 0;  // same entry, or two links to one inode: POSIX says do nothing
  }

  // A directory may not move into its own subtree.
  if (src->isDir() && parent != newParent && isAncestor(src->ino, newParent)) return EINVAL;
  if ((flags & kRenameExchange) && dst->isDir() && parent != newParent &&
      isAncestor(dst->ino, parent)) {
    return EINVAL;
  }

  int64_t now = t.now();
  if (flags & kRenameExchange) {
    t.putDirent(parent, name, *dst);
    t.putDirent(newParent, newName, *src);
    if (parent != newParent) {
      if (src->isDir()) { src->parent = newParent; --srcDir->nlink; ++dstDir->nlink; }
      if (dst->isDir()) { dst->parent = parent; --dstDir->nlink; ++srcDir->nlink; }
    }
    src->ctimeNs = dst->ctimeNs = now;
  } else {
    if (dst != nullptr) {
      if (src->isDir() && !dst->isDir()) return ENOTDIR;
      if (!src->isDir() && dst->isDir()) return EISDIR;
      if (dst->isDir()) {
        if (!t.dirIsEmpty(dst->ino)) return ENOTEMPTY;
        t.removeInode(dst->ino);
        --dstDir->nlink;
      } else {
        dst->ctimeNs = now;
        if (--dst->nlink == 0) t.removeInode(dst->ino);
      }
    }
    t.delDirent(parent, name);
    t.putDirent(newParent, newName, *src);
    if (src->isDir() && parent != newParent) {
      src->parent = newParent;
      --srcDir->nlink;
      ++dstDir->nlink;
    }
    src->ctimeNs = now;
  }
  srcDir->mtimeNs = srcDir->ctimeNs = now;
  dstDir->mtimeNs = dstDir->ctimeNs = now;
  uint64_t moved = src->ino, replaced = dst == nullptr ? 0 : dst->ino;
  t.commit();
  if (movedIno != nullptr) *movedIno = moved;
  if (replacedIno != nullptr) *replacedIno = replaced;
  return 0;
}

}  // namespace dfs
