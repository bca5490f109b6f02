// Reading and atomically writing DATA_DIR/node-id (decimal id and a newline).
#include "server/chunkserver/node/node_id_file.h"

#include <kj/debug.h>

namespace dfs {

uint64_t loadNodeId(Disk& disk, kj::StringPtr dataDir) {
  KJ_IF_MAYBE(file, disk.openRead(kj::str(dataDir, "/node-id"))) {
    kj::byte buf[32];
    size_t n = (*file)->readAt(0, buf);
    uint64_t id = 0;
    size_t digits = 0;
    for (size_t i = 0; i < n && buf[i] != '\n'; i++) {
      KJ_REQUIRE(buf[i] >= '0' && buf[i] <= '9' && digits < 19, "malformed node-id file");
      id = id * 10 + (buf[i] - '0');
      digits++;
    }
    return id;
  }
  return 0;
}

void saveNodeId(Disk& disk, kj::StringPtr dataDir, uint64_t id) {
  auto text = kj::str(id, "\n");
  auto tmp = kj::str(dataDir, "/tmp/node-id");
  disk.writeFileSynced(tmp, text.asBytes());
  disk.rename(tmp, kj::str(dataDir, "/node-id"));
  disk.syncDir(dataDir);
}

}  // namespace dfs
