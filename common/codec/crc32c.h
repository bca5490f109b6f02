// CRC32C (Castagnoli), the checksum of block data. Hardware-accelerated where the CPU
// has SSE4.2, table-driven otherwise; both give identical results.
#pragma once

#include <cstddef>
#include <cstdint>

namespace dfs {

// Extends `crc` (0 to start) over `size` bytes at `data`.
uint32_t crc32c(const void* data, size_t size, uint32_t crc = 0);

}  // namespace dfs
