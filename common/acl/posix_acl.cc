// POSIX ACL value codec and the mode <-> ACL rules of POSIX.1e (as Linux's posix_acl.c).
#include "common/acl/posix_acl.h"
#include <cerrno>
#include <sys/stat.h>

namespace dfs {
namespace {

constexpr uint32_t kAclVersion = 2;
constexpr size_t kHeaderSize = 4;
constexpr size_t kEntrySize = 8;
constexpr uint32_t kUndefinedId = 0xffffffff;

uint32_t le32(const kj::byte* p) {
  return uint32_t(p[0]) | uint32_t(p[1]) << 8 | uint32_t(p[2]) << 16 | uint32_t(p[3]) << 24;
}
uint16_t le16(const kj::byte* p) { return uint16_t(p[0] | p[1] << 8); }
void putLe32(kj::byte* p, uint32_t v) {
  for (int i = 0; i < 4; ++i) p[i] = kj::byte(v >> (8 * i));
}
void putLe16(kj::byte* p, uint16_t v) { p[0] = kj::byte(v); p[1] = kj::byte(v >> 8); }

// The kernel's posix_acl_valid(): entry order, required entries, mask when needed.
bool valid(kj::ArrayPtr<const AclEntry> acl) {
  enum { USER_OBJ, USER, GROUP, OTHER, DONE } state = USER_OBJ;
  bool needsMask = false;
  for (auto& e : acl) {
    if (e.perm & ~7u) return false;
    switch (e.tag) {
      case ACL_TAG_USER_OBJ:
        if (state != USER_OBJ) return false;
        state = USER;
        break;
      case ACL_TAG_USER:
        if (state != USER) return false;
        needsMask = true;
        break;
      case ACL_TAG_GROUP_OBJ:
        if (state != USER) return false;
        state = GROUP;
        break;
      case ACL_TAG_GROUP:
        if (state != GROUP) return false;
        needsMask = true;
        break;
      case ACL_TAG_MASK:
        if (state != GROUP) return false;
        state = OTHER;
        break;
      case ACL_TAG_OTHER:
        if (state != OTHER && !(state == GROUP && !needsMask)) return false;
        state = DONE;
        break;
      default:
        return false;
    }
  }
  return state == DONE;
}

}  // namespace

int decodeAcl(kj::ArrayPtr<const kj::byte> value, Acl& out) {
  if (value.size() < kHeaderSize || (value.size() - kHeaderSize) % kEntrySize != 0) {
    return EINVAL;
  }
  if (le32(value.begin()) != kAclVersion) return EINVAL;
  size_t count = (value.size() - kHeaderSize) / kEntrySize;
  auto acl = kj::heapArray<AclEntry>(count);
  for (size_t i = 0; i < count; ++i) {
    const kj::byte* p = value.begin() + kHeaderSize + i * kEntrySize;
    acl[i] = AclEntry{le16(p), le16(p + 2), le32(p + 4)};
    if (acl[i].tag != ACL_TAG_USER && acl[i].tag != ACL_TAG_GROUP) acl[i].id = kUndefinedId;
  }
  if (count > 0 && !valid(acl)) return EINVAL;
  out = kj::mv(acl);
  return 0;
}

kj::Array<kj::byte> encodeAcl(kj::ArrayPtr<const AclEntry> acl) {
  auto out = kj::heapArray<kj::byte>(kHeaderSize + acl.size() * kEntrySize);
  putLe32(out.begin(), kAclVersion);
  for (size_t i = 0; i < acl.size(); ++i) {
    kj::byte* p = out.begin() + kHeaderSize + i * kEntrySize;
    putLe16(p, acl[i].tag);
    putLe16(p + 2, acl[i].perm);
    putLe32(p + 4, acl[i].id);
  }
  return out;
}

bool aclToMode(kj::ArrayPtr<const AclEntry> acl, uint32_t& mode) {
  uint32_t bits = 0;
  bool equiv = true;
  for (auto& e : acl) {
    switch (e.tag) {
      case ACL_TAG_USER_OBJ: bits |= (e.perm & 7u) << 6; break;
      case ACL_TAG_GROUP_OBJ: bits |= (e.perm & 7u) << 3; break;
      case ACL_TAG_OTHER: bits |= e.perm & 7u; break;
      case ACL_TAG_MASK:
        bits = (bits & ~uint32_t(S_IRWXG)) | (e.perm & 7u) << 3;
        equiv = false;
        break;
      default: equiv = false; break;
    }
  }
  mode = (mode & ~uint32_t(S_IRWXU | S_IRWXG | S_IRWXO)) | bits;
  return equiv;
}

void aclChmod(kj::ArrayPtr<AclEntry> acl, uint32_t mode) {
  AclEntry* groupObj = nullptr;
  AclEntry* mask = nullptr;
  for (auto& e : acl) {
    switch (e.tag) {
      case ACL_TAG_USER_OBJ: e.perm = (mode >> 6) & 7; break;
      case ACL_TAG_GROUP_OBJ: groupObj = &e; break;
      case ACL_TAG_MASK: mask = &e; break;
      case ACL_TAG_OTHER: e.perm = mode & 7; break;
      default: break;
    }
  }
  AclEntry* group = mask != nullptr ? mask : groupObj;
  if (group != nullptr) group->perm = (mode >> 3) & 7;
}

bool aclCreate(kj::ArrayPtr<const AclEntry> dflt, uint32_t& modeInOut, Acl& out) {
  auto acl = kj::heapArray<AclEntry>(dflt);
  uint32_t mode = modeInOut;
  AclEntry* groupObj = nullptr;
  AclEntry* mask = nullptr;
  bool needed = false;
  for (auto& e : acl) {
    switch (e.tag) {
      case ACL_TAG_USER_OBJ:
        e.perm &= (mode >> 6) & 7;
        mode &= (e.perm << 6) | ~uint32_t(S_IRWXU);
        break;
      case ACL_TAG_USER: case ACL_TAG_GROUP: needed = true; break;
      case ACL_TAG_GROUP_OBJ: groupObj = &e; break;
      case ACL_TAG_OTHER:
        e.perm &= mode & 7;
        mode &= e.perm | ~uint32_t(S_IRWXO);
        break;
      case ACL_TAG_MASK: mask = &e; needed = true; break;
      default: break;
    }
  }
  AclEntry* group = mask != nullptr ? mask : groupObj;
  if (group != nullptr) {
    group->perm &= (mode >> 3) & 7;
    mode &= (group->perm << 3) | ~uint32_t(S_IRWXG);
  }
  modeInOut = mode;
  if (needed) out = kj::mv(acl);
  return needed;
}

}  // namespace dfs
