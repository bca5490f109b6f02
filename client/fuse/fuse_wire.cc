// FuseWire: INIT reply amendment and per-request kill flags (see fuse_wire.h).
#include "client/fuse/fuse_wire.h"

#include <kj/debug.h>
#include <linux/fuse.h>
#include <unistd.h>
#include <cerrno>
#include <algorithm>
#include <cstddef>
#include <cstring>

namespace dfs {

ssize_t FuseWire::read(int fd, void* buf, size_t size) {
  ssize_t n = ::read(fd, buf, size);
  if (n > 0) noteRequest(buf, static_cast<size_t>(n));
  return n;
}

ssize_t FuseWire::writev(int fd, struct iovec* iov, int count) {
  noteReply(iov, count);
  amendReply(iov, count);
  ssize_t n = ::writev(fd, iov, count);
  if (n < 0 && errno == EINVAL) answerRefusedReply(fd, iov, count);
  return n;
}

void FuseWire::answerRefusedReply(int fd, const struct iovec* iov, int count) {
  // The system call refused the reply before the kernel's FUSE code saw it (more pieces
  // than IOV_MAX, say). FUSE's own refusals end the request with EIO themselves.
  if (count < 1 || iov[0].iov_len < sizeof(struct fuse_out_header)) return;
  struct fuse_out_header refused;
  memcpy(&refused, iov[0].iov_base, sizeof(refused));
  if (refused.unique == 0 || refused.error != 0) return;  // a notification, or an error
  int saved = errno;
  struct fuse_out_header eio;
  memset(&eio, 0, sizeof(eio));
  eio.len = sizeof(eio);
  eio.error = -EIO;
  eio.unique = refused.unique;
  if (::write(fd, &eio, sizeof(eio)) == ssize_t(sizeof(eio))) refusedReplies++;
  KJ_LOG(ERROR, "a reply was refused; answered EIO instead", refused.unique, refused.len, count);
  errno = saved;
}

void FuseWire::noteRequest(const void* request, size_t size) {
  currentKill = false;
  struct fuse_in_header in;
  if (size < sizeof(in)) return;
  memcpy(&in, request, sizeof(in));
  if (in.opcode < counts.size()) counts[in.opcode]++;
  if (in.opcode != FUSE_FORGET && in.opcode != FUSE_BATCH_FORGET &&
      in.opcode != FUSE_INTERRUPT) {
    waiting++;
  }
  const char* arg = static_cast<const char*>(request) + sizeof(in);
  size_t argSize = size - sizeof(in);
  switch (in.opcode) {
    case FUSE_INIT: {
      struct fuse_init_in init;
      memset(&init, 0, sizeof(init));
      memcpy(&init, arg, std::min(argSize, sizeof(init)));
      initUnique = in.unique;
      kernelOffersKillPriv = (init.flags & FUSE_HANDLE_KILLPRIV_V2) != 0;
      break;
    }
    case FUSE_WRITE: {
      struct fuse_write_in write;
      if (argSize < sizeof(write)) return;
      memcpy(&write, arg, sizeof(write));
      currentKill = killPrivTaken && (write.write_flags & FUSE_WRITE_KILL_SUIDGID) != 0;
      break;
    }
    case FUSE_SETATTR: {
      struct fuse_setattr_in setattr;
      if (argSize < sizeof(setattr)) return;
      memcpy(&setattr, arg, sizeof(setattr));
      // The kernel sends an empty SETATTR where it used to send the bits' clearing: for
      // file_remove_privs (before a write, fallocate or copy_file_range by a caller
      // without CAP_FSETID) and for a chown to the same owner (-1, -1), which gets no
      // flag (fuse_do_setattr sets it only when uid or gid are given). Nothing else sends
      // one: utimensat with both times omitted returns before the file system.
      constexpr uint32_t kFields = FATTR_MODE | FATTR_UID | FATTR_GID | FATTR_SIZE |
                                   FATTR_ATIME | FATTR_MTIME | FATTR_ATIME_NOW |
                                   FATTR_MTIME_NOW;
      bool empty = (setattr.valid & kFields) == 0;
      currentKill = killPrivTaken && ((setattr.valid & FATTR_KILL_SUIDGID) != 0 || empty);
      break;
    }
    default:
      break;
  }
}

const char* FuseWire::opcodeName(uint32_t opcode) {
  switch (opcode) {
    case FUSE_LOOKUP: return "lookup";
    case FUSE_FORGET: return "forget";
    case FUSE_GETATTR: return "getattr";
    case FUSE_SETATTR: return "setattr";
    case FUSE_READLINK: return "readlink";
    case FUSE_SYMLINK: return "symlink";
    case FUSE_MKNOD: return "mknod";
    case FUSE_MKDIR: return "mkdir";
    case FUSE_UNLINK: return "unlink";
    case FUSE_RMDIR: return "rmdir";
    case FUSE_RENAME: return "rename";
    case FUSE_LINK: return "link";
    case FUSE_OPEN: return "open";
    case FUSE_READ: return "read";
    case FUSE_WRITE: return "write";
    case FUSE_STATFS: return "statfs";
    case FUSE_RELEASE: return "release";
    case FUSE_FSYNC: return "fsync";
    case FUSE_SETXATTR: return "setxattr";
    case FUSE_GETXATTR: return "getxattr";
    case FUSE_LISTXATTR: return "listxattr";
    case FUSE_REMOVEXATTR: return "removexattr";
    case FUSE_FLUSH: return "flush";
    case FUSE_INIT: return "init";
    case FUSE_OPENDIR: return "opendir";
    case FUSE_READDIR: return "readdir";
    case FUSE_RELEASEDIR: return "releasedir";
    case FUSE_FSYNCDIR: return "fsyncdir";
    case FUSE_GETLK: return "getlk";
    case FUSE_SETLK: return "setlk";
    case FUSE_SETLKW: return "setlkw";
    case FUSE_ACCESS: return "access";
    case FUSE_CREATE: return "create";
    case FUSE_INTERRUPT: return "interrupt";
    case FUSE_IOCTL: return "ioctl";
    case FUSE_POLL: return "poll";
    case FUSE_BATCH_FORGET: return "batch_forget";
    case FUSE_FALLOCATE: return "fallocate";
    case FUSE_READDIRPLUS: return "readdirplus";
    case FUSE_RENAME2: return "rename2";
    case FUSE_LSEEK: return "lseek";
    case FUSE_COPY_FILE_RANGE: return "copy_file_range";
    case FUSE_SYNCFS: return "syncfs";
    case FUSE_TMPFILE: return "tmpfile";
    default: return nullptr;
  }
}

void FuseWire::noteReply(const struct iovec* iov, int count) {
  // libfuse writes the header as the first piece; notifications carry unique 0.
  if (count < 1 || iov[0].iov_len < sizeof(struct fuse_out_header)) return;
  auto* out = static_cast<const struct fuse_out_header*>(iov[0].iov_base);
  if (out->unique == 0) return;
  answers++;
  if (waiting > 0) waiting--;
}

void FuseWire::amendReply(struct iovec* iov, int count) {
  if (initUnique == 0 || count < 1 || iov[0].iov_len != sizeof(struct fuse_out_header)) return;
  auto* out = static_cast<struct fuse_out_header*>(iov[0].iov_base);
  if (out->unique != initUnique) return;
  initUnique = 0;
  if (out->error != 0 || !wantKillPriv || !kernelOffersKillPriv) return;
  // libfuse sends the reply's body as the second piece; flags are its fourth word.
  constexpr size_t kFlagsEnd = offsetof(struct fuse_init_out, flags) + sizeof(uint32_t);
  if (count < 2 || iov[1].iov_len < kFlagsEnd) return;
  auto* init = static_cast<struct fuse_init_out*>(iov[1].iov_base);
  init->flags |= FUSE_HANDLE_KILLPRIV_V2;
  killPrivTaken = true;
}

}  // namespace dfs
