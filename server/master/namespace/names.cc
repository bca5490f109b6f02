// Name, symlink target and xattr name validation.
#include "server/master/namespace/names.h"
#include "common/base/limits.h"
#include <cerrno>
#include <cstring>

namespace dfs {

int validateName(BytesPtr name) {
  if (name.size() == 0) return EINVAL;
  if (name.size() > kNameMax) return ENAMETOOLONG;
  if (name.size() == 1 && name[0] == '.') return EINVAL;
  if (name.size() == 2 && name[0] == '.' && name[1] == '.') return EINVAL;
  for (auto c : name) {
    if (c == '/' || c == 0) return EINVAL;
  }
  return 0;
}

int validateSymlinkTarget(BytesPtr target) {
  if (target.size() == 0) return EINVAL;
  if (target.size() > kSymlinkMax) return ENAMETOOLONG;
  for (auto c : target) {
    if (c == 0) return EINVAL;
  }
  return 0;
}

namespace {

bool startsWith(BytesPtr name, kj::StringPtr prefix) {
  return name.size() >= prefix.size() &&
         memcmp(name.begin(), prefix.begin(), prefix.size()) == 0;
}

bool equals(BytesPtr name, kj::StringPtr text) {
  return name.size() == text.size() && memcmp(name.begin(), text.begin(), text.size()) == 0;
}

}  // namespace

int validateXattrName(BytesPtr name) {
  if (name.size() == 0 || name.size() > kXattrNameMax) return ERANGE;
  for (auto c : name) {
    if (c == 0) return EINVAL;
  }
  if (equals(name, "system.posix_acl_access") || equals(name, "system.posix_acl_default")) {
    return 0;
  }
  for (kj::StringPtr prefix : {"user."_kj, "trusted."_kj, "security."_kj}) {
    if (startsWith(name, prefix)) return name.size() > prefix.size() ? 0 : EINVAL;
  }
  return EOPNOTSUPP;
}

}  // namespace dfs
