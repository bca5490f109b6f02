// Namespace creations: mknod, mkdir, symlink, link.
#include "server/master/namespace/namespace.h"
#include "server/master/namespace/names.h"
#include <cerrno>
#include <kj/debug.h>

namespace dfs {

int Namespace::create(uint64_t parent, BytesPtr name, uint32_t mode, uint64_t rdev,
                      uint32_t uid, uint32_t gid, BytesPtr target, kj::Maybe<uint32_t> umask,
                      Inode& out, ClientChoice choice) {
  int err = validateName(name);
  if (err != 0) return err;
  auto t = txn();
  t.useClientTime(choice.timeNs);
  Inode* dir;
  err = t.dir(parent, dir);
  if (err != 0) return err;
  if (t.dirent(parent, name) != nullptr) return EEXIST;
  if (dir->mode & S_ISGID) {
    // BSD group semantics of a set-group-ID directory (as Linux's inode_init_owner): new
    // entries take the directory's group, and new subdirectories keep the bit. (The VFS
    // already stripped S_ISGID from files that a caller outside the group may not keep.)
    gid = dir->gid;
    if (S_ISDIR(mode)) mode |= S_ISGID;
  }
  Inode& node = choice.ino != 0 ? t.newInodeAt(choice.ino, mode, uid, gid)
                                : t.newInode(mode, uid, gid);
  node.rdev = rdev;
  if (!S_ISLNK(mode)) inheritAcls(t, *dir, node, umask);
  if (S_ISDIR(mode)) {
    node.nlink = 2;
    node.parent = parent;
    ++dir->nlink;
  }
  if (target.size() > 0) {
    node.symlinkTarget = kj::heapArray<kj::byte>(target);
    node.size = target.size();  // POSIX: a symlink's size is the length of its target
  }
  t.putDirent(parent, name, node);
  dir->mtimeNs = dir->ctimeNs = t.now();
  t.commit();
  out = node.clone();
  return 0;
}

int Namespace::mknod(uint64_t parent, BytesPtr name, uint32_t mode, uint64_t rdev,
                     uint32_t uid, uint32_t gid, bool exclusive, Inode& out,
                     kj::Maybe<uint32_t> umask, ClientChoice choice) {
  uint32_t type = mode & S_IFMT;
  if (type == 0) type = S_IFREG;
  switch (type) {
    case S_IFREG: case S_IFIFO: case S_IFSOCK: case S_IFCHR: case S_IFBLK: break;
    default: return EINVAL;  // directories and symlinks have their own calls
  }
  if (type != S_IFCHR && type != S_IFBLK) rdev = 0;
  int err = create(parent, name, type | (mode & 07777), rdev, uid, gid, nullptr, umask, out,
                   choice);
  if (err == EEXIST && !exclusive) {
    // open(O_CREAT) without O_EXCL: an existing regular file is opened instead.
    Inode existing;
    if (lookup(parent, name, existing) == 0 && existing.isReg()) {
      out = kj::mv(existing);
      return 0;
    }
  }
  return err;
}

uint64_t Namespace::reserveInodes(uint32_t count) {
  auto t = txn();
  uint64_t first = t.reserveInodes(count);
  t.commit();
  return first;
}

int Namespace::mkdir(uint64_t parent, BytesPtr name, uint32_t mode, uint32_t uid,
                     uint32_t gid, Inode& out, kj::Maybe<uint32_t> umask) {
  return create(parent, name, S_IFDIR | (mode & 07777), 0, uid, gid, nullptr, umask, out);
}

int Namespace::symlink(uint64_t parent, BytesPtr name, BytesPtr target, uint32_t uid,
                       uint32_t gid, Inode& out) {
  int err = validateSymlinkTarget(target);
  if (err != 0) return err;
  return create(parent, name, S_IFLNK | 0777, 0, uid, gid, target, nullptr, out);
}

int Namespace::link(uint64_t ino, uint64_t newParent, BytesPtr newName, Inode& out) {
  int err = validateName(newName);
  if (err != 0) return err;
  auto t = txn();
  Inode* node = nullptr;
  KJ_IF_MAYBE(n, t.inode(ino)) { node = n; } else { return ENOENT; }
  if (node->isDir()) return EPERM;
  if (node->nlink >= 65000) return EMLINK;
  Inode* dir;
  err = t.dir(newParent, dir);
  if (err != 0) return err;
  if (t.dirent(newParent, newName) != nullptr) return EEXIST;
  ++node->nlink;
  node->ctimeNs = t.now();
  dir->mtimeNs = dir->ctimeNs = t.now();
  t.putDirent(newParent, newName, *node);
  t.commit();
  out = node->clone();
  return 0;
}

}  // namespace dfs
