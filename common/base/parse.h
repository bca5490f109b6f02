// Strict parsing of numbers given on command lines and in options.
#pragma once

#include <kj/string.h>
#include <cstdint>

namespace dfs {

// Decimal digits only (no sign, no spaces), at most `max`. False on anything else.
bool parseUnsigned(kj::StringPtr text, uint64_t& out, uint64_t max = UINT64_MAX);

}  // namespace dfs
