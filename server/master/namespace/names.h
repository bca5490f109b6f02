// Validation of directory entry names and symlink targets (POSIX rules).
#pragma once

#include "server/master/store/meta_store.h"

namespace dfs {

// 0 if `name` may name a directory entry; ENAMETOOLONG above kNameMax bytes; EINVAL if
// empty, ".", "..", or containing '/' or NUL.
int validateName(BytesPtr name);

// 0 if `target` is a valid symlink target (1..kSymlinkMax bytes, no NUL); else
// ENAMETOOLONG (too long) or EINVAL.
int validateSymlinkTarget(BytesPtr target);

}  // namespace dfs
