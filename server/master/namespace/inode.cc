// Inode record (de)serialization through schema/meta.capnp.
#include "server/master/namespace/inode.h"
#include "server/master/store/extent_map.h"
#include "server/master/store/keys.h"
#include <capnp/message.h>
#include <capnp/serialize.h>
#include <meta.capnp.h>
#include <cstring>
#include <kj/debug.h>

namespace dfs {

Inode Inode::clone() const {
  Inode c;
  c.ino = ino; c.mode = mode; c.nlink = nlink; c.uid = uid; c.gid = gid; c.rdev = rdev;
  c.size = size; c.atimeNs = atimeNs; c.mtimeNs = mtimeNs; c.ctimeNs = ctimeNs;
  c.generation = generation; c.allocated = allocated; c.volumeId = volumeId; c.parent = parent;
  c.hasXattrs = hasXattrs;
  c.symlinkTarget = kj::heapArray<kj::byte>(symlinkTarget.asPtr());
  return c;
}

Bytes Inode::encode() const {
  capnp::MallocMessageBuilder message;
  auto rec = message.initRoot<meta::InodeRecord>();
  toWire(rec.initAttr());
  rec.setVolumeId(volumeId);
  rec.setParent(parent);
  rec.setHasXattrs(hasXattrs);
  if (symlinkTarget.size() > 0) rec.setSymlinkTarget(symlinkTarget);
  auto words = capnp::messageToFlatArray(message);
  auto bytes = words.asBytes();
  return kj::heapArray<kj::byte>(bytes.begin(), bytes.size());
}

Inode Inode::decode(BytesPtr bytes) {
  KJ_REQUIRE(bytes.size() % sizeof(capnp::word) == 0, "malformed inode record", bytes.size());
  auto words = kj::heapArray<capnp::word>(bytes.size() / sizeof(capnp::word));
  memcpy(words.begin(), bytes.begin(), bytes.size());
  capnp::FlatArrayMessageReader reader(words);
  auto rec = reader.getRoot<meta::InodeRecord>();
  auto a = rec.getAttr();
  Inode i;
  i.ino = a.getIno();
  i.mode = a.getMode();
  i.nlink = a.getNlink();
  i.uid = a.getUid();
  i.gid = a.getGid();
  i.rdev = a.getRdev();
  i.size = a.getSize();
  i.atimeNs = a.getAtimeNs();
  i.mtimeNs = a.getMtimeNs();
  i.ctimeNs = a.getCtimeNs();
  i.generation = a.getGeneration();
  i.allocated = a.getAllocatedBytes();  // all ones if absent: loadInode counts it
  i.volumeId = rec.getVolumeId();
  i.parent = rec.getParent();
  i.hasXattrs = rec.getHasXattrs();
  auto target = rec.getSymlinkTarget();
  i.symlinkTarget = kj::heapArray<kj::byte>(target.begin(), target.size());
  return i;
}

void Inode::toWire(wire::Attr::Builder a) const {
  a.setIno(ino);
  a.setMode(mode);
  a.setNlink(nlink);
  a.setUid(uid);
  a.setGid(gid);
  a.setRdev(rdev);
  a.setSize(size);
  a.setAtimeNs(atimeNs);
  a.setMtimeNs(mtimeNs);
  a.setCtimeNs(ctimeNs);
  a.setGeneration(generation);
  a.setAllocatedBytes(allocated);
  a.setNoXattrs(!hasXattrs);
}

kj::Maybe<Inode> loadInode(MetaStore& store, uint64_t ino) {
  KJ_IF_MAYBE(bytes, store.get(keys::inode(ino))) {
    auto node = Inode::decode(*bytes);
    if (node.allocated == UINT64_MAX) {
      node.allocated = 0;
      if (node.isReg()) {
        for (auto& piece : readExtents(store, ino, 0, UINT64_MAX)) node.allocated += piece.length;
      }
    }
    return node;
  }
  return nullptr;
}

}  // namespace dfs
