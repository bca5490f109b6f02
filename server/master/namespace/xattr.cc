// Namespace extended attributes: set, get, list, remove ('X' keys), with the ACL rules
// that tie system.posix_acl_access to the mode.
#include "server/master/namespace/namespace.h"
#include "server/master/namespace/names.h"
#include "common/acl/posix_acl.h"
#include <algorithm>
#include <cerrno>
#include <cstring>
#include <sys/xattr.h>

namespace dfs {
namespace {

bool isNamed(BytesPtr name, kj::StringPtr text) {
  return name.size() == text.size() && memcmp(name.begin(), text.begin(), text.size()) == 0;
}

bool isUserName(BytesPtr name) { return name.size() >= 5 && memcmp(name.begin(), "user.", 5) == 0; }

// user.* xattrs exist only on regular files and directories (the kernel's rule).
bool userAllowed(const Inode& node) { return node.isReg() || node.isDir(); }

// Total size of the names list (names + NULs) after adding `name`.
size_t listSizeWith(Txn& t, uint64_t ino, BytesPtr name) {
  size_t total = name.size() + 1;
  for (auto& n : t.xattrNames(ino)) {
    if (compareBytes(n, name) != 0) total += n.size() + 1;
  }
  return total;
}

}  // namespace

int Namespace::setXattr(uint64_t ino, BytesPtr name, BytesPtr value, uint32_t flags,
                        Inode& out, kj::Maybe<kj::ArrayPtr<const uint32_t>> callerGroups) {
  int err = validateXattrName(name);
  if (err != 0) return err;
  if ((flags & ~uint32_t(XATTR_CREATE | XATTR_REPLACE)) != 0 ||
      flags == (XATTR_CREATE | XATTR_REPLACE)) {
    return EINVAL;
  }
  if (value.size() > kXattrValueMax) return E2BIG;
  auto t = txn();
  Inode* node = nullptr;
  KJ_IF_MAYBE(n, t.inode(ino)) { node = n; } else { return ENOENT; }
  if (isUserName(name) && !userAllowed(*node)) return EPERM;
  bool exists = t.xattr(ino, name) != nullptr;
  if ((flags & XATTR_CREATE) && exists) return EEXIST;
  if ((flags & XATTR_REPLACE) && !exists) return ENODATA;

  bool access = isNamed(name, kAclAccessXattr);
  bool store = true;
  if (access || isNamed(name, kAclDefaultXattr)) {
    if (node->isLink()) return EOPNOTSUPP;
    Acl acl;
    err = decodeAcl(value, acl);
    if (err != 0) return err;
    if (!access && !node->isDir()) return acl.size() == 0 ? 0 : EACCES;
    if (acl.size() == 0) {
      store = false;  // an empty ACL is no ACL
    } else if (access) {
      // The mode says what the ACL's owner, mask-or-group and other entries say; an ACL
      // with nothing more is kept as the mode alone (as ext4 does).
      store = !aclToMode(acl, node->mode);
    }
    KJ_IF_MAYBE(groups, callerGroups) {
      // As posix_acl_update_mode(): outside the file's group, S_ISGID does not survive.
      if (access && std::find(groups->begin(), groups->end(), node->gid) == groups->end()) {
        node->mode &= ~uint32_t(S_ISGID);
      }
    }
  }
  if (store) {
    if (!exists && listSizeWith(t, ino, name) > kXattrListMax) return ENOSPC;
    t.putXattr(ino, name, value);
  } else {
    t.delXattr(ino, name);
  }
  node->ctimeNs = t.now();
  t.commit();
  out = node->clone();
  return 0;
}

int Namespace::getXattr(uint64_t ino, BytesPtr name, Bytes& value) {
  int err = validateXattrName(name);
  if (err != 0) return err;
  auto t = txn();
  Inode* node = nullptr;
  KJ_IF_MAYBE(n, t.inode(ino)) { node = n; } else { return ENOENT; }
  if (isUserName(name) && !userAllowed(*node)) return ENODATA;
  KJ_IF_MAYBE(v, t.xattr(ino, name)) {
    value = kj::mv(*v);
    return 0;
  }
  return ENODATA;
}

int Namespace::listXattr(uint64_t ino, kj::Vector<Bytes>& names) {
  auto t = txn();
  if (t.inode(ino) == nullptr) return ENOENT;
  names = t.xattrNames(ino);
  return 0;
}

int Namespace::removeXattr(uint64_t ino, BytesPtr name, Inode& out) {
  int err = validateXattrName(name);
  if (err != 0) return err;
  auto t = txn();
  Inode* node = nullptr;
  KJ_IF_MAYBE(n, t.inode(ino)) { node = n; } else { return ENOENT; }
  if (isUserName(name) && !userAllowed(*node)) return EPERM;
  bool acl = isNamed(name, kAclAccessXattr) || isNamed(name, kAclDefaultXattr);
  if (acl && node->isLink()) return EOPNOTSUPP;
  if (t.xattr(ino, name) == nullptr) {
    if (!acl) return ENODATA;
    out = node->clone();
    return 0;
  }
  t.delXattr(ino, name);
  node->ctimeNs = t.now();
  t.commit();
  out = node->clone();
  return 0;
}

}  // namespace dfs
