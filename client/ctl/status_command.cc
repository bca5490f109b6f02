// dfsctl status: one screen of cluster health: verdict, replication, nodes, volumes, mounts.
#include "client/ctl/commands.h"
#include "client/ctl/format.h"

#include <ctype.h>
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
  w.key("cluster");
  w.value(clusterHealthName(clusterHealth(r.getNodes(), r.getReplication()).health));
  w.key("replication");
  writeReplication(w, r.getReplication());
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

// "Replication: ..." lines: current block state, then work done since the master started.
kj::String replicationText(wire::ReplicationStatus::Reader r) {
  auto lastScan = r.getScanCycles() == 0
                      ? kj::str("no full scan yet")
                      : kj::str("last scan took ", humanDurationMs(r.getLastScanMs()), " (",
                                r.getScanCycles(), " scans)");
  return kj::str(
      "Replication: ", r.getBlocks(), " blocks, ", r.getUnderReplicated(), " under-replicated, ",
      r.getMissing(), " missing, ", r.getOverReplicated(), " over-replicated; repairs ",
      r.getRepairsInFlight(), " in flight, ", r.getRepairQueue(), " queued\n",
      "  since master start: repaired ", r.getRepairedBlocks(), " blocks (",
      humanSize(r.getRepairedBytes()), "), trimmed ", r.getTrimmedCopies(), " copies, moved ",
      r.getMovedBlocks(), " blocks, ", r.getFailedRepairs(), " failed repairs; ", lastScan,
      "\n");
}

kj::String renderText(wire::Admin::StatusResults::Reader r) {
  auto verdict = clusterHealth(r.getNodes(), r.getReplication());
  auto name = kj::heapString(clusterHealthName(verdict.health));
  for (char& c : name) c = char(toupper(static_cast<unsigned char>(c)));
  auto header = verdict.reasons.size() == 0
                    ? kj::str("Cluster: ", name, "\n")
                    : kj::str("Cluster: ", name, " (", verdict.reasons, ")\n");
  uint64_t capacity = 0, used = 0, free = 0;
  for (auto n : r.getNodes()) {
    capacity += n.getCapacityBytes();
    used += n.getUsedBytes();
    free += n.getFreeBytes();
  }
  Table mounts(kj::arr(kj::str("SESSION"), kj::str("CLIENT"), kj::str("VOLUME"),
                       kj::str("CONSISTENCY"), kj::str("CONNECTED SINCE"), kj::str("FOR")));
  int64_t now = nowNs();
  for (auto m : r.getMounts()) {
    int64_t age = now - m.getConnectedNs();
    mounts.addRow(kj::arr(kj::str(m.getSessionId()), kj::str(m.getClientName()),
                          kj::str(m.getVolume()), kj::str(consistencyName(m.getConsistency())),
                          utcTime(m.getConnectedNs()),
                          humanDurationMs(age > 0 ? uint64_t(age) / 1000000 : 0)));
  }
  return kj::str(
      header, replicationText(r.getReplication()), "\n",
      "Chunk servers: ", r.getNodes().size(), " (capacity ", humanSize(capacity), ", used ",
      humanSize(used), " (", percent(used, capacity), "), free ", humanSize(free), ")\n",
      nodeTable(r.getNodes()), "\n",
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
