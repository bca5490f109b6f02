// In-memory MetaStore: a std::map of byte strings; iterators copy it (snapshot on create).
#include "server/master/store/memory_store.h"

#include <kj/debug.h>
#include <map>
#include <memory>
#include <string>

namespace dfs {
namespace {

using Map = std::map<std::string, std::string>;

std::string toString(BytesPtr b) {
  return std::string(reinterpret_cast<const char*>(b.begin()), b.size());
}

BytesPtr toBytes(const std::string& s) {
  return BytesPtr(reinterpret_cast<const kj::byte*>(s.data()), s.size());
}

// std::string compares as unsigned bytes (char_traits<char>::compare uses memcmp), so
// map order equals compareBytes() order.
class MemoryIterator final : public MetaIterator {
public:
  explicit MemoryIterator(std::shared_ptr<const Map> snapshot)
      : map(kj::mv(snapshot)), it(map->end()) {}

  void seek(BytesPtr key) override { it = map->lower_bound(toString(key)); }
  void seekForPrev(BytesPtr key) override {
    auto ub = map->upper_bound(toString(key));
    it = ub == map->begin() ? map->end() : std::prev(ub);
  }
  bool valid() const override { return it != map->end(); }
  void next() override {
    KJ_REQUIRE(valid());
    ++it;
  }
  void prev() override {
    KJ_REQUIRE(valid());
    it = it == map->begin() ? map->end() : std::prev(it);
  }
  BytesPtr key() const override {
    KJ_REQUIRE(valid());
    return toBytes(it->first);
  }
  BytesPtr value() const override {
    KJ_REQUIRE(valid());
    return toBytes(it->second);
  }

private:
  std::shared_ptr<const Map> map;
  Map::const_iterator it;
};

class MemoryStore final : public MetaStore {
public:
  kj::Maybe<Bytes> get(BytesPtr key) override {
    auto it = map->find(toString(key));
    if (it == map->end()) return nullptr;
    return copyBytes(toBytes(it->second));
  }

  kj::Own<MetaIterator> newIterator() override {
    // Copy-on-write: iterators share the current map; the next write copies it.
    return kj::heap<MemoryIterator>(map);
  }

  void write(const WriteBatch& batch) override {
    auto next = map.use_count() > 1 ? std::make_shared<Map>(*map) : map;
    for (auto& op : batch.ops()) {
      if (op.isDelete) {
        next->erase(toString(op.key));
      } else {
        (*next)[toString(op.key)] = toString(op.value);
      }
    }
    map = kj::mv(next);
  }

private:
  std::shared_ptr<Map> map = std::make_shared<Map>();
};

}  // namespace

kj::Own<MetaStore> newMemoryStore() {
  return kj::heap<MemoryStore>();
}

}  // namespace dfs
