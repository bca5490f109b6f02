// Atomic port-file writing.
#include "port_file.h"

#include <kj/debug.h>
#include <kj/io.h>
#include <fcntl.h>
#include <unistd.h>
#include <cstdio>

namespace dfs {

void writePortFile(kj::StringPtr path, unsigned port) {
  auto tmp = kj::str(path, ".tmp.", getpid());
  auto text = kj::str(port, "\n");
  int fd;
  KJ_SYSCALL(fd = open(tmp.cStr(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644), tmp);
  kj::AutoCloseFd closer(fd);
  KJ_SYSCALL(write(fd, text.begin(), text.size()), tmp);
  KJ_SYSCALL(fsync(fd), tmp);
  KJ_SYSCALL(rename(tmp.cStr(), path.cStr()), path);
}

}  // namespace dfs
