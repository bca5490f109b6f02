// SegmentFiles: segment files with checksummed headers, startup scan, LRU eviction.
#include "segment_files.h"

#include <kj/debug.h>
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <vector>
#include "common/base/limits.h"
#include "common/codec/crc32c.h"

namespace dfs {
namespace {

constexpr char kMagic[8] = {'D', 'F', 'S', 'S', 'E', 'G', '0', '1'};

void putU64(kj::byte* p, uint64_t v) {
  for (int i = 0; i < 8; i++) p[i] = static_cast<kj::byte>(v >> (8 * i));
}
uint64_t getU64(const kj::byte* p) {
  uint64_t v = 0;
  for (int i = 0; i < 8; i++) v |= static_cast<uint64_t>(p[i]) << (8 * i);
  return v;
}

// Parses "<32 hex>-<decimal>.seg".
bool parseName(kj::StringPtr name, SegmentKey& out) {
  if (name.size() < 32 + 1 + 1 + 4 || !name.endsWith(".seg") || name[32] != '-') return false;
  if (!BlockId::parseHex(kj::heapString(name.slice(0, 32)), out.block)) return false;
  uint64_t seg = 0;
  for (size_t i = 33; i < name.size() - 4; i++) {
    if (name[i] < '0' || name[i] > '9' || i - 33 >= 12) return false;
    seg = seg * 10 + (name[i] - '0');
  }
  out.segment = seg;
  return true;
}

bool writeAll(int fd, const kj::byte* p, size_t n) {
  while (n > 0) {
    ssize_t w = ::write(fd, p, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return false;
    p += w;
    n -= w;
  }
  return true;
}

bool readAll(int fd, kj::byte* p, size_t n) {
  while (n > 0) {
    ssize_t r = ::read(fd, p, n);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return false;
    p += r;
    n -= r;
  }
  return true;
}

}  // namespace

SegmentFiles::SegmentFiles(kj::StringPtr dirPath, uint64_t capacityBytes)
    : dir(kj::str(dirPath)), capacity(capacityBytes) {
  if (mkdir(dir.cStr(), 0700) != 0 && errno != EEXIST) {
    KJ_FAIL_SYSCALL("mkdir", errno, dir);
  }
  scan();
}

kj::String SegmentFiles::fileName(const SegmentKey& key) {
  return kj::str(key.block.hex(), "-", key.segment, ".seg");
}

kj::String SegmentFiles::pathOf(const SegmentKey& key) const {
  return kj::str(dir, "/", fileName(key));
}

void SegmentFiles::scan() {
  DIR* d = opendir(dir.cStr());
  if (d == nullptr) KJ_FAIL_SYSCALL("opendir", errno, dir);
  KJ_DEFER(closedir(d));
  struct Found {
    SegmentKey key;
    uint64_t bytes;
    int64_t mtimeNs;
  };
  std::vector<Found> found;
  while (struct dirent* e = readdir(d)) {
    kj::StringPtr name = e->d_name;
    kj::String path = kj::str(dir, "/", name);
    if (name.endsWith(".tmp")) {
      unlink(path.cStr());  // a store cut short by a crash
      continue;
    }
    SegmentKey key;
    if (!parseName(name, key)) continue;
    struct stat st;
    if (stat(path.cStr(), &st) != 0 || !S_ISREG(st.st_mode)) continue;
    found.push_back(Found{key, static_cast<uint64_t>(st.st_size),
                          st.st_mtim.tv_sec * 1'000'000'000LL + st.st_mtim.tv_nsec});
  }
  // Oldest first, so each add() puts a newer file in front.
  std::sort(found.begin(), found.end(),
            [](const Found& a, const Found& b) { return a.mtimeNs < b.mtimeNs; });
  for (auto& f : found) add(f.key, f.bytes, true);
  evictTo(capacity);
}

void SegmentFiles::add(const SegmentKey& key, uint64_t bytes, bool mostRecent) {
  if (mostRecent) lru.push_front(Entry{key, bytes});
  else lru.push_back(Entry{key, bytes});
  index[key] = mostRecent ? lru.begin() : std::prev(lru.end());
  used += bytes;
}

void SegmentFiles::forget(const SegmentKey& key, bool unlinkFile) {
  auto it = index.find(key);
  if (it == index.end()) return;
  used -= it->second->bytes;
  lru.erase(it->second);
  index.erase(it);
  if (unlinkFile) unlink(pathOf(key).cStr());
  dropped.add(key);
}

kj::Array<SegmentKey> SegmentFiles::takeDropped() {
  auto out = dropped.releaseAsArray();
  dropped = kj::Vector<SegmentKey>();
  return out;
}

kj::Array<SegmentKey> SegmentFiles::keys() const {
  auto out = kj::heapArrayBuilder<SegmentKey>(lru.size());
  for (auto& e : lru) out.add(e.key);
  return out.finish();
}

void SegmentFiles::evictTo(uint64_t limit) {
  while (used > limit && !lru.empty()) {
    SegmentKey key = lru.back().key;
    forget(key, true);
    evicted++;
  }
}

kj::Maybe<kj::Array<kj::byte>> SegmentFiles::load(const SegmentKey& key) {
  auto it = index.find(key);
  if (it == index.end()) return nullptr;
  kj::String path = pathOf(key);
  int fd = open(path.cStr(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    forget(key, false);  // gone (another mount evicted it) or unreadable
    return nullptr;
  }
  KJ_DEFER(close(fd));
  kj::byte header[kHeaderSize];
  bool ok = readAll(fd, header, kHeaderSize) && memcmp(header, kMagic, 8) == 0 &&
            getU64(header + 8) == key.block.hi && getU64(header + 16) == key.block.lo &&
            getU64(header + 24) == key.segment;
  uint64_t length = ok ? getU64(header + 32) : 0;
  ok = ok && length <= kMaxBlockSize && length + kHeaderSize == it->second->bytes;
  kj::Array<kj::byte> data = kj::heapArray<kj::byte>(ok ? length : 0);
  if (ok) {
    uint32_t crc = static_cast<uint32_t>(getU64(header + 40));
    kj::byte extra;
    ok = readAll(fd, data.begin(), length) && crc32c(data.begin(), length) == crc &&
         !readAll(fd, &extra, 1);
  }
  if (!ok) {
    corrupt++;
    forget(key, true);
    return nullptr;
  }
  futimens(fd, nullptr);  // recency for the next startup scan
  lru.splice(lru.begin(), lru, it->second);
  return kj::mv(data);
}

bool SegmentFiles::store(const SegmentKey& key, kj::ArrayPtr<const kj::byte> data) {
  if (index.count(key) > 0) return true;
  uint64_t bytes = kHeaderSize + data.size();
  if (bytes > capacity) return true;  // never fits: not an error
  evictTo(capacity - bytes);

  kj::byte header[kHeaderSize];
  memset(header, 0, sizeof(header));
  memcpy(header, kMagic, 8);
  putU64(header + 8, key.block.hi);
  putU64(header + 16, key.block.lo);
  putU64(header + 24, key.segment);
  putU64(header + 32, data.size());
  putU64(header + 40, crc32c(data.begin(), data.size()));  // upper 4 bytes stay zero

  kj::String path = pathOf(key);
  kj::String tmp = kj::str(path, ".tmp");
  int fd = open(tmp.cStr(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return false;
  bool ok = writeAll(fd, header, kHeaderSize) && writeAll(fd, data.begin(), data.size());
  ok = close(fd) == 0 && ok;
  ok = ok && rename(tmp.cStr(), path.cStr()) == 0;
  if (!ok) {
    unlink(tmp.cStr());
    return false;
  }
  add(key, bytes, true);
  return true;
}

}  // namespace dfs
