// Strict number parsing with overflow checks.
#include "parse.h"

namespace dfs {

bool parseUnsigned(kj::StringPtr text, uint64_t& out, uint64_t max) {
  if (text.size() == 0) return false;
  uint64_t v = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return false;
    uint64_t digit = c - '0';
    if (digit > max || v > (max - digit) / 10) return false;
    v = v * 10 + digit;
  }
  out = v;
  return true;
}

}  // namespace dfs
