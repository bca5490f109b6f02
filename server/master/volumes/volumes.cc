// Volume records ('V' keys): creation with a root inode, lookup, listing.
#include "server/master/volumes/volumes.h"
#include "server/master/namespace/namespace.h"
#include "server/master/store/keys.h"
#include "server/master/store/records.h"
#include "common/base/limits.h"
#include <cerrno>
#include <kj/debug.h>

namespace dfs {

static constexpr kj::StringPtr kNextVolume = "next_volume"_kj;

int validateVolumeName(kj::StringPtr name) {
  if (name.size() == 0 || name.size() > 64) return EINVAL;
  if (name == "." || name == "..") return EINVAL;
  for (char c : name) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '-';
    if (!ok) return EINVAL;
  }
  return 0;
}

static Volume fromRecord(meta::VolumeRecord::Reader rec) {
  auto info = rec.getInfo();
  Volume v;
  v.name = kj::str(info.getName());
  v.id = info.getId();
  v.rootIno = info.getRootIno();
  v.replicas = info.getReplicas();
  v.createdNs = info.getCreatedNs();
  v.quotaBytes = info.getQuotaBytes();
  v.consistency = info.getConsistency();
  return v;
}

Volumes::Volumes(MetaStore& store, Clock& clock) : store(store), clock(clock) {}

int Volumes::create(kj::StringPtr name, uint32_t replicas, Volume& out) {
  if (validateVolumeName(name) != 0) return EINVAL;
  if (replicas == 0 || replicas > kMaxReplicas) return EINVAL;
  if (store.get(keys::volume(name)) != nullptr) return EEXIST;

  int64_t now = clock.nowNs();
  uint64_t id = getCounter(store, kNextVolume, 1);
  uint64_t rootIno = getCounter(store, kNextInoCounter, kFirstIno);
  WriteBatch batch;
  putCounter(batch, kNextVolume, id + 1);
  putCounter(batch, kNextInoCounter, rootIno + 1);
  auto root = Namespace::makeRoot(rootIno, id, now);
  batch.put(keys::inode(rootIno), root.encode());
  putCounter(batch, volumeInodesCounter(id), 1);

  capnp::MallocMessageBuilder msg;
  auto info = msg.initRoot<meta::VolumeRecord>().initInfo();
  info.setName(name);
  info.setId(id);
  info.setRootIno(rootIno);
  info.setReplicas(replicas);
  info.setCreatedNs(now);
  batch.put(keys::volume(name), encodeRecord<meta::VolumeRecord>(msg));
  store.write(batch);

  out = fromRecord(msg.getRoot<meta::VolumeRecord>().asReader());
  return 0;
}

int Volumes::update(kj::StringPtr name, kj::Function<void(wire::VolumeInfo::Builder)> change,
                    Volume& out) {
  if (validateVolumeName(name) != 0) return ENOENT;
  KJ_IF_MAYBE(rec, getRecord<meta::VolumeRecord>(store, keys::volume(name))) {
    capnp::MallocMessageBuilder msg;
    msg.setRoot(rec->get());
    change(msg.getRoot<meta::VolumeRecord>().getInfo());
    WriteBatch batch;
    batch.put(keys::volume(name), encodeRecord<meta::VolumeRecord>(msg));
    store.write(batch);
    out = fromRecord(msg.getRoot<meta::VolumeRecord>().asReader());
    return 0;
  }
  return ENOENT;
}

int Volumes::setReplicas(kj::StringPtr name, uint32_t replicas, Volume& out) {
  if (replicas == 0 || replicas > kMaxReplicas) return EINVAL;
  return update(name, [replicas](wire::VolumeInfo::Builder info) { info.setReplicas(replicas); },
                out);
}

int Volumes::setConsistency(kj::StringPtr name, wire::Consistency level, Volume& out) {
  if (static_cast<uint16_t>(level) > static_cast<uint16_t>(wire::Consistency::EVENTUAL)) {
    return EINVAL;
  }
  return update(name, [level](wire::VolumeInfo::Builder info) { info.setConsistency(level); },
                out);
}

void Volumes::ensureDefault(uint32_t replicas) {
  if (find("default") != nullptr) return;
  Volume v;
  int err = create("default", replicas, v);
  KJ_REQUIRE(err == 0, "cannot create the default volume", err, replicas);
  KJ_LOG(INFO, "created volume 'default'", replicas);
}

kj::Maybe<Volume> Volumes::find(kj::StringPtr name) {
  if (validateVolumeName(name) != 0) return nullptr;
  KJ_IF_MAYBE(rec, getRecord<meta::VolumeRecord>(store, keys::volume(name))) {
    return fromRecord(rec->get());
  }
  return nullptr;
}

kj::Array<Volume> Volumes::list() {
  kj::Vector<Volume> out;
  auto prefix = keys::volumePrefix();
  auto it = store.newIterator();
  for (it->seek(prefix); it->valid() && keys::hasPrefix(it->key(), prefix); it->next()) {
    Record<meta::VolumeRecord> rec(it->value());
    out.add(fromRecord(rec.get()));
  }
  return out.releaseAsArray();
}

void Volumes::toWire(const Volume& v, wire::VolumeInfo::Builder info) {
  info.setName(v.name);
  info.setId(v.id);
  info.setRootIno(v.rootIno);
  info.setReplicas(v.replicas);
  info.setCreatedNs(v.createdNs);
  info.setQuotaBytes(v.quotaBytes);
  info.setConsistency(v.consistency);
  info.setUsedBytes(getCounter(store, volumeBytesCounter(v.id)));
  info.setInodes(getCounter(store, volumeInodesCounter(v.id)));
}

}  // namespace dfs
