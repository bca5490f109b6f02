// dfsctl status: tables (or JSON) of chunk servers, volumes and connected mounts.
#include "client/ctl/commands.h"
#include "client/ctl/format.h"

#include <stdio.h>
#include <time.h>

namespace dfs {
namespace ctl {
namespace {

int64_t nowNs() {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return int64_t(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

kj::String renderJson(wire::Admin::StatusResults::Reader r) {
  JsonWriter w;
  w.beginObject();
  w.key("nodes");
  w.beginArray();
  for (auto n : r.getNodes()) writeNode(w, n);
  w.endArray();
  w.key("volumes");
  w.beginArray();
  for (auto v : r.getVolumes()) writeVolume(w, v);
  w.endArray();
  w.key("mounts");
  w.beginArray();
  for (auto m : r.getMounts()) writeMount(w, m);
  w.endArray();
  w.endObject();
  return w.finish();
}

kj::String renderText(wire::Admin::StatusResults::Reader r) {
  Table nodes(kj::arr(kj::str("ID"), kj::str("ADDRESS"), kj::str("HEALTH"), kj::str("CAPACITY"),
                      kj::str("USED"), kj::str("FREE"), kj::str("BLOCKS"), kj::str("DISK ERRORS"),
                      kj::str("HEARTBEAT AGE")));
  uint64_t capacity = 0, used = 0, free = 0;
  for (auto n : r.getNodes()) {
    capacity += n.getCapacityBytes();
    used += n.getUsedBytes();
    free += n.getFreeBytes();
    nodes.addRow(kj::arr(kj::str(n.getNodeId()), kj::str(n.getAddress()),
                         kj::str(healthName(n.getHealth())), humanSize(n.getCapacityBytes()),
                         humanSize(n.getUsedBytes()), humanSize(n.getFreeBytes()),
                         kj::str(n.getBlocks()), kj::str(n.getDiskErrors()),
                         humanDurationMs(n.getLastHeartbeatAgeMs())));
  }
  Table mounts(kj::arr(kj::str("SESSION"), kj::str("CLIENT"), kj::str("VOLUME"),
                       kj::str("CONNECTED SINCE"), kj::str("FOR")));
  int64_t now = nowNs();
  for (auto m : r.getMounts()) {
    int64_t age = now - m.getConnectedNs();
    mounts.addRow(kj::arr(kj::str(m.getSessionId()), kj::str(m.getClientName()),
                          kj::str(m.getVolume()), utcTime(m.getConnectedNs()),
                          humanDurationMs(age > 0 ? uint64_t(age) / 1000000 : 0)));
  }
  return kj::str(
      "Chunk servers: ", r.getNodes().size(), " (capacity ", humanSize(capacity), ", used ",
      humanSize(used), ", free ", humanSize(free), ")\n", nodes.render(), "\n",
      "Volumes: ", r.getVolumes().size(), "\n", volumeTable(r.getVolumes()), "\n",
      "Mounts: ", r.getMounts().size(), "\n", mounts.render());
}

}  // namespace

int statusCommand(const CtlOptions& options) {
  return runWithAdmin(options, [&options](wire::Admin::Client admin) {
    return admin.statusRequest().send().then(
        [&options](capnp::Response<wire::Admin::StatusResults> resp) {
          auto text = options.json ? renderJson(resp) : renderText(resp);
          fputs(text.cStr(), stdout);
          return 0;
        });
  });
}

}  // namespace ctl
}  // namespace dfs
