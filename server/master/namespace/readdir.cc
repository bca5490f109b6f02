// Namespace readdir: one page of a directory, in name order, with attributes.
#include "server/master/namespace/namespace.h"
#include "server/master/store/keys.h"
#include "server/master/store/records.h"
#include "common/base/limits.h"
#include <cerrno>
#include <kj/debug.h>

namespace dfs {

int Namespace::readdir(uint64_t ino, BytesPtr after, uint32_t maxEntries,
                       kj::Vector<DirEntryOut>& out, bool& eof) {
  KJ_REQUIRE(maxEntries > 0, "readdir needs maxEntries > 0");
  KJ_REQUIRE(after.size() <= kNameMax, "readdir 'after' longer than a name", after.size());
  uint32_t limit = kj::min(maxEntries, kMaxReaddirPage);
  KJ_IF_MAYBE(dir, load(ino)) {
    if (!dir->isDir()) return ENOTDIR;
  } else {
    return ENOENT;
  }
  auto prefix = keys::direntPrefix(ino);
  auto it = store.newPrefixIterator(prefix);
  it->seek(keys::dirent(ino, after));
  eof = true;
  while (it->valid() && keys::hasPrefix(it->key(), prefix)) {
    auto name = keys::direntName(it->key());
    if (name == after) {  // strictly after
      it->next();
      continue;
    }
    if (out.size() == limit) {
      eof = false;
      break;
    }
    auto entry = decodeDirent(it->value());
    KJ_IF_MAYBE(child, loadInode(store, entry.ino)) {
      out.add(DirEntryOut{copyBytes(name), kj::mv(*child)});
    } else {
      KJ_FAIL_REQUIRE("dangling directory entry", ino, entry.ino);
    }
    it->next();
  }
  return 0;
}

}  // namespace dfs
