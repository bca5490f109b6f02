// keepBlockBuffersInHeap: malloc settings for processes that allocate 4 MiB block buffers.
#pragma once

namespace dfs {

// By default glibc serves allocations over 128 KiB..32 MiB (dynamic threshold) with fresh
// mmap()s and gives them back at free(): every block buffer then costs page faults and
// zeroing of 1024 new pages. This keeps allocations up to 64 MiB in the heap (and up to
// 256 MiB of free heap before trimming), so freed buffers are reused. Call once at start.
void keepBlockBuffersInHeap();

}  // namespace dfs
