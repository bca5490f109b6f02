// HoleScan: the SEEK_DATA / SEEK_HOLE answer from a file's extent pieces, fed in order.
//
// Gaps between pieces are holes, but only gaps of at least `minHole` bytes are reported
// as holes (smaller ones count as data), except the hole that runs to the end of file.
// Tools rely on holes being at least st_blksize long: util-linux `fallocate -d` punches
// st_blksize bytes past the end of each data region it digs, assuming a block-sized hole
// follows (true on ext4, whose holes are whole blocks). The mount's st_blksize is used.
#pragma once

#include <kj/common.h>
#include <cstdint>

namespace dfs {

class HoleScan {
public:
  // Looks for data (SEEK_DATA) or a hole (SEEK_HOLE) at or after `off` (< size).
  HoleScan(uint64_t off, bool data, uint64_t size, uint64_t minHole);

  // Where the caller's first extent window must start: pieces ending before it cannot
  // change the answer (a gap reaching back further is long enough anyway).
  static uint64_t scanFrom(uint64_t off, uint64_t minHole) {
    return off > minHole ? off - minHole : 0;
  }

  uint64_t fileSize() const { return size; }

  // Feeds the next piece [from, to) in file order (pieces already passed are ignored);
  // returns the answer once known.
  kj::Maybe<uint64_t> piece(uint64_t from, uint64_t to);

  // Every piece up to the end of file was fed: the answer, or nullptr for ENXIO.
  kj::Maybe<uint64_t> finish() const;

private:
  uint64_t off, size, minHole;
  bool data;
  uint64_t cursor;  // end of the data seen so far (start of the current gap)

  // Segment [s, e) is a hole (or data): the answer if it is what we look for.
  kj::Maybe<uint64_t> segment(uint64_t s, uint64_t e, bool hole) const;
};

}  // namespace dfs
