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
    for (size_t c = 0; c < cols; c++) widths[c] = kj::max(widths[c], row[c].size());
  }
  kj::Vector<char> out;
  for (auto& row : rows) {
    for (size_t c = 0; c < cols; c++) {
      out.addAll(row[c]);
      if (c + 1 < cols) {
        for (size_t i = row[c].size(); i < widths[c] + 2; i++) out.add(' ');
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
  w.endObject();
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
  w.endObject();
}

void writeMount(JsonWriter& w, wire::MountInfo::Reader m) {
  w.beginObject();
  w.key("sessionId"); w.value(uint64_t(m.getSessionId()));
  w.key("clientName"); w.value(m.getClientName());
  w.key("volume"); w.value(m.getVolume());
  w.key("connectedNs"); w.value(int64_t(m.getConnectedNs()));
  w.endObject();
}

kj::String volumeTable(capnp::List<wire::VolumeInfo>::Reader volumes) {
  Table t(kj::arr(kj::str("NAME"), kj::str("ID"), kj::str("REPLICAS"), kj::str("USED"),
                  kj::str("INODES"), kj::str("QUOTA"), kj::str("CREATED")));
  for (auto v : volumes) {
    t.addRow(kj::arr(kj::str(v.getName()), kj::str(v.getId()), kj::str(v.getReplicas()),
                     humanSize(v.getUsedBytes()), kj::str(v.getInodes()),
                     v.getQuotaBytes() == 0 ? kj::str("-") : humanSize(v.getQuotaBytes()),
                     utcTime(v.getCreatedNs())));
  }
  return t.render();
}

}  // namespace ctl
}  // namespace dfs
