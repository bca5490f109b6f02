// Store values: capnp-serialized records (schema/meta.capnp) and the 9-byte dirent value.
#pragma once

#include "server/master/store/meta_store.h"
#include <capnp/message.h>
#include <capnp/serialize.h>
#include <meta.capnp.h>
#include <cstdint>

namespace dfs {

// The flat serialization of `msg` (single- or multi-segment, standard framing).
Bytes encodeMessage(capnp::MessageBuilder& msg);

// Encodes a record whose root (of type T) has been built in `msg`.
template <typename T>
Bytes encodeRecord(capnp::MessageBuilder& msg) {
  return encodeMessage(msg);
}

// Encodes a copy of `root` as a record of type T.
template <typename T>
Bytes encodeRecord(typename T::Reader root) {
  capnp::MallocMessageBuilder msg;
  msg.setRoot(root);
  return encodeMessage(msg);
}

namespace _ {
// Reader over a copy of `bytes` in word-aligned memory, with rpcReaderOptions() limits.
// Throws kj::Exception if `bytes` is not a well-formed message.
class RecordBase {
public:
  explicit RecordBase(BytesPtr bytes);
  RecordBase(RecordBase&&) = default;
  RecordBase& operator=(RecordBase&&) = default;

protected:
  kj::Array<capnp::word> words;
  kj::Own<capnp::FlatArrayMessageReader> reader;
};
}  // namespace _

// A decoded store value of struct type T. Owns its memory; get() readers stay valid as
// long as the Record does. A malformed value throws (at construction or on access).
template <typename T>
class Record : private _::RecordBase {
public:
  explicit Record(BytesPtr bytes) : RecordBase(bytes) {}
  Record(Record&&) = default;
  Record& operator=(Record&&) = default;
  typename T::Reader get() { return reader->getRoot<T>(); }
};

// The record stored at `key`, or nullptr if the key is absent.
template <typename T>
kj::Maybe<Record<T>> getRecord(MetaStore& store, BytesPtr key) {
  KJ_IF_MAYBE(value, store.get(key)) {
    return Record<T>(*value);
  }
  return nullptr;
}

// Directory entry value: be64(child ino) + 1 byte DT_ type (DT_REG, DT_DIR, ...).
struct DirentValue {
  uint64_t ino;
  uint8_t type;
};
Bytes encodeDirent(uint64_t ino, uint8_t type);
DirentValue decodeDirent(BytesPtr value);  // KJ_REQUIREs exactly 9 bytes

// Named counter value (key keys::counter(name)): be64. Absent counters read as `dflt`.
uint64_t getCounter(MetaStore& store, kj::StringPtr name, uint64_t dflt = 0);
void putCounter(WriteBatch& batch, kj::StringPtr name, uint64_t value);

}  // namespace dfs
