// Txn implementation: inode cache, counters, extent removal, single-batch commit.
#include "server/master/namespace/txn.h"
#include "server/master/store/extent_map.h"
#include "server/master/store/keys.h"
#include <cerrno>
#include <kj/debug.h>

namespace dfs {


kj::String volumeInodesCounter(uint64_t volumeId) { return kj::str("vol_inodes/", volumeId); }
kj::String volumeBytesCounter(uint64_t volumeId) { return kj::str("vol_bytes/", volumeId); }

Txn::Txn(MetaStore& store, Clock& clock, uint64_t volumeId, int64_t gcGraceNs)
    : db(store), volumeId(volumeId), graceNs(gcGraceNs), nowNs(clock.nowNs()) {}

kj::Maybe<Inode&> Txn::inode(uint64_t ino) {
  if (removed.count(ino)) return nullptr;
  auto it = inodes.find(ino);
  if (it != inodes.end()) return it->second;
  KJ_IF_MAYBE(loaded, loadInode(db, ino)) {
    if (loaded->volumeId != volumeId) return nullptr;
    origSize[ino] = loaded->isReg() ? loaded->size : 0;
    return inodes.emplace(ino, kj::mv(*loaded)).first->second;
  }
  return nullptr;
}

int Txn::dir(uint64_t ino, Inode*& out) {
  KJ_IF_MAYBE(node, inode(ino)) {
    if (!node->isDir()) return ENOTDIR;
    out = node;
    return 0;
  }
  return ENOENT;
}

uint64_t Txn::reserveInodes(uint32_t count) {
  uint64_t first;
  KJ_IF_MAYBE(n, nextIno) {
    first = *n;
  } else {
    first = getCounter(db, kNextInoCounter, kFirstIno);
  }
  nextIno = first + count;
  return first;
}

Inode& Txn::newInode(uint32_t mode, uint32_t uid, uint32_t gid) {
  return newInodeAt(reserveInodes(1), mode, uid, gid);
}

Inode& Txn::newInodeAt(uint64_t ino, uint32_t mode, uint32_t uid, uint32_t gid) {
  ++inodesAt;
  Inode node;
  node.ino = ino;
  node.mode = mode;
  node.nlink = 1;
  node.uid = uid;
  node.gid = gid;
  node.atimeNs = node.mtimeNs = node.ctimeNs = nowNs;
  node.volumeId = volumeId;
  origSize[ino] = 0;
  return inodes.emplace(ino, kj::mv(node)).first->second;
}

void Txn::removeInode(uint64_t ino) {
  auto it = inodes.find(ino);
  KJ_REQUIRE(it != inodes.end(), "removeInode of an inode not loaded", ino);
  // Directories are never kept (open ones are not counted).
  if (openFiles != nullptr && !it->second.isDir() && openFiles->isOpen(ino)) {
    it->second.nlink = 0;
    wb.put(keys::orphan(ino), BytesPtr());
    return;
  }
  if (it->second.hasXattrs) {
    for (auto& name : xattrNames(ino)) delXattr(ino, name);
  }
  if (it->second.isReg()) {
    ExtentOverlay overlay(db, ino, 0, UINT64_MAX);
    overlay.removeAll();
    flushExtents(it->second, overlay);
  }
  removed.insert(ino);
}

void Txn::dropOrphan(uint64_t ino) {
  const OpenFiles* saved = openFiles;
  openFiles = nullptr;
  removeInode(ino);
  openFiles = saved;
  wb.del(keys::orphan(ino));
}

kj::Maybe<DirentValue> Txn::dirent(uint64_t parent, BytesPtr name) {
  KJ_IF_MAYBE(v, db.get(keys::dirent(parent, name))) {
    return decodeDirent(*v);
  }
  return nullptr;
}

void Txn::putDirent(uint64_t parent, BytesPtr name, const Inode& child) {
  wb.put(keys::dirent(parent, name), encodeDirent(child.ino, child.dirType()));
}

void Txn::delDirent(uint64_t parent, BytesPtr name) { wb.del(keys::dirent(parent, name)); }

bool Txn::dirIsEmpty(uint64_t dir) {
  auto prefix = keys::direntPrefix(dir);
  auto it = db.newPrefixIterator(prefix);
  it->seek(prefix);
  return !(it->valid() && keys::hasPrefix(it->key(), prefix));
}

void Txn::flushExtents(Inode& node, ExtentOverlay& overlay) {
  int64_t change = overlay.mappedChange();
  KJ_REQUIRE(change >= 0 || static_cast<uint64_t>(-change) <= node.allocated,
             "allocated bytes would go negative", node.ino, node.allocated, change);
  node.allocated += static_cast<uint64_t>(change);  // wraps correctly for change < 0
  addRefDeltas(overlay.flush(wb));
}

kj::Maybe<Bytes> Txn::xattr(uint64_t ino, BytesPtr name) {
  return db.get(keys::xattr(ino, name));
}

void Txn::putXattr(uint64_t ino, BytesPtr name, BytesPtr value) {
  auto it = inodes.find(ino);
  KJ_REQUIRE(it != inodes.end(), "putXattr on an inode not loaded", ino);
  it->second.hasXattrs = true;
  wb.put(keys::xattr(ino, name), value);
}

void Txn::delXattr(uint64_t ino, BytesPtr name) { wb.del(keys::xattr(ino, name)); }

kj::Vector<Bytes> Txn::xattrNames(uint64_t ino) {
  kj::Vector<Bytes> names;
  auto prefix = keys::xattrPrefix(ino);
  auto it = db.newPrefixIterator(prefix);
  for (it->seek(prefix); it->valid() && keys::hasPrefix(it->key(), prefix); it->next()) {
    names.add(copyBytes(keys::xattrName(it->key())));
  }
  return names;
}

void Txn::addRefDeltas(const std::map<BlockId, int64_t>& deltas) {
  for (auto& d : deltas) refDeltas[d.first] += d.second;
}

void Txn::addNewBlock(BlockId id, NewBlockInfo info) {
  info.volumeId = volumeId;
  newBlocks.erase(id);
  newBlocks.emplace(id, kj::mv(info));
}

void Txn::commit() {
  int64_t inodeDelta = 0;
  int64_t bytesDelta = 0;
  for (auto& entry : inodes) {
    uint64_t ino = entry.first;
    Inode& node = entry.second;
    uint64_t before = origSize[ino];
    if (removed.count(ino)) {
      wb.del(keys::inode(ino));
      bytesDelta -= static_cast<int64_t>(before);
      --inodeDelta;
      continue;
    }
    wb.put(keys::inode(ino), node.encode());
    if (node.isReg()) bytesDelta += static_cast<int64_t>(node.size) - static_cast<int64_t>(before);
  }
  inodeDelta += inodesAt;
  KJ_IF_MAYBE(n, nextIno) putCounter(wb, kNextInoCounter, *n);
  if (inodeDelta != 0) {
    auto name = volumeInodesCounter(volumeId);
    putCounter(wb, name, getCounter(db, name) + inodeDelta);
  }
  if (bytesDelta != 0) {
    auto name = volumeBytesCounter(volumeId);
    putCounter(wb, name, getCounter(db, name) + bytesDelta);
  }

  // Blocks committed but fully overwritten within the same commit net to zero references:
  // record them (refs 0) with a GC key so their copies are still reclaimed.
  std::map<BlockId, NewBlockInfo> unseen;
  for (auto& nb : newBlocks) {
    auto it = refDeltas.find(nb.first);
    if (it != refDeltas.end() && it->second != 0) continue;
    if (blockRefs(db, nb.first) != nullptr) continue;
    putUnreferencedBlock(wb, nb.first, nb.second, nowNs, graceNs);
  }
  applyRefDeltas(db, wb, refDeltas, newBlocks, nowNs, graceNs);
  db.write(wb);
}

}  // namespace dfs
