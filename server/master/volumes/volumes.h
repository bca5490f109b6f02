// Volumes: named roots with their own replica policy; created once, listed, looked up.
#pragma once

#include "server/master/store/meta_store.h"
#include "common/base/clock.h"
#include <common.capnp.h>
#include <kj/function.h>

namespace dfs {

struct Volume {
  kj::String name;
  uint64_t id = 0;
  uint64_t rootIno = 0;
  uint32_t replicas = 0;
  int64_t createdNs = 0;
  uint64_t quotaBytes = 0;
  wire::Consistency consistency = wire::Consistency::QUORUM;  // default of its mounts
};

// 0 if `name` is a valid volume name: 1..64 chars of [A-Za-z0-9._-], not "." or "..";
// else EINVAL.
int validateVolumeName(kj::StringPtr name);

class Volumes {
public:
  Volumes(MetaStore& store, Clock& clock);

  // Creates volume `name` with `replicas` copies per block (1..kMaxReplicas) and a root
  // directory (mode 040755, nlink 2), in one batch. EEXIST if it exists, EINVAL for a bad
  // name or replica count.
  int create(kj::StringPtr name, uint32_t replicas, Volume& out);

  // Sets the replica count of volume `name` (1..kMaxReplicas). ENOENT, EINVAL.
  int setReplicas(kj::StringPtr name, uint32_t replicas, Volume& out);
  // Sets the default consistency of volume `name`'s mounts. ENOENT, EINVAL.
  int setConsistency(kj::StringPtr name, wire::Consistency level, Volume& out);

  // Creates "default" with `replicas` if it does not exist yet (first start).
  void ensureDefault(uint32_t replicas);

  kj::Maybe<Volume> find(kj::StringPtr name);
  kj::Array<Volume> list();

  // The wire form, with the volume's usedBytes/inodes counters.
  void toWire(const Volume& v, wire::VolumeInfo::Builder info);

private:
  // Reads volume `name`'s record, lets `change` edit it, writes it back. ENOENT if absent.
  int update(kj::StringPtr name, kj::Function<void(wire::VolumeInfo::Builder)> change,
             Volume& out);

  MetaStore& store;
  Clock& clock;
};

}  // namespace dfs
