// BlockId helpers: random generation and hex conversion.
#include "block_id.h"

#include <kj/debug.h>
#include <sys/random.h>
#include <cerrno>

namespace dfs {

BlockId BlockId::random() {
  BlockId id;
  do {
    uint64_t words[2];
    size_t got = 0;
    while (got < sizeof(words)) {
      ssize_t n = getrandom(reinterpret_cast<char*>(words) + got, sizeof(words) - got, 0);
      if (n < 0) {
        if (errno == EINTR) continue;
        KJ_FAIL_SYSCALL("getrandom", errno);
      }
      got += n;
    }
    id.hi = words[0];
    id.lo = words[1];
  } while (id.isZero());
  return id;
}

kj::String BlockId::hex() const {
  static const char digits[] = "0123456789abcdef";
  auto out = kj::heapString(32);
  for (int i = 0; i < 16; i++) {
    out[i] = digits[(hi >> (60 - 4 * i)) & 0xf];
    out[16 + i] = digits[(lo >> (60 - 4 * i)) & 0xf];
  }
  return out;
}

bool BlockId::parseHex(kj::StringPtr text, BlockId& out) {
  if (text.size() != 32) return false;
  uint64_t words[2] = {0, 0};
  for (size_t i = 0; i < 32; i++) {
    char c = text[i];
    uint64_t v;
    if (c >= '0' && c <= '9') v = c - '0';
    else if (c >= 'a' && c <= 'f') v = c - 'a' + 10;
    else return false;
    words[i / 16] = (words[i / 16] << 4) | v;
  }
  out.hi = words[0];
  out.lo = words[1];
  return true;
}

}  // namespace dfs
