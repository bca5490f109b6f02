// Output helpers for dfsctl: human sizes and durations, aligned tables, a small JSON writer.
#pragma once

#include <common.capnp.h>
#include <kj/string.h>
#include <kj/vector.h>
#include <cstdint>

namespace dfs {
namespace ctl {

// "0 B", "512 B", "1.5 KiB", "3.0 GiB", ...
kj::String humanSize(uint64_t bytes);
// "350 ms", "2.5 s", "3 m 20 s", "5 h 2 m", "2 d 3 h"
kj::String humanDurationMs(uint64_t ms);
// "2026-11-25 15:49:10 UTC" from nanoseconds since the epoch.
kj::String utcTime(int64_t ns);
kj::StringPtr healthName(wire::NodeHealth h);
// "joining", "healthy", "suspect", "dead", "draining", "removed"
kj::StringPtr stateName(wire::NodeState s);
kj::StringPtr consistencyName(wire::Consistency c);
// "strong", "quorum" or "eventual" -> `out`; false for anything else.
bool parseConsistency(kj::StringPtr text, wire::Consistency& out);
// "0 B/s", "1.5 MiB/s"
kj::String humanRate(uint64_t bytesPerSec);
// "850 µs", "2.5 ms", "1.2 s"
kj::String humanLatencyUs(uint64_t us);
// "42.0%" of used in capacity; "-" when capacity is 0.
kj::String percent(uint64_t used, uint64_t capacity);
// humanDurationMs, or "never" for UINT64_MAX (the master has not heard from the node).
kj::String heartbeatAge(uint64_t ms);
// The state name, plus " (draining)" when a drain was requested but another state shows.
kj::String stateCell(wire::NodeStatus::Reader n);
// humanLatencyUs of the load's average, or "-" when it is 0 (no request completed).
kj::String latencyCell(wire::NodeLoad::Reader load);
// "2 req, r 1.5 MiB/s, w 0 B/s"
kj::String loadSummary(wire::NodeLoad::Reader load);

// Cluster health as `dfsctl status` reports it: critical if any block has no live copy;
// degraded if any block is under-replicated or any node is joining, suspect or dead.
enum class ClusterHealth { HEALTHY, DEGRADED, CRITICAL };
struct ClusterVerdict {
  ClusterHealth health;
  kj::String reasons;  // "" when healthy, else e.g. "2 blocks missing; 1 node dead"
};
ClusterVerdict clusterHealth(capnp::List<wire::NodeStatus>::Reader nodes,
                             wire::ReplicationStatus::Reader replication);
// "healthy", "degraded", "critical" (the status header prints them in capitals)
kj::StringPtr clusterHealthName(ClusterHealth h);

// Rows of cells printed with each column padded to its widest cell (widths count UTF-8
// characters, not bytes).
class Table {
public:
  explicit Table(kj::Array<kj::String> header);
  void addRow(kj::Array<kj::String> row);
  kj::String render() const;

private:
  kj::Vector<kj::Array<kj::String>> rows;  // rows[0] is the header
};

// Builds one compact JSON document. Callers nest begin/end calls correctly; key() precedes
// every value inside an object.
class JsonWriter {
public:
  void beginObject();
  void endObject();
  void beginArray();
  void endArray();
  void key(kj::StringPtr name);
  void value(kj::StringPtr s);
  void value(uint64_t v);
  void value(int64_t v);
  void value(bool v);
  kj::String finish();  // the document followed by a newline

private:
  kj::Vector<char> out;
  kj::Vector<bool> first;  // per open container: no element written yet
  bool afterKey = false;

  void separate();
  void append(kj::StringPtr s);
  void writeString(kj::StringPtr s);
};

// JSON objects for the schema's structs, keys in the schema's camelCase.
void writeNode(JsonWriter& w, wire::NodeStatus::Reader n);
void writeReplication(JsonWriter& w, wire::ReplicationStatus::Reader r);
void writeVolume(JsonWriter& w, wire::VolumeInfo::Reader v);
void writeMount(JsonWriter& w, wire::MountInfo::Reader m);

// A table of volumes (used by `status` and `volume list`).
kj::String volumeTable(capnp::List<wire::VolumeInfo>::Reader volumes);
// A table of chunk servers (used by `status` and `node list`).
kj::String nodeTable(capnp::List<wire::NodeStatus>::Reader nodes);

}  // namespace ctl
}  // namespace dfs
