// Filesystem: space operations — fallocate, lseek(SEEK_DATA/SEEK_HOLE), copy_file_range.
// Each first commits what this mount buffered for the file(s), then asks the master.
// SEEK_HOLE reports only holes of at least st_blksize (client/io/hole_scan.h).
#include "filesystem.h"
#include "common/base/limits.h"

#include <kj/debug.h>
#include <cerrno>
#include <unistd.h>

namespace dfs {
namespace {

constexpr uint64_t kFirstSeekWindow = uint64_t(256) << 20;  // 256 MiB, doubling
constexpr uint64_t kMaxSeekWindow = uint64_t(64) << 30;

}  // namespace

void Filesystem::fallocate(fuse_req_t req, fuse_ino_t ino, int mode, off_t offset,
                           off_t length, struct fuse_file_info* fi) {
  if (offset < 0 || length <= 0) return (void)fuse_reply_err(req, EINVAL);
  if (locksLost(fi)) return (void)fuse_reply_err(req, EIO);
  uint64_t i = toMaster(ino);
  bool kill = killsSetIdsItself(req);
  // Buffered writes first: a punch must remove them too, and must not be undone by a
  // later commit of older data.
  run(req, flushIfOpen(i)
               .then([this, i, mode, offset, length, kill]() {
                 return master.call([=](wire::Session::Client& s) {
                   auto r = s.fallocateRequest();
                   r.setIno(i);
                   r.setMode(static_cast<uint32_t>(mode));
                   r.setOffset(static_cast<uint64_t>(offset));
                   r.setLength(static_cast<uint64_t>(length));
                   r.setRequestId(0);
                   r.setKillSuidgid(kill);
                   return r.send();
                 });
               })
               .then([this, req, i](capnp::Response<wire::Session::FallocateResults> r) {
                 // The kernel itself drops its cached pages of a punched range
                 // (fuse_file_fallocate: truncate_pagecache_range) and the file's attrs.
                 if (r.getErr() == 0) {
                   KJ_IF_MAYBE(f, findOpen(i)) f->data->invalidateExtents();
                   changedHere(i);
                 }
                 fuse_reply_err(req, r.getErr());
               }));
}

void Filesystem::lseek(fuse_req_t req, fuse_ino_t ino, off_t off, int whence,
                       struct fuse_file_info*) {
  // The kernel answers SEEK_SET/CUR/END itself and sends only these two.
  if (whence != SEEK_DATA && whence != SEEK_HOLE) return (void)fuse_reply_err(req, EINVAL);
  if (off < 0) return (void)fuse_reply_err(req, ENXIO);
  uint64_t i = toMaster(ino);
  bool data = whence == SEEK_DATA;
  // Data buffered here is committed first, so the master's extent map is the whole truth.
  run(req, flushIfOpen(i)
               .then([this, i, off, data]() {
                 uint64_t from = HoleScan::scanFrom(static_cast<uint64_t>(off), kBlockSize);
                 return seekExtents(i, static_cast<uint64_t>(off), data, from,
                                    kFirstSeekWindow, nullptr);
               })
               .then([req](int64_t pos) {
                 if (pos < 0) return (void)fuse_reply_err(req, static_cast<int>(-pos));
                 fuse_reply_lseek(req, pos);
               }));
}

kj::Promise<int64_t> Filesystem::seekExtents(uint64_t ino, uint64_t off, bool data,
                                             uint64_t from, uint64_t window,
                                             kj::Maybe<kj::Own<HoleScan>> scanIn) {
  return master
      .call([ino, from, window](wire::Session::Client& s) {
        auto r = s.getExtentsRequest();
        r.setIno(ino);
        r.setOffset(from);
        r.setLength(window);
        return r.send();
      })
      .then([this, ino, off, data, from, window, scanIn = kj::mv(scanIn)](
                capnp::Response<wire::Session::GetExtentsResults> r) mutable
            -> kj::Promise<int64_t> {
        if (r.getErr() != 0) return -static_cast<int64_t>(r.getErr());
        kj::Own<HoleScan> scan;
        KJ_IF_MAYBE(s, scanIn) {
          scan = kj::mv(*s);
        } else {
          uint64_t size = r.getAttr().getSize();
          if (off >= size) return -static_cast<int64_t>(ENXIO);
          scan = kj::heap<HoleScan>(off, data, size, kBlockSize);
        }
        for (auto e : r.getExtents()) {
          KJ_IF_MAYBE(hit, scan->piece(e.getFileOffset(), e.getFileOffset() + e.getLength())) {
            return static_cast<int64_t>(*hit);
          }
        }
        uint64_t end = window > UINT64_MAX - from ? UINT64_MAX : from + window;
        if (end >= scan->fileSize()) {
          KJ_IF_MAYBE(hit, scan->finish()) return static_cast<int64_t>(*hit);
          return -static_cast<int64_t>(ENXIO);
        }
        return seekExtents(ino, off, data, end, kj::min(window * 2, kMaxSeekWindow),
                           kj::mv(scan));
      });
}

void Filesystem::copyFileRange(fuse_req_t req, fuse_ino_t inoIn, off_t offIn,
                               fuse_ino_t inoOut, off_t offOut, size_t len, int flags) {
  if (flags != 0 || offIn < 0 || offOut < 0) return (void)fuse_reply_err(req, EINVAL);
  uint64_t in = toMaster(inoIn), out = toMaster(inoOut);
  bool kill = killsSetIdsItself(req);
  // Both files' buffered writes first: the copy shares the committed blocks.
  run(req, flushIfOpen(in)
               .then([this, out]() { return flushIfOpen(out); })
               .then([this, in, offIn, out, offOut, len, kill]() {
                 return master.call([=](wire::Session::Client& s) {
                   auto r = s.copyRangeRequest();
                   r.setInoIn(in);
                   r.setOffsetIn(static_cast<uint64_t>(offIn));
                   r.setInoOut(out);
                   r.setOffsetOut(static_cast<uint64_t>(offOut));
                   r.setLength(len);
                   r.setRequestId(0);
                   r.setKillSuidgid(kill);
                   return r.send();
                 });
               })
               .then([this, req, in, offIn, out, offOut, len, kill](
                         capnp::Response<wire::Session::CopyRangeResults> r) -> kj::Promise<void> {
                 uint64_t from = static_cast<uint64_t>(offIn);
                 if (r.getErr() == EOPNOTSUPP && from < kMaxInlineBytes) {
                   // The range starts with a small file's inline bytes, which may not
                   // land that far into the destination: copy them (at most 64 KiB) here.
                   // The caller comes back for the rest, which shares blocks again.
                   uint64_t n = kj::min(uint64_t(len), kMaxInlineBytes - from);
                   return copyThroughMount(req, in, from, out, static_cast<uint64_t>(offOut), n,
                                          kill);
                 }
                 if (r.getErr() != 0) {
                   fuse_reply_err(req, r.getErr());
                   return kj::READY_NOW;
                 }
                 // The kernel drops its cached pages of the destination range itself
                 // (fuse_copy_file_range truncates them after the reply).
                 KJ_IF_MAYBE(f, findOpen(out)) f->data->invalidateExtents();
                 changedHere(out);
                 rememberAttr(r.getAttr());
                 fuse_reply_write(req, r.getCopied());
                 return kj::READY_NOW;
               }));
}

kj::Promise<void> Filesystem::copyThroughMount(fuse_req_t req, uint64_t in, uint64_t offIn,
                                               uint64_t out, uint64_t offOut, uint64_t n,
                                               bool killSuidgid) {
  FileData* src = nullptr;
  FileData* dst = nullptr;
  KJ_IF_MAYBE(f, findOpen(in)) src = f->data.get();
  KJ_IF_MAYBE(f, findOpen(out)) dst = f->data.get();
  if (src == nullptr || dst == nullptr) {
    fuse_reply_err(req, EBADF);
    return kj::READY_NOW;
  }
  return src->read(offIn, n).then([this, req, dst, out, offOut, killSuidgid](
                                      ReadResult read) -> kj::Promise<void> {
    auto bytes = read.flatten();
    size_t got = bytes.size();
    if (got == 0) {
      fuse_reply_write(req, 0);
      return kj::READY_NOW;
    }
    dirCache.attrsChanged(out);
    if (killSuidgid) dst->killSuidgidWithData();
    // Committed before the reply, like the copies the master makes.
    return dst->write(offOut, kj::mv(bytes), wallClock.nowNs())
        .then([dst]() { return dst->flush(); })
        .then([this, req, dst, out, got]() {
          changedHere(out);
          KJ_IF_MAYBE(a, dst->takeCommittedAttr()) rememberAttr(*a);
          fuse_reply_write(req, got);
        });
  });
}

}  // namespace dfs
