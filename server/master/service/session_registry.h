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
  // A newer session of the same mount replaced this one (Master.mount replacesSession):
  // the mount gave up on its connection, so whatever still arrives on it is stale.
  bool superseded = false;
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
  // Marks session `id` (if live) superseded: its calls are refused from now on.
  void supersede(uint64_t id) {
    auto it = mounts.find(id);
    if (it != mounts.end()) it->second.superseded = true;
  }
  bool superseded(uint64_t id) const {
    auto it = mounts.find(id);
    return it != mounts.end() && it->second.superseded;
  }
  const std::map<uint64_t, MountEntry>& all() const { return mounts; }

private:
  uint64_t nextId = 1;
  std::map<uint64_t, MountEntry> mounts;
};

}  // namespace dfs
