// dfsctl output helpers: sizes, durations, tables, JSON.
#include "client/ctl/format.h"

#include <kj/debug.h>
#include <stdio.h>
#include <time.h>

namespace dfs {
namespace ctl {

kj::String humanSize(uint64_t bytes) {
  static constexpr const char* kUnits[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
  if (bytes < 1024) return kj::str(bytes, " B");
  double v = double(bytes);
  int unit = 0;
  while (v >= 1024 && unit < 6) {
    v /= 1024;
    unit++;
  }
  char buf[32];
  snprintf(buf, sizeof(buf), "%.1f %s", v, kUnits[unit]);
  return kj::str(buf);
}

kj::String humanDurationMs(uint64_t ms) {
  if (ms < 1000) return kj::str(ms, " ms");
  uint64_t s = ms / 1000;
  if (s < 60) {
    char buf[32];
    snprintf(buf, sizeof(buf), "%.1f s", double(ms) / 1000);
    return kj::str(buf);
  }
  if (s < 3600) return kj::str(s / 60, " m ", s % 60, " s");
  if (s < 86400) return kj::str(s / 3600, " h ", (s % 3600) / 60, " m");
  return kj::str(s / 86400, " d ", (s % 86400) / 3600, " h");
}

kj::String utcTime(int64_t ns) {
  time_t secs = time_t(ns / 1000000000);
  struct tm tm;
  if (gmtime_r(&secs, &tm) == nullptr) return kj::str(ns, " ns");
  char buf[64];
  strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M:%S UTC", &tm);
  return kj::str(buf);
}

kj::StringPtr healthName(wire::NodeHealth h) {
  switch (h) {
    case wire::NodeHealth::HEALTHY: return "healthy";
    case wire::NodeHealth::SUSPECT: return "suspect";
    case wire::NodeHealth::DEAD: return "dead";
  }
  return "unknown";
}

kj::StringPtr stateName(wire::NodeState s) {
  switch (s) {
    case wire::NodeState::JOINING: return "joining";
    case wire::NodeState::HEALTHY: return "healthy";
    case wire::NodeState::SUSPECT: return "suspect";
    case wire::NodeState::DEAD: return "dead";
    case wire::NodeState::DRAINING: return "draining";
    case wire::NodeState::REMOVED: return "removed";
  }
  return "unknown";
}

kj::String humanRate(uint64_t bytesPerSec) { return kj::str(humanSize(bytesPerSec), "/s"); }

kj::String humanLatencyUs(uint64_t us) {
  if (us < 1000) return kj::str(us, " \xc2\xb5s");
  char buf[32];
  if (us < 1000000) {
    snprintf(buf, sizeof(buf), "%.1f ms", double(us) / 1000);
  } else {
    snprintf(buf, sizeof(buf), "%.1f s", double(us) / 1000000);
  }
  return kj::str(buf);
}

kj::String percent(uint64_t used, uint64_t capacity) {
  if (capacity == 0) return kj::str("-");
  char buf[32];
  snprintf(buf, sizeof(buf), "%.1f%%", 100.0 * double(used) / double(capacity));
  return kj::str(buf);
}

kj::String heartbeatAge(uint64_t ms) {
  if (ms == UINT64_MAX) return kj::str("never");
  return humanDurationMs(ms);
}

kj::String loadSummary(wire::NodeLoad::Reader load) {
  return kj::str(load.getRequestsInFlight(), " req, r ", humanRate(load.getReadBytesPerSec()),
                 ", w ", humanRate(load.getWriteBytesPerSec()));
}

kj::String latencyCell(wire::NodeLoad::Reader load) {
  if (load.getAvgLatencyUs() == 0) return kj::str("-");
  return humanLatencyUs(load.getAvgLatencyUs());
}

namespace {

// "1 block missing" / "3 blocks missing"
kj::String counted(uint64_t n, kj::StringPtr singular, kj::StringPtr plural, kj::StringPtr what) {
  return kj::str(n, " ", n == 1 ? singular : plural, " ", what);
}

}  // namespace

ClusterVerdict clusterHealth(capnp::List<wire::NodeStatus>::Reader nodes,
                             wire::ReplicationStatus::Reader replication) {
  kj::Vector<kj::String> reasons;
  auto health = ClusterHealth::HEALTHY;
  if (replication.getMissing() > 0) {
    health = ClusterHealth::CRITICAL;
    reasons.add(counted(replication.getMissing(), "block", "blocks", "missing"));
  }
  // missing blocks are counted in underReplicated too; report only the rest here.
  uint64_t under = replication.getUnderReplicated() > replication.getMissing()
                       ? replication.getUnderReplicated() - replication.getMissing()
                       : 0;
  if (under > 0) {
    if (health == ClusterHealth::HEALTHY) health = ClusterHealth::DEGRADED;
    reasons.add(counted(under, "block", "blocks", "under-replicated"));
  }
  static constexpr wire::NodeState kBadStates[] = {
      wire::NodeState::DEAD, wire::NodeState::SUSPECT, wire::NodeState::JOINING};
  for (auto state : kBadStates) {
    uint64_t n = 0;
    for (auto node : nodes) {
      if (node.getState() == state) n++;
    }
    if (n == 0) continue;
    if (health == ClusterHealth::HEALTHY) health = ClusterHealth::DEGRADED;
    reasons.add(counted(n, "node", "nodes", stateName(state)));
  }
  return {health, kj::strArray(reasons, "; ")};
}

kj::StringPtr clusterHealthName(ClusterHealth h) {
  switch (h) {
    case ClusterHealth::HEALTHY: return "healthy";
    case ClusterHealth::DEGRADED: return "degraded";
    case ClusterHealth::CRITICAL: return "critical";
  }
  return "unknown";
}

namespace {

// Display width of UTF-8 text: every byte that does not continue a multi-byte character.
size_t displayWidth(kj::StringPtr s) {
  size_t n = 0;
  for (char c : s) {
    if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) n++;
  }
  return n;
}

}  // namespace

Table::Table(kj::Array<kj::String> header) { rows.add(kj::mv(header)); }

void Table::addRow(kj::Array<kj::String> row) {
  KJ_REQUIRE(row.size() == rows[0].size(), "table row width");
  rows.add(kj::mv(row));
}

kj::String Table::render() const {
  size_t cols = rows[0].size();
  auto widths = kj::heapArray<size_t>(cols);
  for (auto& w : widths) w = 0;
  for (auto& row : rows) {
    for (size_t c = 0; c < cols; c++) widths[c] = kj::max(widths[c], displayWidth(row[c]));
  }
  kj::Vector<char> out;
  for (auto& row : rows) {
    for (size_t c = 0; c < cols; c++) {
      out.addAll(row[c]);
      if (c + 1 < cols) {
        for (size_t i = displayWidth(row[c]); i < widths[c] + 2; i++) out.add(' ');
      }
    }
    out.add('\n');
  }
  out.add('\0');
  return kj::String(out.releaseAsArray());
}

void JsonWriter::append(kj::StringPtr s) { out.addAll(s); }

void JsonWriter::separate() {
  if (afterKey) {
    afterKey = false;
    return;
  }
  if (first.size() > 0) {
    if (!first.back()) out.add(',');
    first.back() = false;
  }
}

void JsonWriter::beginObject() { separate(); out.add('{'); first.add(true); }
void JsonWriter::endObject() { first.removeLast(); out.add('}'); }
void JsonWriter::beginArray() { separate(); out.add('['); first.add(true); }
void JsonWriter::endArray() { first.removeLast(); out.add(']'); }

void JsonWriter::key(kj::StringPtr name) {
  separate();
  writeString(name);
  out.add(':');
  afterKey = true;
}

void JsonWriter::value(kj::StringPtr s) {
  separate();
  writeString(s);
}

void JsonWriter::writeString(kj::StringPtr s) {
  out.add('"');
  for (char c : s) {
    unsigned char u = c;
    if (c == '"') append("\\\"");
    else if (c == '\\') append("\\\\");
    else if (c == '\n') append("\\n");
    else if (c == '\t') append("\\t");
    else if (c == '\r') append("\\r");
    else if (u < 0x20) {
      char buf[8];
      snprintf(buf, sizeof(buf), "\\u%04x", u);
      append(buf);
    } else {
      out.add(c);
    }
  }
  out.add('"');
}

void JsonWriter::value(uint64_t v) { separate(); append(kj::str(v)); }
void JsonWriter::value(int64_t v) { separate(); append(kj::str(v)); }
void JsonWriter::value(bool v) { separate(); append(v ? "true" : "false"); }

kj::String JsonWriter::finish() {
  out.add('\n');
  out.add('\0');
  return kj::String(out.releaseAsArray());
}

void writeNode(JsonWriter& w, wire::NodeStatus::Reader n) {
  w.beginObject();
  w.key("nodeId"); w.value(uint64_t(n.getNodeId()));
  w.key("address"); w.value(n.getAddress());
  w.key("health"); w.value(healthName(n.getHealth()));
  w.key("capacityBytes"); w.value(uint64_t(n.getCapacityBytes()));
  w.key("usedBytes"); w.value(uint64_t(n.getUsedBytes()));
  w.key("freeBytes"); w.value(uint64_t(n.getFreeBytes()));
  w.key("blocks"); w.value(uint64_t(n.getBlocks()));
  w.key("lastHeartbeatAgeMs"); w.value(uint64_t(n.getLastHeartbeatAgeMs()));
  w.key("diskErrors"); w.value(uint64_t(n.getDiskErrors()));
  w.key("state"); w.value(stateName(n.getState()));
  w.key("draining"); w.value(n.getDraining());
  auto load = n.getLoad();
  w.key("load");
  w.beginObject();
  w.key("requestsInFlight"); w.value(uint64_t(load.getRequestsInFlight()));
  w.key("readBytesPerSec"); w.value(uint64_t(load.getReadBytesPerSec()));
  w.key("writeBytesPerSec"); w.value(uint64_t(load.getWriteBytesPerSec()));
  w.key("avgLatencyUs"); w.value(uint64_t(load.getAvgLatencyUs()));
  w.key("requestsPerSec"); w.value(uint64_t(load.getRequestsPerSec()));
  w.endObject();
  w.key("dataDirs");
  w.beginArray();
  for (auto d : n.getDataDirs()) {
    w.beginObject();
    w.key("path"); w.value(d.getPath());
    w.key("capacityBytes"); w.value(uint64_t(d.getCapacityBytes()));
    w.key("usedBytes"); w.value(uint64_t(d.getUsedBytes()));
    w.key("freeBytes"); w.value(uint64_t(d.getFreeBytes()));
    w.key("errors"); w.value(uint64_t(d.getErrors()));
    w.endObject();
  }
  w.endArray();
  w.key("listedBlocks"); w.value(uint64_t(n.getListedBlocks()));
  w.key("checksumErrors"); w.value(uint64_t(n.getChecksumErrors()));
  w.endObject();
}

void writeReplication(JsonWriter& w, wire::ReplicationStatus::Reader r) {
  w.beginObject();
  w.key("blocks"); w.value(uint64_t(r.getBlocks()));
  w.key("underReplicated"); w.value(uint64_t(r.getUnderReplicated()));
  w.key("missing"); w.value(uint64_t(r.getMissing()));
  w.key("overReplicated"); w.value(uint64_t(r.getOverReplicated()));
  w.key("repairsInFlight"); w.value(uint64_t(r.getRepairsInFlight()));
  w.key("repairQueue"); w.value(uint64_t(r.getRepairQueue()));
  w.key("repairedBlocks"); w.value(uint64_t(r.getRepairedBlocks()));
  w.key("repairedBytes"); w.value(uint64_t(r.getRepairedBytes()));
  w.key("trimmedCopies"); w.value(uint64_t(r.getTrimmedCopies()));
  w.key("movedBlocks"); w.value(uint64_t(r.getMovedBlocks()));
  w.key("failedRepairs"); w.value(uint64_t(r.getFailedRepairs()));
  w.key("scanCycles"); w.value(uint64_t(r.getScanCycles()));
  w.key("lastScanMs"); w.value(uint64_t(r.getLastScanMs()));
  w.endObject();
}

kj::StringPtr consistencyName(wire::Consistency c) {
  switch (c) {
    case wire::Consistency::STRONG: return "strong";
    case wire::Consistency::QUORUM: return "quorum";
    case wire::Consistency::EVENTUAL: return "eventual";
  }
  return "unknown";
}

bool parseConsistency(kj::StringPtr text, wire::Consistency& out) {
  for (auto c : {wire::Consistency::STRONG, wire::Consistency::QUORUM,
                 wire::Consistency::EVENTUAL}) {
    if (text == consistencyName(c)) {
      out = c;
      return true;
    }
  }
  return false;
}

void writeVolume(JsonWriter& w, wire::VolumeInfo::Reader v) {
  w.beginObject();
  w.key("name"); w.value(v.getName());
  w.key("id"); w.value(uint64_t(v.getId()));
  w.key("rootIno"); w.value(uint64_t(v.getRootIno()));
  w.key("replicas"); w.value(uint64_t(v.getReplicas()));
  w.key("createdNs"); w.value(int64_t(v.getCreatedNs()));
  w.key("usedBytes"); w.value(uint64_t(v.getUsedBytes()));
  w.key("inodes"); w.value(uint64_t(v.getInodes()));
  w.key("quotaBytes"); w.value(uint64_t(v.getQuotaBytes()));
  w.key("consistency"); w.value(consistencyName(v.getConsistency()));
  w.endObject();
}

void writeMount(JsonWriter& w, wire::MountInfo::Reader m) {
  w.beginObject();
  w.key("sessionId"); w.value(uint64_t(m.getSessionId()));
  w.key("clientName"); w.value(m.getClientName());
  w.key("volume"); w.value(m.getVolume());
  w.key("connectedNs"); w.value(int64_t(m.getConnectedNs()));
  w.key("consistency"); w.value(consistencyName(m.getConsistency()));
  w.endObject();
}

kj::String volumeTable(capnp::List<wire::VolumeInfo>::Reader volumes) {
  Table t(kj::arr(kj::str("NAME"), kj::str("ID"), kj::str("REPLICAS"), kj::str("CONSISTENCY"),
                  kj::str("USED"), kj::str("INODES"), kj::str("QUOTA"), kj::str("CREATED")));
  for (auto v : volumes) {
    t.addRow(kj::arr(kj::str(v.getName()), kj::str(v.getId()), kj::str(v.getReplicas()),
                     kj::str(consistencyName(v.getConsistency())),
                     humanSize(v.getUsedBytes()), kj::str(v.getInodes()),
                     v.getQuotaBytes() == 0 ? kj::str("-") : humanSize(v.getQuotaBytes()),
                     utcTime(v.getCreatedNs())));
  }
  return t.render();
}

kj::String stateCell(wire::NodeStatus::Reader n) {
  auto state = n.getState();
  if (n.getDraining() && state != wire::NodeState::DRAINING && state != wire::NodeState::REMOVED) {
    return kj::str(stateName(state), " (draining)");  // dead wins over draining
  }
  return kj::str(stateName(state));
}

kj::String nodeTable(capnp::List<wire::NodeStatus>::Reader nodes) {
  Table t(kj::arr(kj::str("ID"), kj::str("ADDRESS"), kj::str("STATE"), kj::str("CAPACITY"),
                  kj::str("USED"), kj::str("USED%"), kj::str("FREE"), kj::str("BLOCKS"),
                  kj::str("LOAD"), kj::str("LATENCY"), kj::str("DISK ERRS"),
                  kj::str("CHECKSUM ERRS"), kj::str("HEARTBEAT AGE")));
  for (auto n : nodes) {
    t.addRow(kj::arr(kj::str(n.getNodeId()), kj::str(n.getAddress()),
                     stateCell(n), humanSize(n.getCapacityBytes()),
                     humanSize(n.getUsedBytes()), percent(n.getUsedBytes(), n.getCapacityBytes()),
                     humanSize(n.getFreeBytes()), kj::str(n.getListedBlocks()),
                     loadSummary(n.getLoad()), latencyCell(n.getLoad()),
                     kj::str(n.getDiskErrors()), kj::str(n.getChecksumErrors()),
                     heartbeatAge(n.getLastHeartbeatAgeMs())));
  }
  return t.render();
}

}  // namespace ctl
}  // namespace dfs
