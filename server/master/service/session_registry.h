// SessionRegistry: the live mounts (one entry per Session capability held by a client).
#pragma once

#include <common.capnp.h>
#include <kj/string.h>
#include <cstdint>
#include <map>

namespace dfs {

struct MountEntry {
  uint64_t id = 0;
  kj::String clientName;
  kj::String volume;
  int64_t connectedNs = 0;
  wire::Consistency consistency = wire::Consistency::QUORUM;
};

class SessionRegistry {
public:
  uint64_t add(kj::StringPtr clientName, kj::StringPtr volume, int64_t nowNs,
              wire::Consistency consistency) {
    uint64_t id = nextId++;
    mounts[id] = MountEntry{id, kj::str(clientName), kj::str(volume), nowNs, consistency};
    return id;
  }
  void remove(uint64_t id) { mounts.erase(id); }
  const std::map<uint64_t, MountEntry>& all() const { return mounts; }

private:
  uint64_t nextId = 1;
  std::map<uint64_t, MountEntry> mounts;
};

}  // namespace dfs
