// Namespace file data: reading a file's extent map and committing newly written blocks
// (or a small file's bytes, inline).
#include "server/master/namespace/namespace.h"
#include "common/base/limits.h"
#include <cerrno>
#include <kj/debug.h>

namespace dfs {

int Namespace::getExtents(uint64_t ino, uint64_t offset, uint64_t length, Inode& attr,
                          kj::Vector<ExtentPiece>& out) {
  KJ_IF_MAYBE(node, load(ino)) {
    if (node->isDir()) return EISDIR;
    if (!node->isReg()) return EINVAL;
    out = readExtents(store, ino, offset, length);
    attr = kj::mv(*node);
    return 0;
  }
  return ENOENT;
}

static void validatePiece(const CommitPiece& p) {
  auto& e = p.piece;
  KJ_REQUIRE(e.length > 0, "commit extent of length 0");
  if (e.isInline()) {
    KJ_REQUIRE(e.inlineWellFormed(), "malformed inline commit extent", e.fileOffset, e.length,
               e.inlineData->size(), e.blockSize);
    KJ_REQUIRE(p.nodes.size() == 0, "inline commit extent with chunk servers");
    return;
  }
  KJ_REQUIRE(e.blockSize > 0 && e.blockSize <= kMaxBlockSize, "commit blockSize out of range",
             e.blockSize);
  KJ_REQUIRE(e.blockOffset <= e.blockSize && e.length <= e.blockSize - e.blockOffset,
             "commit extent past the end of its block", e.blockOffset, e.length, e.blockSize);
  KJ_REQUIRE(e.fileOffset <= (uint64_t(1) << 62) - e.length, "commit file offset out of range",
             e.fileOffset);
  KJ_REQUIRE(!e.block.isZero(), "commit of the zero block id");
  KJ_REQUIRE(p.nodes.size() <= kMaxReplicas, "too many nodes for one block", p.nodes.size());
}

int Namespace::commit(uint64_t ino, kj::ArrayPtr<const CommitPiece> pieces, uint64_t minSize,
                      Inode& out, int64_t writeTimeNs, const SetAttrArgs* attrs) {
  KJ_REQUIRE(pieces.size() <= kMaxCommitExtents, "too many extents in one commit",
             pieces.size());
  KJ_REQUIRE(minSize <= (uint64_t(1) << 62), "commit minSize out of range", minSize);
  uint64_t begin = UINT64_MAX, end = 0;
  for (auto& p : pieces) {
    validatePiece(p);
    begin = kj::min(begin, p.piece.fileOffset);
    end = kj::max(end, p.piece.end());
  }
  auto t = txn();
  Inode* node = nullptr;
  KJ_IF_MAYBE(n, t.inode(ino)) { node = n; } else { return ENOENT; }
  if (node->isDir()) return EISDIR;
  if (!node->isReg()) return EINVAL;

  if (pieces.size() > 0) {
    // Only what the pieces cover: scattered small writes must not load every piece
    // between the first and the last of them.
    auto ranges = kj::heapArrayBuilder<std::pair<uint64_t, uint64_t>>(pieces.size());
    for (auto& p : pieces) ranges.add(p.piece.fileOffset, p.piece.end());
    ExtentOverlay overlay(store, ino, ranges.finish());
    for (auto& p : pieces) {
      overlay.write(p.piece);
      if (p.piece.isInline()) continue;
      NewBlockInfo info{p.piece.blockSize, {}};
      for (auto id : p.nodes) info.nodes.add(id);
      t.addNewBlock(p.piece.block, kj::mv(info));
    }
    t.flushExtents(*node, overlay);
  }
  node->size = kj::max(node->size, kj::max(minSize, end));
  // The data changed when it was written, not now (a write-back client commits at
  // close): the client's time, decided here once, never later than this batch's time.
  int64_t when = writeTimeNs > 0 ? kj::min(writeTimeNs, t.now()) : t.now();
  node->mtimeNs = when;
  node->ctimeNs = kj::max(node->ctimeNs, when);
  if (attrs != nullptr) {
    SetAttrArgs changes = *attrs;
    changes.size = nullptr;  // sizes go with data
    if (!changes.anyField() && changes.ctimeNs == 0) {
      // Only the writes' kill of set-id bits: no time moves unless a bit goes.
      if (changes.killSuidgid && killSuidgid(*node)) {
        node->ctimeNs = kj::max(node->ctimeNs, t.now());
      }
    } else {
      int err = applySetAttr(t, *node, changes);
      if (err != 0) return err;
    }
  }
  t.commit();
  out = node->clone();
  return 0;
}

}  // namespace dfs
