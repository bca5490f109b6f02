// Namespace fallocate: grow the size, punch holes, zero ranges (no space is reserved).
#include "server/master/namespace/namespace.h"
#include <cerrno>

namespace dfs {

int Namespace::fallocate(uint64_t ino, uint32_t mode, uint64_t offset, uint64_t length,
                         bool killPrivs, Inode& out) {
  // The checks of vfs_fallocate, in its order (the kernel makes them before us too).
  if (mode & ~(kFallocKeepSize | kFallocPunchHole | kFallocZeroRange)) return EOPNOTSUPP;
  if ((mode & kFallocPunchHole) && (mode & kFallocZeroRange)) return EOPNOTSUPP;
  if ((mode & kFallocPunchHole) && !(mode & kFallocKeepSize)) return EOPNOTSUPP;
  if (length == 0) return EINVAL;
  if (offset > kMaxFileSize || length > kMaxFileSize - offset) return EFBIG;
  uint64_t end = offset + length;

  auto t = txn();
  Inode* node = nullptr;
  KJ_IF_MAYBE(n, t.inode(ino)) { node = n; } else { return ENOENT; }
  if (node->isDir()) return EISDIR;
  if (S_ISFIFO(node->mode)) return ESPIPE;
  if (!node->isReg()) return ENODEV;

  bool changed = false;
  if (mode & (kFallocPunchHole | kFallocZeroRange)) {
    // A hole reads as zeros, so zeroing a range is punching it.
    ExtentOverlay overlay(store, ino, offset, end);
    overlay.punch(offset, end);
    t.flushExtents(*node, overlay);
    changed = true;
  }
  if (!(mode & kFallocKeepSize) && end > node->size) {
    node->size = end;
    changed = true;
  }
  if (killPrivs) killSuidgid(*node);
  node->ctimeNs = t.now();
  if (changed) node->mtimeNs = t.now();
  t.commit();
  out = node->clone();
  return 0;
}

}  // namespace dfs
