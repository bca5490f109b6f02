// Namespace: the mode and ACLs a new inode gets from its directory (default ACL or umask).
#include "server/master/namespace/namespace.h"
#include "common/acl/posix_acl.h"
#include <kj/debug.h>

namespace dfs {

void Namespace::inheritAcls(Txn& t, const Inode& dir, Inode& node,
                            kj::Maybe<uint32_t> umask) {
  Acl dflt;
  KJ_IF_MAYBE(value, t.xattr(dir.ino, bytesOf(kAclDefaultXattr))) {
    KJ_REQUIRE(decodeAcl(*value, dflt) == 0, "malformed stored default ACL", dir.ino);
  }
  if (dflt.size() == 0) {
    KJ_IF_MAYBE(mask, umask) { node.mode &= ~(*mask & 0777); }
    return;
  }
  // POSIX.1e: the default ACL replaces the umask; directories pass it on.
  Acl access;
  if (aclCreate(dflt, node.mode, access)) {
    t.putXattr(node.ino, bytesOf(kAclAccessXattr), encodeAcl(access));
  }
  if (node.isDir()) t.putXattr(node.ino, bytesOf(kAclDefaultXattr), encodeAcl(dflt));
}

}  // namespace dfs
