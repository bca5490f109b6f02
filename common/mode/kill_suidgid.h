// killSuidgidMode: the mode a non-directory keeps when a write, truncate or chown clears
// its set-id bits (Linux VFS rules, which FUSE_HANDLE_KILLPRIV_V2 leaves to the file
// system): S_ISUID goes, and S_ISGID if group-execute is set (without it the bit marks
// mandatory locking, not set-group-ID). Shared by the master (SetAttrRequest.killSuidgid)
// and the mount (changes it keeps for a commit).
#pragma once

#include <sys/stat.h>
#include <cstdint>

namespace dfs {

inline uint32_t killSuidgidMode(uint32_t mode) {
  if (S_ISDIR(mode)) return mode;
  mode &= ~uint32_t(S_ISUID);
  if (mode & S_IXGRP) mode &= ~uint32_t(S_ISGID);
  return mode;
}

}  // namespace dfs
