// Validation of directory entry names, symlink targets and xattr names (POSIX/Linux rules).
#pragma once

#include "server/master/store/meta_store.h"

namespace dfs {

// 0 if `name` may name a directory entry; ENAMETOOLONG above kNameMax bytes; EINVAL if
// empty, ".", "..", or containing '/' or NUL.
int validateName(BytesPtr name);

// 0 if `target` is a valid symlink target (1..kSymlinkMax bytes, no NUL); else
// ENAMETOOLONG (too long) or EINVAL.
int validateSymlinkTarget(BytesPtr target);

// Extended attribute names the master stores: "user.", "trusted.", "security." + a
// non-empty suffix, and "system.posix_acl_access" / "system.posix_acl_default".
constexpr size_t kXattrNameMax = 255;     // XATTR_NAME_MAX
constexpr size_t kXattrValueMax = 65536;  // XATTR_SIZE_MAX
constexpr size_t kXattrListMax = 65536;   // XATTR_LIST_MAX: all names + NULs of one inode

// 0 if `name` is such a name; ERANGE if empty or longer than kXattrNameMax; EINVAL for a
// known prefix without suffix or a NUL byte; EOPNOTSUPP for any other namespace (as ext4).
int validateXattrName(BytesPtr name);

}  // namespace dfs
