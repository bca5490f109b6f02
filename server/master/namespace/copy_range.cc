// Namespace copyRange: copy_file_range(2) as a reflink — the destination range points at
// the source's blocks (one more reference per piece); no data moves.
#include "server/master/namespace/namespace.h"
#include "common/base/limits.h"
#include <cerrno>

namespace dfs {

int Namespace::copyRange(uint64_t inoIn, uint64_t offIn, uint64_t inoOut, uint64_t offOut,
                         uint64_t length, bool killPrivs, uint64_t& copied, Inode& out) {
  copied = 0;
  auto t = txn();
  Inode* src = nullptr;
  Inode* dst = nullptr;
  KJ_IF_MAYBE(n, t.inode(inoIn)) { src = n; } else { return ENOENT; }
  KJ_IF_MAYBE(n, t.inode(inoOut)) { dst = n; } else { return ENOENT; }
  if (src->isDir() || dst->isDir()) return EISDIR;
  if (!src->isReg() || !dst->isReg()) return EINVAL;

  // Shortened to the source's end, as generic_copy_file_checks does.
  uint64_t n = offIn >= src->size ? 0 : kj::min(length, src->size - offIn);
  n = kj::min(n, kMaxCopyRange);
  if (n == 0) {
    out = dst->clone();
    return 0;
  }
  if (offOut > kMaxFileSize || n > kMaxFileSize - offOut) return EFBIG;
  if (inoIn == inoOut && offOut < offIn + n && offIn < offOut + n) return EINVAL;

  // Source pieces clipped to the range and moved to the destination's offsets; gaps
  // between them are holes, which punch() leaves in the destination.
  kj::Vector<ExtentPiece> moved;
  for (auto& p : readExtents(store, inoIn, offIn, n)) {
    uint64_t from = kj::max(p.fileOffset, offIn);
    uint64_t to = kj::min(p.end(), offIn + n);
    ExtentPiece piece = p.sub(from, to);
    piece.fileOffset = offOut + (from - offIn);
    // Inline bytes stay below kMaxInlineBytes in every file: past it they must become a
    // block, which only a mount can write. A short copy up to them, or EOPNOTSUPP when
    // the range starts with them (the mount copies those bytes itself).
    if (piece.isInline() && piece.end() > kMaxInlineBytes) {
      if (from == offIn) return EOPNOTSUPP;
      n = from - offIn;
      break;
    }
    moved.add(kj::mv(piece));
  }
  ExtentOverlay overlay(store, inoOut, offOut, offOut + n);
  overlay.punch(offOut, offOut + n);
  for (auto& piece : moved) overlay.write(piece);
  t.flushExtents(*dst, overlay);
  dst->size = kj::max(dst->size, offOut + n);
  dst->mtimeNs = dst->ctimeNs = t.now();
  if (killPrivs) killSuidgid(*dst);
  t.commit();
  copied = n;
  out = dst->clone();
  return 0;
}

}  // namespace dfs
