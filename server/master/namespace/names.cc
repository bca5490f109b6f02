// Name and symlink target validation.
#include "server/master/namespace/names.h"
#include "common/base/limits.h"
#include <cerrno>

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

}  // namespace dfs
