// Namespace touchAtime: the access time a read moves, by relatime rules.
#include "server/master/namespace/namespace.h"
#include <cerrno>

namespace dfs {

static constexpr int64_t kDayNs = 86'400'000'000'000LL;

int Namespace::touchAtime(uint64_t ino, Inode& out, bool& updated) {
  auto t = txn();
  Inode* node = nullptr;
  KJ_IF_MAYBE(n, t.inode(ino)) { node = n; } else { return ENOENT; }
  int64_t now = t.now();
  updated = node->atimeNs <= node->mtimeNs || node->atimeNs <= node->ctimeNs ||
            now - node->atimeNs >= kDayNs;
  if (updated) {
    node->atimeNs = now;
    t.commit();
  }
  out = node->clone();
  return 0;
}

}  // namespace dfs
