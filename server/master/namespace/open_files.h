// OpenFiles: which inodes some session holds open. An unlinked file stays (as an orphan,
// nlink 0) while it is in this table; the last release deletes it.
#pragma once

#include <cstdint>
#include <unordered_map>

namespace dfs {

class OpenFiles {
public:
  void open(uint64_t ino) { ++counts[ino]; }
  // Returns true when this was the last open of `ino` (across all sessions).
  bool release(uint64_t ino) {
    auto it = counts.find(ino);
    if (it == counts.end()) return false;
    if (--it->second > 0) return false;
    counts.erase(it);
    return true;
  }
  bool isOpen(uint64_t ino) const { return holding || counts.count(ino) > 0; }

  // After a restart, until the previous run's mounts have registered their opens again:
  // every file counts as open, so an unlink keeps it as an orphan (MasterCore ends this
  // and deletes the orphans nobody opened).
  void holdAll(bool hold) { holding = hold; }

private:
  std::unordered_map<uint64_t, uint32_t> counts;
  bool holding = false;
};

}  // namespace dfs
