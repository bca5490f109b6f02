// Namespace reads: lookup, getAttr, readlink, counters; construction and the root inode.
#include "server/master/namespace/namespace.h"
#include "server/master/namespace/names.h"
#include "server/master/store/keys.h"
#include "server/master/store/records.h"
#include <cerrno>
#include <kj/debug.h>

namespace dfs {

Namespace::Namespace(MetaStore& store, Clock& clock, uint64_t volumeId, uint64_t rootIno,
                     int64_t gcGraceNs, const OpenFiles* openFiles)
    : store(store), clock(clock), volumeId(volumeId), root(rootIno), graceNs(gcGraceNs),
      openFiles(openFiles) {}

Inode Namespace::makeRoot(uint64_t ino, uint64_t volumeId, int64_t nowNs) {
  Inode node;
  node.ino = ino;
  node.mode = S_IFDIR | 0755;
  node.nlink = 2;
  node.atimeNs = node.mtimeNs = node.ctimeNs = nowNs;
  node.volumeId = volumeId;
  node.parent = ino;
  return node;
}

Txn Namespace::txn() {
  Txn t(store, clock, volumeId, graceNs);
  t.keepOpenFiles(openFiles);
  return t;
}

kj::Maybe<Inode> Namespace::load(uint64_t ino) {
  KJ_IF_MAYBE(node, loadInode(store, ino)) {
    if (node->volumeId == volumeId) return kj::mv(*node);
  }
  return nullptr;
}

int Namespace::lookup(uint64_t parent, BytesPtr name, Inode& out) {
  KJ_IF_MAYBE(dir, load(parent)) {
    if (!dir->isDir()) return ENOTDIR;
    // "." and ".." are answered from the parent links (NFS-style lookups of "..").
    if (name.size() == 1 && name[0] == '.') return getAttr(parent, out);
    if (name.size() == 2 && name[0] == '.' && name[1] == '.') return getAttr(dir->parent, out);
    int err = validateName(name);
    if (err != 0) return err;
    KJ_IF_MAYBE(v, store.get(keys::dirent(parent, name))) {
      auto entry = decodeDirent(*v);
      KJ_IF_MAYBE(child, load(entry.ino)) {
        out = kj::mv(*child);
        return 0;
      }
      KJ_FAIL_REQUIRE("dangling directory entry", parent, entry.ino);
    }
    return ENOENT;
  }
  return ENOENT;
}

int Namespace::getAttr(uint64_t ino, Inode& out) {
  KJ_IF_MAYBE(node, load(ino)) {
    out = kj::mv(*node);
    return 0;
  }
  return ENOENT;
}

int Namespace::readlink(uint64_t ino, Bytes& target) {
  KJ_IF_MAYBE(node, load(ino)) {
    if (!node->isLink()) return EINVAL;
    target = kj::mv(node->symlinkTarget);
    return 0;
  }
  return ENOENT;
}

bool Namespace::isAncestor(uint64_t ancestor, uint64_t dir) {
  // Parent links always lead to the root (whose parent is itself); the bound only guards
  // against a corrupted loop.
  for (int depth = 0; depth < 1'000'000; ++depth) {
    if (dir == ancestor) return true;
    if (dir == root) return false;
    KJ_IF_MAYBE(node, load(dir)) {
      if (node->parent == dir) return false;
      dir = node->parent;
    } else {
      return false;
    }
  }
  KJ_FAIL_REQUIRE("directory parent chain too deep (corrupt?)", dir);
}

uint64_t Namespace::inodeCount() { return getCounter(store, volumeInodesCounter(volumeId)); }
uint64_t Namespace::usedBytes() { return getCounter(store, volumeBytesCounter(volumeId)); }

}  // namespace dfs
