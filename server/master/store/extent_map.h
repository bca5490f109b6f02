// Extent map arithmetic: reading a file's pieces and editing them as one write batch.
#pragma once

#include "common/base/block_id.h"
#include "server/master/store/meta_store.h"
#include <cstdint>
#include <map>
#include <memory>

namespace dfs {

// The bytes of an inline piece, shared by the copies of the piece and never changed.
using InlineBytes = std::shared_ptr<const kj::Array<kj::byte>>;
InlineBytes makeInlineBytes(kj::ArrayPtr<const kj::byte> bytes);

// One piece of a file's extent map: file bytes [fileOffset, fileOffset+length) are block
// `block`'s bytes [blockOffset, blockOffset+length). blockSize is the whole block's size.
// An inline piece has no block: `inlineData` holds exactly its `length` bytes (a small
// file's data kept by the master), block is zero, blockOffset 0 and blockSize = length.
// Stored under keys::extent(ino, fileOffset) as a meta.ExtentRecord. Pieces of one file
// never overlap; gaps are holes (read as zeros).
struct ExtentPiece {
  uint64_t fileOffset;
  uint64_t length;
  BlockId block;
  uint64_t blockOffset;
  uint64_t blockSize;
  InlineBytes inlineData = nullptr;

  uint64_t end() const { return fileOffset + length; }
  bool isInline() const { return inlineData != nullptr; }
  // An inline piece as every inline piece must be: exactly `length` bytes, no block
  // (zero id, blockOffset 0, blockSize = length), ending within kMaxInlineBytes.
  bool inlineWellFormed() const;
  // The part of this piece covering file bytes [from, to) (inside it, from < to): the
  // same block at the matching offset, or the matching slice of the inline bytes.
  ExtentPiece sub(uint64_t from, uint64_t to) const;
  bool operator==(const ExtentPiece& o) const;
  bool operator!=(const ExtentPiece& o) const { return !(*this == o); }
};

// An inline piece of `bytes` at `fileOffset`.
ExtentPiece inlinePiece(uint64_t fileOffset, kj::ArrayPtr<const kj::byte> bytes);

// Decodes the piece stored at an extent key/value pair.
ExtentPiece decodeExtent(BytesPtr key, BytesPtr value);
Bytes encodeExtentValue(const ExtentPiece& piece);

// All pieces of `ino` overlapping [offset, offset+length) in file order, unclipped (the
// first may start before `offset`, the last may end past offset+length). length 0 -> none.
// length may be UINT64_MAX - offset or more, meaning "to the end of the file".
kj::Vector<ExtentPiece> readExtents(MetaStore& store, uint64_t ino, uint64_t offset,
                                    uint64_t length);

// An in-memory edit of one file's extent map, written out as one batch. Only the loaded
// window [begin, end) may be edited; edits must stay inside it (KJ_REQUIRE).
class ExtentOverlay {
public:
  // Loads the pieces of `ino` overlapping [begin, end) (end = UINT64_MAX means to EOF).
  // Pieces straddling the window are loaded whole, so edits at the window edge are exact.
  ExtentOverlay(MetaStore& store, uint64_t ino, uint64_t begin, uint64_t end);
  // Loads only the pieces overlapping the given ranges ([first, second), in any order,
  // possibly overlapping): a commit of scattered small writes then reads what it edits,
  // not every piece between its first and last write. Edits must each lie within one of
  // the (merged) ranges; truncate() and removeAll() need a single window.
  ExtentOverlay(MetaStore& store, uint64_t ino,
                kj::ArrayPtr<const std::pair<uint64_t, uint64_t>> ranges);

  // Maps piece.fileOffset..end() to the piece's block range (or inline bytes). Later
  // writes win: existing pieces overlapping it are trimmed or split (an inline piece's
  // bytes are sliced). length 0 is a no-op. KJ_REQUIREs blockOffset + length <=
  // blockSize, no offset overflow, and a non-zero block or inline bytes of `length`.
  void write(const ExtentPiece& piece);

  // Drops everything at or past `size`; a piece straddling `size` is trimmed. Growing
  // (size past the last piece) is a no-op: the gap is a hole. Requires end == UINT64_MAX.
  void truncate(uint64_t size);

  // Makes [from, to) a hole: pieces inside are dropped, pieces across an edge are trimmed
  // or split. The range must lie inside the loaded window (KJ_REQUIRE).
  void punch(uint64_t from, uint64_t to);

  // Removes every piece (file deleted). Requires begin == 0 and end == UINT64_MAX.
  // Note: the whole map is loaded into memory by the constructor and flush() emits one
  // delete per piece into a single batch; fine for thousands of pieces, heavy for
  // millions (a later version can delete a range in chunks, or use a range tombstone).
  void removeAll();

  // The current view, sorted by fileOffset.
  kj::Vector<ExtentPiece> pieces() const;

  // Bytes mapped by the current view minus those mapped at load / last flush (call
  // before flush(): it makes the current view the base).
  int64_t mappedChange() const;

  // Emits deletes/puts for the changed extent keys into `batch` and returns per-block
  // reference deltas: +1 per piece added that points at the block, -1 per piece removed
  // (a split piece: -1 old, +2 new = +1); inline pieces have no block and count nowhere. Untouched pieces emit nothing; blocks whose
  // delta nets to 0 are omitted. The overlay then treats the flushed state as its base,
  // so flushing twice emits nothing the second time.
  std::map<BlockId, int64_t> flush(WriteBatch& batch);

private:
  uint64_t ino;
  std::map<uint64_t, uint64_t> windows;  // loaded ranges, merged: begin -> end
  // [from, to) lies within one loaded range.
  bool loaded(uint64_t from, uint64_t to) const;
  void load(MetaIterator& it, uint64_t from, uint64_t to);
  std::map<uint64_t, ExtentPiece> base;     // as loaded / last flushed, by fileOffset
  std::map<uint64_t, ExtentPiece> current;  // edited view, by fileOffset

  void cut(uint64_t from, uint64_t to);  // removes [from, to) from `current`
};

}  // namespace dfs
