// Builders and parsers for the key layout documented in keys.h.
#include "server/master/store/keys.h"

#include <kj/debug.h>
#include <cstring>

namespace dfs {
namespace keys {
namespace {

void putBe64(kj::byte* out, uint64_t v) {
  for (int i = 7; i >= 0; --i) {
    out[i] = static_cast<kj::byte>(v);
    v >>= 8;
  }
}

// tag + be64 of each of `ints` + `tail`.
Bytes make(kj::byte tag, std::initializer_list<uint64_t> ints, BytesPtr tail = nullptr) {
  auto out = kj::heapArray<kj::byte>(1 + 8 * ints.size() + tail.size());
  out[0] = tag;
  kj::byte* p = out.begin() + 1;
  for (uint64_t v : ints) {
    putBe64(p, v);
    p += 8;
  }
  if (tail.size() > 0) memcpy(p, tail.begin(), tail.size());
  return out;
}

void requireKey(BytesPtr key, kj::byte tag, size_t minSize, bool exact) {
  KJ_REQUIRE(key.size() >= 1 && key[0] == tag, "wrong key table", (char)tag);
  KJ_REQUIRE(exact ? key.size() == minSize : key.size() >= minSize, "malformed key",
             (char)tag, key.size());
}

}  // namespace

Bytes volume(kj::StringPtr name) { return make(kVolume, {}, name.asBytes()); }
Bytes volumePrefix() { return make(kVolume, {}); }
Bytes inode(uint64_t ino) { return make(kInode, {ino}); }
Bytes dirent(uint64_t parent, BytesPtr name) { return make(kDirent, {parent}, name); }
Bytes dirent(uint64_t parent, kj::StringPtr name) { return dirent(parent, name.asBytes()); }
Bytes direntPrefix(uint64_t parent) { return make(kDirent, {parent}); }
Bytes extent(uint64_t ino, uint64_t fileOffset) { return make(kExtent, {ino, fileOffset}); }
Bytes extentPrefix(uint64_t ino) { return make(kExtent, {ino}); }
Bytes block(BlockId id) { return make(kBlock, {id.hi, id.lo}); }
Bytes blockPrefix() { return make(kBlock, {}); }
Bytes gc(int64_t dueNs, BlockId id) {
  KJ_REQUIRE(dueNs >= 0, "gc due time must not be negative", dueNs);
  return make(kGc, {static_cast<uint64_t>(dueNs), id.hi, id.lo});
}
Bytes gcPrefix() { return make(kGc, {}); }
Bytes node(uint64_t nodeId) { return make(kNode, {nodeId}); }
Bytes nodePrefix() { return make(kNode, {}); }
Bytes orphan(uint64_t ino) { return make(kOrphan, {ino}); }
Bytes orphanPrefix() { return make(kOrphan, {}); }
Bytes xattr(uint64_t ino, BytesPtr name) { return make(kXattr, {ino}, name); }
Bytes xattrPrefix(uint64_t ino) { return make(kXattr, {ino}); }
Bytes counter(kj::StringPtr name) { return make(kCounter, {}, name.asBytes()); }
Bytes lockHolder(uint64_t boot, uint64_t session) { return make(kLockHolder, {boot, session}); }
Bytes lockHolderPrefix() { return make(kLockHolder, {}); }

bool hasPrefix(BytesPtr key, BytesPtr prefix) {
  return key.size() >= prefix.size() &&
         (prefix.size() == 0 || memcmp(key.begin(), prefix.begin(), prefix.size()) == 0);
}

BytesPtr direntName(BytesPtr key) {
  requireKey(key, kDirent, 9, false);
  return key.slice(9, key.size());
}
BytesPtr xattrName(BytesPtr key) {
  requireKey(key, kXattr, 9, false);
  return key.slice(9, key.size());
}
uint64_t direntParent(BytesPtr key) {
  requireKey(key, kDirent, 9, false);
  return readBe64(key.slice(1, 9));
}
uint64_t extentIno(BytesPtr key) {
  requireKey(key, kExtent, 17, true);
  return readBe64(key.slice(1, 9));
}
uint64_t extentOffset(BytesPtr key) {
  requireKey(key, kExtent, 17, true);
  return readBe64(key.slice(9, 17));
}
BlockId blockIdOf(BytesPtr key) {
  requireKey(key, kBlock, 17, true);
  return {readBe64(key.slice(1, 9)), readBe64(key.slice(9, 17))};
}
int64_t gcDue(BytesPtr key) {
  requireKey(key, kGc, 25, true);
  return static_cast<int64_t>(readBe64(key.slice(1, 9)));
}
BlockId gcBlock(BytesPtr key) {
  requireKey(key, kGc, 25, true);
  return {readBe64(key.slice(9, 17)), readBe64(key.slice(17, 25))};
}
uint64_t orphanIno(BytesPtr key) {
  requireKey(key, kOrphan, 9, true);
  return readBe64(key.slice(1, 9));
}
uint64_t nodeIdOf(BytesPtr key) {
  requireKey(key, kNode, 9, true);
  return readBe64(key.slice(1, 9));
}
uint64_t lockHolderBoot(BytesPtr key) {
  requireKey(key, kLockHolder, 17, true);
  return readBe64(key.slice(1, 9));
}
uint64_t lockHolderSession(BytesPtr key) {
  requireKey(key, kLockHolder, 17, true);
  return readBe64(key.slice(9, 17));
}
uint64_t inodeOf(BytesPtr key) {
  requireKey(key, kInode, 9, true);
  return readBe64(key.slice(1, 9));
}

Bytes be64(uint64_t v) {
  auto out = kj::heapArray<kj::byte>(8);
  putBe64(out.begin(), v);
  return out;
}

uint64_t readBe64(BytesPtr p) {
  KJ_REQUIRE(p.size() >= 8, "need 8 bytes for a be64", p.size());
  uint64_t v = 0;
  for (size_t i = 0; i < 8; ++i) v = (v << 8) | p[i];
  return v;
}

Bytes prefixEnd(BytesPtr prefix) {
  auto out = kj::heapArray<kj::byte>(prefix);
  for (size_t n = out.size(); n > 0; --n) {
    if (out[n - 1] != 0xff) {
      out[n - 1]++;
      return kj::heapArray<kj::byte>(out.slice(0, n));
    }
  }
  return nullptr;
}

}  // namespace keys
}  // namespace dfs
