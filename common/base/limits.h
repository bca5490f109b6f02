// Sizes and limits every process agrees on.
#pragma once

#include <cstdint>

namespace dfs {

constexpr uint64_t kMaxBlockSize = 4u << 20;        // immutable blocks are at most 4 MiB
constexpr uint64_t kChecksumChunk = 64u << 10;      // one CRC32C per 64 KiB of a block
constexpr uint64_t kMaxWritePiece = 1u << 20;       // BlockWriter.write() data limit
constexpr uint64_t kMaxReadLength = kMaxBlockSize;  // readBlock() length limit
constexpr uint32_t kNameMax = 255;                  // NAME_MAX
constexpr uint32_t kSymlinkMax = 4095;              // PATH_MAX - 1
constexpr uint32_t kMaxReaddirPage = 4096;          // entries per readdir() reply
constexpr uint32_t kMaxCommitExtents = 4096;        // extents per commit()
constexpr uint32_t kMaxAllocateBlocks = 256;        // blocks per allocateBlocks()
constexpr uint32_t kMaxReleaseBatch = 4096;         // inodes in one release() beyond the first
constexpr uint32_t kMaxAddCopies = 4096;            // block copies in one addCopies()
constexpr uint32_t kMaxReservedInodes = 65536;      // inode numbers in one reserveInodes()
constexpr uint32_t kMaxReplicas = 8;
// A small file's data may be held by the master itself (inline pieces of its extent map,
// no block): only in file bytes [0, kMaxInlineBytes), so a file's inline bytes never
// exceed this. The master's --inline-max says what mounts should use (0: none).
constexpr uint64_t kMaxInlineBytes = 64u << 10;
constexpr uint64_t kMaxInlineBytesPerCommit = 1u << 20;  // inline bytes in one commit()

}  // namespace dfs
