// POSIX ACLs (shared by the master, which stores them, and the mount, which recognizes an
// ACL that only restates the mode): the Linux posix_acl_xattr value format and the POSIX.1e rules that tie an
// access ACL to the mode bits (setfacl -> mode, chmod -> ACL, inheritance at create).
//
// Value format (system.posix_acl_access / system.posix_acl_default), little-endian:
// a u32 version (2), then entries {u16 tag, u16 perm, u32 id}, in the order the kernel's
// posix_acl_valid() demands: USER_OBJ, USER*, GROUP_OBJ, GROUP*, MASK?, OTHER.
#pragma once

#include <kj/array.h>
#include <kj/string.h>
#include <cstdint>

namespace dfs {

constexpr kj::StringPtr kAclAccessXattr = "system.posix_acl_access"_kj;
constexpr kj::StringPtr kAclDefaultXattr = "system.posix_acl_default"_kj;

enum AclTag : uint16_t {
  ACL_TAG_USER_OBJ = 0x01,
  ACL_TAG_USER = 0x02,
  ACL_TAG_GROUP_OBJ = 0x04,
  ACL_TAG_GROUP = 0x08,
  ACL_TAG_MASK = 0x10,
  ACL_TAG_OTHER = 0x20,
};

struct AclEntry {
  uint16_t tag;
  uint16_t perm;  // rwx bits (4, 2, 1)
  uint32_t id;    // uid/gid for USER/GROUP; 0xffffffff otherwise
};

using Acl = kj::Array<AclEntry>;

// Parses and validates an ACL value. EINVAL for a malformed or invalid ACL (bad version
// or size, unknown tag, perm bits beyond rwx, entries out of order or missing). An ACL
// of zero entries (header only) is valid and means "no ACL".
int decodeAcl(kj::ArrayPtr<const kj::byte> value, Acl& out);
kj::Array<kj::byte> encodeAcl(kj::ArrayPtr<const AclEntry> acl);

// The permission bits an access ACL stands for (owner, group = mask if present else group
// entry, other) merged into `mode`'s other bits; true if the ACL says no more than those
// bits (only the three base entries), i.e. may be stored as the mode alone.
bool aclToMode(kj::ArrayPtr<const AclEntry> acl, uint32_t& mode);

// chmod of a file with access ACL `acl`: owner, mask (or group) and other entries take
// the new mode's bits.
void aclChmod(kj::ArrayPtr<AclEntry> acl, uint32_t mode);

// The access ACL of a new inode created with `mode` under a directory whose default ACL
// is `dflt` (POSIX.1e): entries are masked by the mode and the mode by the entries.
// Updates `mode`; returns true if the resulting ACL is needed (not just the mode), in
// which case `acl` holds it.
bool aclCreate(kj::ArrayPtr<const AclEntry> dflt, uint32_t& mode, Acl& acl);

}  // namespace dfs
