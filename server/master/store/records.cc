// Record encoding/decoding helpers, dirent values and counters.
#include "server/master/store/records.h"

#include "common/rpc/rpc.h"
#include "server/master/store/keys.h"
#include <kj/debug.h>
#include <cstring>

namespace dfs {

Bytes encodeMessage(capnp::MessageBuilder& msg) {
  auto words = capnp::messageToFlatArray(msg);
  return kj::heapArray<kj::byte>(words.asBytes());
}

namespace _ {

RecordBase::RecordBase(BytesPtr bytes) {
  KJ_REQUIRE(bytes.size() % sizeof(capnp::word) == 0, "record is not a whole number of words",
             bytes.size());
  words = kj::heapArray<capnp::word>(bytes.size() / sizeof(capnp::word));
  if (bytes.size() > 0) memcpy(words.begin(), bytes.begin(), bytes.size());
  reader = kj::heap<capnp::FlatArrayMessageReader>(words.asPtr(), rpcReaderOptions());
}

}  // namespace _

Bytes encodeDirent(uint64_t ino, uint8_t type) {
  auto out = kj::heapArray<kj::byte>(9);
  auto be = keys::be64(ino);
  memcpy(out.begin(), be.begin(), 8);
  out[8] = type;
  return out;
}

DirentValue decodeDirent(BytesPtr value) {
  KJ_REQUIRE(value.size() == 9, "malformed dirent value", value.size());
  return {keys::readBe64(value), value[8]};
}

uint64_t getCounter(MetaStore& store, kj::StringPtr name, uint64_t dflt) {
  KJ_IF_MAYBE(value, store.get(keys::counter(name))) {
    KJ_REQUIRE(value->size() == 8, "malformed counter", name, value->size());
    return keys::readBe64(*value);
  }
  return dflt;
}

void putCounter(WriteBatch& batch, kj::StringPtr name, uint64_t value) {
  batch.put(keys::counter(name), keys::be64(value));
}

}  // namespace dfs
