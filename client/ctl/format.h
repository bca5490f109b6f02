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

// Rows of cells printed with each column padded to its widest cell.
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
void writeVolume(JsonWriter& w, wire::VolumeInfo::Reader v);
void writeMount(JsonWriter& w, wire::MountInfo::Reader m);

// A table of volumes (used by `status` and `volume list`).
kj::String volumeTable(capnp::List<wire::VolumeInfo>::Reader volumes);

}  // namespace ctl
}  // namespace dfs
