// Extent map reads and the ExtentOverlay edit/diff logic.
#include "server/master/store/extent_map.h"

#include "common/base/limits.h"
#include "server/master/store/keys.h"
#include "server/master/store/records.h"
#include <kj/debug.h>
#include <algorithm>
#include <vector>

namespace dfs {
namespace {

uint64_t saturatingAdd(uint64_t a, uint64_t b) {
  return b > UINT64_MAX - a ? UINT64_MAX : a + b;
}

}  // namespace

InlineBytes makeInlineBytes(kj::ArrayPtr<const kj::byte> bytes) {
  return std::make_shared<const kj::Array<kj::byte>>(kj::heapArray(bytes));
}

ExtentPiece inlinePiece(uint64_t fileOffset, kj::ArrayPtr<const kj::byte> bytes) {
  return ExtentPiece{fileOffset, bytes.size(), BlockId(), 0, bytes.size(),
                     makeInlineBytes(bytes)};
}

ExtentPiece ExtentPiece::sub(uint64_t from, uint64_t to) const {
  KJ_REQUIRE(fileOffset <= from && from < to && to <= end(), "sub-piece outside the piece",
             fileOffset, length, from, to);
  if (isInline()) {
    return inlinePiece(from, inlineData->slice(from - fileOffset, to - fileOffset));
  }
  ExtentPiece out = *this;
  out.fileOffset = from;
  out.blockOffset = blockOffset + (from - fileOffset);
  out.length = to - from;
  return out;
}

bool ExtentPiece::inlineWellFormed() const {
  return isInline() && inlineData->size() == length && block.isZero() && blockOffset == 0 &&
         blockSize == length && fileOffset < kMaxInlineBytes &&
         length <= kMaxInlineBytes - fileOffset;
}

bool ExtentPiece::operator==(const ExtentPiece& o) const {
  if (fileOffset != o.fileOffset || length != o.length || block != o.block ||
      blockOffset != o.blockOffset || blockSize != o.blockSize ||
      isInline() != o.isInline()) {
    return false;
  }
  return !isInline() || inlineData == o.inlineData || *inlineData == *o.inlineData;
}

ExtentPiece decodeExtent(BytesPtr key, BytesPtr value) {
  Record<meta::ExtentRecord> record(value);
  auto r = record.get();
  ExtentPiece piece{keys::extentOffset(key), r.getLength(), BlockId::fromWire(r.getBlock()),
                    r.getBlockOffset(), r.getBlockSize()};
  if (r.hasInlineData()) {
    piece.inlineData = makeInlineBytes(r.getInlineData());
    KJ_REQUIRE(piece.inlineWellFormed(), "corrupt inline extent record", piece.fileOffset,
               piece.length);
  }
  KJ_REQUIRE(piece.length <= UINT64_MAX - piece.fileOffset, "corrupt extent record");
  return piece;
}

Bytes encodeExtentValue(const ExtentPiece& piece) {
  capnp::MallocMessageBuilder msg;
  auto r = msg.initRoot<meta::ExtentRecord>();
  piece.block.toWire(r.initBlock());
  r.setBlockOffset(piece.blockOffset);
  r.setLength(piece.length);
  r.setBlockSize(piece.blockSize);
  if (piece.isInline()) r.setInlineData(*piece.inlineData);
  return encodeRecord<meta::ExtentRecord>(msg);
}

namespace {

// Calls add(piece) for each piece of `ino` overlapping [offset, end), in file order, using
// `it` (an iterator over the file's extent keys).
template <typename Add>
void scanExtents(MetaIterator& it, uint64_t ino, uint64_t offset, uint64_t end, Add&& add) {
  if (offset >= end) return;
  auto prefix = keys::extentPrefix(ino);
  // Pieces never overlap, so only the last piece starting at or before `offset` can
  // cover `offset`; every other overlapping piece starts inside (offset, end).
  it.seekForPrev(keys::extent(ino, offset));
  if (it.valid() && keys::hasPrefix(it.key(), prefix)) {
    auto piece = decodeExtent(it.key(), it.value());
    if (piece.end() > offset) add(kj::mv(piece));
    it.next();
  } else {
    it.seek(keys::extent(ino, offset));
  }
  for (; it.valid() && keys::hasPrefix(it.key(), prefix); it.next()) {
    uint64_t start = keys::extentOffset(it.key());
    if (start >= end) break;
    add(decodeExtent(it.key(), it.value()));
  }
}

}  // namespace

kj::Vector<ExtentPiece> readExtents(MetaStore& store, uint64_t ino, uint64_t offset,
                                    uint64_t length) {
  kj::Vector<ExtentPiece> out;
  if (length == 0) return out;
  auto it = store.newPrefixIterator(keys::extentPrefix(ino));
  scanExtents(*it, ino, offset, saturatingAdd(offset, length),
              [&out](ExtentPiece&& p) { out.add(kj::mv(p)); });
  return out;
}

ExtentOverlay::ExtentOverlay(MetaStore& store, uint64_t ino, uint64_t begin, uint64_t end)
    : ExtentOverlay(store, ino, {std::make_pair(begin, end)}) {}

ExtentOverlay::ExtentOverlay(MetaStore& store, uint64_t ino,
                             kj::ArrayPtr<const std::pair<uint64_t, uint64_t>> ranges)
    : ino(ino) {
  std::vector<std::pair<uint64_t, uint64_t>> sorted(ranges.begin(), ranges.end());
  std::sort(sorted.begin(), sorted.end());
  for (auto& r : sorted) {
    KJ_REQUIRE(r.first <= r.second, "bad extent window", r.first, r.second);
    if (r.first == r.second) continue;
    // Merged with the last window when they overlap or touch.
    if (!windows.empty() && r.first <= std::prev(windows.end())->second) {
      auto& last = std::prev(windows.end())->second;
      last = kj::max(last, r.second);
    } else {
      windows.emplace(r.first, r.second);
    }
  }
  if (!windows.empty()) {
    auto it = store.newPrefixIterator(keys::extentPrefix(ino));
    for (auto& w : windows) load(*it, w.first, w.second);
  }
  current = base;
}

void ExtentOverlay::load(MetaIterator& it, uint64_t from, uint64_t to) {
  // A piece across two windows is met twice: emplace keeps the first.
  scanExtents(it, ino, from, to, [this](ExtentPiece&& p) { base.emplace(p.fileOffset, kj::mv(p)); });
}

bool ExtentOverlay::loaded(uint64_t from, uint64_t to) const {
  auto w = windows.upper_bound(from);
  if (w == windows.begin()) return false;
  --w;
  return from >= w->first && to <= w->second;
}

void ExtentOverlay::cut(uint64_t from, uint64_t to) {
  if (from >= to) return;
  auto it = current.upper_bound(from);
  if (it != current.begin() && std::prev(it)->second.end() > from) --it;
  kj::Vector<ExtentPiece> hit;
  while (it != current.end() && it->first < to) {
    hit.add(it->second);
    it = current.erase(it);
  }
  for (auto& p : hit) {
    if (p.fileOffset < from) current.emplace(p.fileOffset, p.sub(p.fileOffset, from));
    if (p.end() > to) current.emplace(to, p.sub(to, p.end()));
  }
}

void ExtentOverlay::write(const ExtentPiece& piece) {
  if (piece.length == 0) return;
  if (piece.isInline()) {
    KJ_REQUIRE(piece.inlineWellFormed(), "malformed inline extent", piece.fileOffset,
               piece.length);
  } else {
    KJ_REQUIRE(!piece.block.isZero(), "extent must point at a block");
  }
  KJ_REQUIRE(piece.length <= UINT64_MAX - piece.fileOffset, "extent offset overflow");
  KJ_REQUIRE(piece.blockOffset <= piece.blockSize &&
                 piece.length <= piece.blockSize - piece.blockOffset,
             "extent exceeds its block", piece.blockOffset, piece.length, piece.blockSize);
  KJ_REQUIRE(loaded(piece.fileOffset, piece.end()),
             "extent write outside the loaded window", piece.fileOffset, piece.length);
  cut(piece.fileOffset, piece.end());
  current.emplace(piece.fileOffset, piece);
}

void ExtentOverlay::truncate(uint64_t size) {
  KJ_REQUIRE(windows.size() == 1 && windows.begin()->second == UINT64_MAX &&
                 size >= windows.begin()->first,
             "truncate outside the loaded window", size);
  cut(size, UINT64_MAX);
}

void ExtentOverlay::punch(uint64_t from, uint64_t to) {
  KJ_REQUIRE(from <= to && (from == to || loaded(from, to)), "punch outside the loaded window",
             from, to);
  cut(from, to);
}

int64_t ExtentOverlay::mappedChange() const {
  int64_t change = 0;
  for (auto& entry : base) change -= static_cast<int64_t>(entry.second.length);
  for (auto& entry : current) change += static_cast<int64_t>(entry.second.length);
  return change;
}

void ExtentOverlay::removeAll() {
  KJ_REQUIRE(windows.size() == 1 && windows.begin()->first == 0 &&
                 windows.begin()->second == UINT64_MAX,
             "removeAll needs the whole file loaded");
  current.clear();
}

kj::Vector<ExtentPiece> ExtentOverlay::pieces() const {
  kj::Vector<ExtentPiece> out(current.size());
  for (auto& entry : current) out.add(entry.second);
  return out;
}

std::map<BlockId, int64_t> ExtentOverlay::flush(WriteBatch& batch) {
  std::map<BlockId, int64_t> deltas;
  for (auto& entry : base) {
    auto it = current.find(entry.first);
    bool isBlock = !entry.second.isInline();
    if (it == current.end()) {
      batch.del(keys::extent(ino, entry.first));
      if (isBlock) deltas[entry.second.block] -= 1;
    } else if (it->second != entry.second) {
      if (isBlock) deltas[entry.second.block] -= 1;  // replaced below by the new piece
    }
  }
  for (auto& entry : current) {
    auto it = base.find(entry.first);
    if (it == base.end() || it->second != entry.second) {
      batch.put(keys::extent(ino, entry.first), encodeExtentValue(entry.second));
      if (!entry.second.isInline()) deltas[entry.second.block] += 1;
    }
  }
  for (auto it = deltas.begin(); it != deltas.end();) {
    it = it->second == 0 ? deltas.erase(it) : std::next(it);
  }
  base = current;
  return deltas;
}

}  // namespace dfs
