// dfsctl volume list / volume create / volume set.
#include "client/ctl/commands.h"
#include "client/ctl/format.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

namespace dfs {
namespace ctl {
namespace {

constexpr uint32_t kDefaultReplicas = 3;

// `requested`, or when it is 0: kDefaultReplicas, lowered to the number of healthy chunk
// servers (at least 1) so a small cluster can still place blocks.
kj::Promise<uint32_t> chooseReplicas(wire::Admin::Client admin, uint32_t requested) {
  if (requested != 0) return requested;
  return admin.statusRequest().send().then(
      [](capnp::Response<wire::Admin::StatusResults> resp) {
        uint32_t healthy = 0;
        for (auto n : resp.getNodes()) {
          if (n.getHealth() == wire::NodeHealth::HEALTHY) healthy++;
        }
        return kj::max(uint32_t(1), kj::min(kDefaultReplicas, healthy));
      });
}

// Prints {"volume": {...}} (the result of create and set).
void printVolumeJson(wire::VolumeInfo::Reader v) {
  JsonWriter w;
  w.beginObject();
  w.key("volume");
  writeVolume(w, v);
  w.endObject();
  fputs(w.finish().cStr(), stdout);
}

}  // namespace

int volumeListCommand(const CtlOptions& options) {
  return runWithAdmin(options, [&options](wire::Admin::Client admin) {
    return admin.listVolumesRequest().send().then(
        [&options](capnp::Response<wire::Admin::ListVolumesResults> resp) {
          if (options.json) {
            JsonWriter w;
            w.beginObject();
            w.key("volumes");
            w.beginArray();
            for (auto v : resp.getVolumes()) writeVolume(w, v);
            w.endArray();
            w.endObject();
            fputs(w.finish().cStr(), stdout);
          } else {
            fputs(volumeTable(resp.getVolumes()).cStr(), stdout);
          }
          return 0;
        });
  });
}

int volumeCreateCommand(const CtlOptions& options, kj::StringPtr name, uint32_t replicas) {
  return runWithAdmin(options, [&options, name, replicas](wire::Admin::Client admin) {
    return chooseReplicas(admin, replicas).then([admin, name](uint32_t n) mutable {
      auto req = admin.createVolumeRequest();
      req.setName(name);
      req.setReplicas(n);
      return req.send();
    }).then(
        [&options, name](capnp::Response<wire::Admin::CreateVolumeResults> resp) {
          int err = resp.getErr();
          if (err != 0) {
            fprintf(stderr, "dfsctl: cannot create volume '%s': %s\n", name.cStr(), strerror(err));
            return 1;
          }
          auto v = resp.getVolume();
          if (options.json) {
            printVolumeJson(v);
          } else {
            printf("created volume %s (id %llu, %u replicas)\n", v.getName().cStr(),
                   (unsigned long long)v.getId(), v.getReplicas());
          }
          return 0;
        });
  });
}

int volumeSetCommand(const CtlOptions& options, kj::StringPtr name, uint32_t replicas,
                     kj::Maybe<wire::Consistency> consistency) {
  return runWithAdmin(options, [&options, name, replicas, consistency](wire::Admin::Client admin) {
    auto req = admin.setVolumeRequest();
    req.setName(name);
    req.setSetReplicas(replicas != 0);
    req.setReplicas(replicas);
    KJ_IF_MAYBE(c, consistency) {
      req.setSetConsistency(true);
      req.setConsistency(*c);
    }
    return req.send().then(
        [&options, name](capnp::Response<wire::Admin::SetVolumeResults> resp) {
          int err = resp.getErr();
          if (err != 0) {
            fprintf(stderr, "dfsctl: cannot change volume '%s': %s\n", name.cStr(),
                    err == ENOENT ? "no such volume" : strerror(err));
            return 1;
          }
          auto v = resp.getVolume();
          if (options.json) {
            printVolumeJson(v);
          } else {
            printf("volume %s: %u replicas per block (existing blocks are re-replicated or "
                   "trimmed to match), default consistency %s (for later mounts)\n",
                   v.getName().cStr(), v.getReplicas(), consistencyName(v.getConsistency()).cStr());
          }
          return 0;
        });
  });
}

}  // namespace ctl
}  // namespace dfs
