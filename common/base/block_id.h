// BlockId: the 128-bit id of an immutable block, with hex form and wire conversion.
#pragma once

#include <kj/string.h>
#include <common.capnp.h>
#include <cstdint>
#include <functional>

namespace dfs {

struct BlockId {
  uint64_t hi = 0;
  uint64_t lo = 0;

  // A new random id from the OS's random source (getrandom). Never returns zero.
  static BlockId random();
  // Parses 32 hex digits; returns false on anything else.
  static bool parseHex(kj::StringPtr text, BlockId& out);

  kj::String hex() const;  // 32 lowercase hex digits
  bool isZero() const { return hi == 0 && lo == 0; }

  static BlockId fromWire(wire::BlockId::Reader r) { return {r.getHi(), r.getLo()}; }
  void toWire(wire::BlockId::Builder b) const { b.setHi(hi); b.setLo(lo); }

  bool operator==(const BlockId& o) const { return hi == o.hi && lo == o.lo; }
  bool operator!=(const BlockId& o) const { return !(*this == o); }
  bool operator<(const BlockId& o) const { return hi != o.hi ? hi < o.hi : lo < o.lo; }
};

struct BlockIdHash {
  size_t operator()(const BlockId& b) const { return std::hash<uint64_t>()(b.hi ^ (b.lo * 0x9e3779b97f4a7c15ULL)); }
};

}  // namespace dfs
