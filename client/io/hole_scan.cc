// HoleScan: classifies gaps (reported holes vs data) and finds the first match past off.
#include "client/io/hole_scan.h"

namespace dfs {

HoleScan::HoleScan(uint64_t off, bool data, uint64_t size, uint64_t minHole)
    : off(off), size(size), minHole(minHole), data(data),
      cursor(scanFrom(off, minHole)) {}

kj::Maybe<uint64_t> HoleScan::segment(uint64_t s, uint64_t e, bool hole) const {
  if (e <= off || s >= e || hole == data) return nullptr;
  return kj::max(s, off);
}

kj::Maybe<uint64_t> HoleScan::piece(uint64_t from, uint64_t to) {
  to = kj::min(to, size);
  if (to <= cursor) return nullptr;
  if (from > cursor) {
    // A gap [cursor, from). It started at cursor or earlier: scanFrom() makes sure a gap
    // measured shorter than minHole here really is shorter.
    KJ_IF_MAYBE(hit, segment(cursor, from, from - cursor >= minHole)) return *hit;
  }
  KJ_IF_MAYBE(hit, segment(kj::max(from, cursor), to, false)) return *hit;
  cursor = to;
  return nullptr;
}

kj::Maybe<uint64_t> HoleScan::finish() const {
  if (data) return nullptr;          // only the hole running to the end of file is left
  return kj::max(cursor, off);       // that hole (possibly empty: the end of file itself)
}

}  // namespace dfs
