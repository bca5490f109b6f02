// The libfuse low-level operation table: C callbacks that forward to the Filesystem.
#include "client/fs/filesystem.h"

#include <cstring>

namespace dfs {
namespace {

Filesystem& fs(fuse_req_t req) { return *static_cast<Filesystem*>(fuse_req_userdata(req)); }

void opInit(void* userdata, struct fuse_conn_info* conn) {
  // Large requests; data arrives in memory (no splice), replies come from RPC buffers.
  conn->max_write = 1 << 20;
  conn->max_readahead = 1 << 20;
  // -o max_read went to the kernel as a mount option; libfuse refuses an INIT reply that
  // does not repeat it.
  if (uint32_t maxRead = static_cast<Filesystem*>(userdata)->maxRead()) {
    conn->max_read = maxRead;
    if (conn->max_readahead > maxRead) conn->max_readahead = maxRead;
  }
  conn->want &= ~(FUSE_CAP_SPLICE_READ | FUSE_CAP_SPLICE_WRITE | FUSE_CAP_SPLICE_MOVE);
  conn->want &= ~FUSE_CAP_WRITEBACK_CACHE;
  // libfuse asks for atomic O_TRUNC by default: open() would then have to truncate itself.
  // Without it the kernel truncates through setattr (size 0, mtime/ctime now) before open.
  conn->want &= ~FUSE_CAP_ATOMIC_O_TRUNC;
  if (conn->capable & FUSE_CAP_ASYNC_READ) conn->want |= FUSE_CAP_ASYNC_READ;
  // Cached pages are dropped when attributes show another size or mtime (files are opened
  // with keep_cache, see Filesystem::setCacheFlags).
  if (conn->capable & FUSE_CAP_AUTO_INVAL_DATA) conn->want |= FUSE_CAP_AUTO_INVAL_DATA;
  // POSIX ACLs: the kernel enforces them (reading system.posix_acl_* through getxattr);
  // the master keeps the mode in step and makes new inodes inherit default ACLs. That
  // needs the umask unapplied: with DONT_MASK the kernel passes it along instead (the
  // master applies it when the parent has no default ACL).
  if ((conn->capable & FUSE_CAP_POSIX_ACL) && (conn->capable & FUSE_CAP_DONT_MASK)) {
    conn->want |= FUSE_CAP_POSIX_ACL | FUSE_CAP_DONT_MASK;
    static_cast<Filesystem*>(userdata)->setUmaskToMaster(true);
  }
  // fcntl and flock locks come to us (and so to the master) instead of staying local to
  // this kernel: they then hold across mounts.
  if (conn->capable & FUSE_CAP_POSIX_LOCKS) conn->want |= FUSE_CAP_POSIX_LOCKS;
  if (conn->capable & FUSE_CAP_FLOCK_LOCKS) conn->want |= FUSE_CAP_FLOCK_LOCKS;
}

void opLookup(fuse_req_t r, fuse_ino_t p, const char* n) { fs(r).lookup(r, p, n); }
void opForget(fuse_req_t r, fuse_ino_t, uint64_t) { fuse_reply_none(r); }
void opGetattr(fuse_req_t r, fuse_ino_t i, struct fuse_file_info*) { fs(r).getattr(r, i); }
void opSetattr(fuse_req_t r, fuse_ino_t i, struct stat* a, int s, struct fuse_file_info*) {
  fs(r).setattr(r, i, a, s);
}
void opReadlink(fuse_req_t r, fuse_ino_t i) { fs(r).readlink(r, i); }
void opMknod(fuse_req_t r, fuse_ino_t p, const char* n, mode_t m, dev_t d) {
  fs(r).mknod(r, p, n, m, d);
}
void opMkdir(fuse_req_t r, fuse_ino_t p, const char* n, mode_t m) { fs(r).mkdir(r, p, n, m); }
void opUnlink(fuse_req_t r, fuse_ino_t p, const char* n) { fs(r).unlink(r, p, n); }
void opRmdir(fuse_req_t r, fuse_ino_t p, const char* n) { fs(r).rmdir(r, p, n); }
void opSymlink(fuse_req_t r, const char* t, fuse_ino_t p, const char* n) {
  fs(r).symlink(r, t, p, n);
}
void opRename(fuse_req_t r, fuse_ino_t p, const char* n, fuse_ino_t np, const char* nn,
              unsigned int f) {
  fs(r).rename(r, p, n, np, nn, f);
}
void opLink(fuse_req_t r, fuse_ino_t i, fuse_ino_t np, const char* nn) { fs(r).link(r, i, np, nn); }
void opOpen(fuse_req_t r, fuse_ino_t i, struct fuse_file_info* fi) { fs(r).open(r, i, fi); }
void opRead(fuse_req_t r, fuse_ino_t i, size_t s, off_t o, struct fuse_file_info* fi) {
  fs(r).read(r, i, s, o, fi);
}
void opWrite(fuse_req_t r, fuse_ino_t i, const char* b, size_t s, off_t o,
             struct fuse_file_info* fi) {
  fs(r).write(r, i, b, s, o, fi);
}
void opFlush(fuse_req_t r, fuse_ino_t i, struct fuse_file_info* fi) { fs(r).flush(r, i, fi); }
void opRelease(fuse_req_t r, fuse_ino_t i, struct fuse_file_info* fi) { fs(r).release(r, i, fi); }
void opFsync(fuse_req_t r, fuse_ino_t i, int d, struct fuse_file_info* fi) {
  fs(r).fsync(r, i, d, fi);
}
void opOpendir(fuse_req_t r, fuse_ino_t i, struct fuse_file_info* fi) { fs(r).opendir(r, i, fi); }
void opReaddir(fuse_req_t r, fuse_ino_t i, size_t s, off_t o, struct fuse_file_info* fi) {
  fs(r).readdir(r, i, s, o, fi);
}
void opReaddirplus(fuse_req_t r, fuse_ino_t i, size_t s, off_t o, struct fuse_file_info* fi) {
  fs(r).readdirplus(r, i, s, o, fi);
}
void opReleasedir(fuse_req_t r, fuse_ino_t i, struct fuse_file_info* fi) {
  fs(r).releasedir(r, i, fi);
}
void opFsyncdir(fuse_req_t r, fuse_ino_t i, int d, struct fuse_file_info* fi) {
  fs(r).fsyncdir(r, i, d, fi);
}
void opStatfs(fuse_req_t r, fuse_ino_t i) { fs(r).statfs(r, i); }
void opSetxattr(fuse_req_t r, fuse_ino_t i, const char* n, const char* v, size_t s, int f) {
  fs(r).setxattr(r, i, n, v, s, f);
}
void opGetxattr(fuse_req_t r, fuse_ino_t i, const char* n, size_t s) {
  fs(r).getxattr(r, i, n, s);
}
void opListxattr(fuse_req_t r, fuse_ino_t i, size_t s) { fs(r).listxattr(r, i, s); }
void opRemovexattr(fuse_req_t r, fuse_ino_t i, const char* n) { fs(r).removexattr(r, i, n); }
void opCreate(fuse_req_t r, fuse_ino_t p, const char* n, mode_t m, struct fuse_file_info* fi) {
  fs(r).create(r, p, n, m, fi);
}
void opFallocate(fuse_req_t r, fuse_ino_t i, int m, off_t o, off_t l, struct fuse_file_info* fi) {
  fs(r).fallocate(r, i, m, o, l, fi);
}
void opLseek(fuse_req_t r, fuse_ino_t i, off_t o, int w, struct fuse_file_info* fi) {
  fs(r).lseek(r, i, o, w, fi);
}
void opCopyFileRange(fuse_req_t r, fuse_ino_t in, off_t offIn, struct fuse_file_info*,
                     fuse_ino_t out, off_t offOut, struct fuse_file_info*, size_t len,
                     int flags) {
  fs(r).copyFileRange(r, in, offIn, out, offOut, len, flags);
}
void opGetlk(fuse_req_t r, fuse_ino_t i, struct fuse_file_info* fi, struct flock* l) {
  fs(r).getlk(r, i, fi, l);
}
void opSetlk(fuse_req_t r, fuse_ino_t i, struct fuse_file_info* fi, struct flock* l, int s) {
  fs(r).setlk(r, i, fi, l, s);
}
void opFlock(fuse_req_t r, fuse_ino_t i, struct fuse_file_info* fi, int op) {
  fs(r).flock(r, i, fi, op);
}

ssize_t ioRead(int fd, void* buf, size_t size, void* userdata) {
  return static_cast<Filesystem*>(userdata)->kernelWire().read(fd, buf, size);
}
ssize_t ioWritev(int fd, struct iovec* iov, int count, void* userdata) {
  return static_cast<Filesystem*>(userdata)->kernelWire().writev(fd, iov, count);
}

struct fuse_lowlevel_ops makeOps() {
  struct fuse_lowlevel_ops ops;
  memset(&ops, 0, sizeof(ops));
  ops.init = opInit;
  ops.lookup = opLookup;
  ops.forget = opForget;
  ops.getattr = opGetattr;
  ops.setattr = opSetattr;
  ops.readlink = opReadlink;
  ops.mknod = opMknod;
  ops.mkdir = opMkdir;
  ops.unlink = opUnlink;
  ops.rmdir = opRmdir;
  ops.symlink = opSymlink;
  ops.rename = opRename;
  ops.link = opLink;
  ops.open = opOpen;
  ops.read = opRead;
  ops.write = opWrite;
  ops.flush = opFlush;
  ops.release = opRelease;
  ops.fsync = opFsync;
  ops.opendir = opOpendir;
  ops.readdir = opReaddir;
  ops.readdirplus = opReaddirplus;
  ops.releasedir = opReleasedir;
  ops.fsyncdir = opFsyncdir;
  ops.statfs = opStatfs;
  ops.create = opCreate;
  ops.fallocate = opFallocate;
  ops.lseek = opLseek;
  ops.copy_file_range = opCopyFileRange;
  ops.setxattr = opSetxattr;
  ops.getxattr = opGetxattr;
  ops.listxattr = opListxattr;
  ops.removexattr = opRemovexattr;
  ops.getlk = opGetlk;
  ops.setlk = opSetlk;
  ops.flock = opFlock;
  return ops;
}

}  // namespace

const struct fuse_lowlevel_ops& lowlevelOps() {
  static const struct fuse_lowlevel_ops ops = makeOps();
  return ops;
}

const struct fuse_custom_io& lowlevelIo() {
  // No splice: requests and replies go through memory (opInit turns splice off).
  static const struct fuse_custom_io io = {ioWritev, ioRead, nullptr, nullptr};
  return io;
}

}  // namespace dfs
