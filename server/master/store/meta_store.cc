// WriteBatch and the byte helpers shared by every MetaStore implementation.
#include "server/master/store/meta_store.h"

#include <cstring>

namespace dfs {

Bytes copyBytes(BytesPtr bytes) {
  return kj::heapArray<kj::byte>(bytes);
}

BytesPtr bytesOf(kj::StringPtr text) {
  return text.asBytes();
}

int compareBytes(BytesPtr a, BytesPtr b) {
  size_t n = kj::min(a.size(), b.size());
  int c = n == 0 ? 0 : memcmp(a.begin(), b.begin(), n);
  if (c != 0) return c;
  return a.size() < b.size() ? -1 : a.size() > b.size() ? 1 : 0;
}

void WriteBatch::put(BytesPtr key, BytesPtr value) {
  ops_.add(Op{false, copyBytes(key), copyBytes(value)});
}

void WriteBatch::del(BytesPtr key) {
  ops_.add(Op{true, copyBytes(key), nullptr});
}

}  // namespace dfs
