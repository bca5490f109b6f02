// Namespace setAttr: chmod (keeping an access ACL in step), chown, truncate/extend, utimes.
#include "server/master/namespace/namespace.h"
#include "common/acl/posix_acl.h"
#include "common/mode/kill_suidgid.h"
#include "server/master/store/extent_map.h"
#include <cerrno>
#include <kj/debug.h>

namespace dfs {

bool killSuidgid(Inode& node) {
  uint32_t mode = killSuidgidMode(node.mode);
  if (mode == node.mode) return false;
  node.mode = mode;
  return true;
}

int Namespace::setAttr(const SetAttrArgs& args, Inode& out) {
  auto t = txn();
  Inode* node = nullptr;
  KJ_IF_MAYBE(n, t.inode(args.ino)) { node = n; } else { return ENOENT; }
  int err = applySetAttr(t, *node, args);
  if (err != 0) return err;
  t.commit();
  out = node->clone();
  return 0;
}

int Namespace::applySetAttr(Txn& t, Inode& node, const SetAttrArgs& args) {
  int64_t now = t.now();

  KJ_IF_MAYBE(size, args.size) {
    if (node.isDir()) return EISDIR;
    if (!node.isReg()) return EINVAL;
    KJ_REQUIRE(*size <= (uint64_t(1) << 62), "file size out of range", *size);
    if (*size < node.size) {
      ExtentOverlay overlay(store, node.ino, *size, UINT64_MAX);
      overlay.truncate(*size);
      t.flushExtents(node, overlay);
    }
    if (*size != node.size) node.size = *size;
    node.mtimeNs = now;  // truncate(2) updates mtime even when the size is unchanged
  }
  KJ_IF_MAYBE(mode, args.mode) {
    node.mode = (node.mode & S_IFMT) | (*mode & 07777);
    // POSIX.1e chmod: the access ACL's owner, mask (or group) and other entries follow.
    KJ_IF_MAYBE(value, t.xattr(node.ino, bytesOf(kAclAccessXattr))) {
      Acl acl;
      KJ_REQUIRE(decodeAcl(*value, acl) == 0, "malformed stored access ACL", node.ino);
      aclChmod(acl, node.mode);
      t.putXattr(node.ino, bytesOf(kAclAccessXattr), encodeAcl(acl));
    }
  }
  KJ_IF_MAYBE(uid, args.uid) { node.uid = *uid; }
  KJ_IF_MAYBE(gid, args.gid) { node.gid = *gid; }
  if (args.setAtime) node.atimeNs = args.atimeNow ? now : args.atimeNs;
  if (args.setMtime) node.mtimeNs = args.mtimeNow ? now : args.mtimeNs;
  if (args.killSuidgid) killSuidgid(node);
  node.ctimeNs = args.ctimeNs > 0 ? kj::max(node.ctimeNs, kj::min(args.ctimeNs, now)) : now;
  return 0;
}

}  // namespace dfs
