// Port files: how a daemon started on port 0 tells scripts and tests its bound port.
#pragma once

#include <kj/string.h>

namespace dfs {

// Writes "<port>\n" to `path` atomically (temp file in the same directory, fsync,
// rename), so a reader never sees a partial number. Throws on I/O errors.
void writePortFile(kj::StringPtr path, unsigned port);

}  // namespace dfs
