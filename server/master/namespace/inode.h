// Inode: the master's in-memory form of one stored InodeRecord, and its wire/record codecs.
#pragma once

#include "server/master/store/meta_store.h"
#include <common.capnp.h>
#include <sys/stat.h>
#include <cstdint>

namespace dfs {

struct Inode {
  uint64_t ino = 0;
  uint32_t mode = 0;  // S_IFMT type bits | permission bits
  uint32_t nlink = 0;
  uint32_t uid = 0;
  uint32_t gid = 0;
  uint64_t rdev = 0;
  uint64_t size = 0;
  int64_t atimeNs = 0;
  int64_t mtimeNs = 0;
  int64_t ctimeNs = 0;
  uint64_t generation = 0;
  uint64_t allocated = 0;  // regular files: bytes mapped to blocks (holes excluded)
  uint64_t volumeId = 0;
  uint64_t parent = 0;  // directories only: containing directory (the root: itself)
  Bytes symlinkTarget;  // symlinks only
  bool hasXattrs = false;  // some 'X' key was stored for it (see Txn::putXattr)

  bool isDir() const { return S_ISDIR(mode); }
  bool isReg() const { return S_ISREG(mode); }
  bool isLink() const { return S_ISLNK(mode); }
  // The DT_* value stored in dirents (the type bits shifted down).
  kj::byte dirType() const { return static_cast<kj::byte>((mode & S_IFMT) >> 12); }

  Inode clone() const;
  Bytes encode() const;                 // serialized meta.InodeRecord
  static Inode decode(BytesPtr bytes);  // throws on a malformed record
  void toWire(wire::Attr::Builder attr) const;
};

// Loads inode `ino`, or nullptr if absent. A regular file stored before `allocated`
// existed gets it counted from its extent map (written back by the next Txn touching it).
kj::Maybe<Inode> loadInode(MetaStore& store, uint64_t ino);

}  // namespace dfs
