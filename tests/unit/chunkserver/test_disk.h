// Test helpers: a temp directory, a fault-injecting Disk wrapper, a memory Disk, random data.
#pragma once

#include "common/base/clock.h"
#include "server/chunkserver/blockstore/disk.h"

#include <kj/debug.h>
#include <stdlib.h>
#include <string.h>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <string>

namespace dfs {
namespace test {

// A fresh directory under /tmp, removed with its contents on destruction.
class TempDir {
public:
  TempDir() {
    char tmpl[] = "/tmp/dfs-chunk-test-XXXXXX";
    KJ_ASSERT(mkdtemp(tmpl) != nullptr);
    path = kj::heapString(tmpl);
  }
  ~TempDir() { (void)system(kj::str("rm -rf '", path, "'").cStr()); }
  kj::String path;
};

// Wraps a real disk; can corrupt every byte read at one file offset, or fail writes.
class FaultDisk final : public Disk {
public:
  explicit FaultDisk(Disk& base) : base(base) {}

  bool failWrites = false;              // writeFile(Synced) and rename throw
  bool failSyncs = false;               // syncFile throws
  kj::Maybe<uint64_t> corruptOffset;    // reads covering this file offset get a flipped bit

  bool makeDir(kj::StringPtr p) override { return base.makeDir(p); }
  void writeFileSynced(kj::StringPtr p, kj::ArrayPtr<const kj::byte> d) override {
    if (failWrites) {
      base.writeFileSynced(p, d.slice(0, d.size() / 2));  // a torn write, then an error
      KJ_FAIL_ASSERT("injected write failure", p);
    }
    base.writeFileSynced(p, d);
  }
  void writeFile(kj::StringPtr p, kj::ArrayPtr<const kj::byte> d) override {
    if (failWrites) {
      base.writeFile(p, d.slice(0, d.size() / 2));  // a torn write, then an error
      KJ_FAIL_ASSERT("injected write failure", p);
    }
    base.writeFile(p, d);
  }
  void syncFile(kj::StringPtr p) override {
    if (failSyncs) KJ_FAIL_ASSERT("injected fsync failure", p);
    base.syncFile(p);
  }
  kj::Maybe<kj::Own<ReadableFile>> openRead(kj::StringPtr p) override {
    KJ_IF_MAYBE(f, base.openRead(p)) {
      return kj::Own<ReadableFile>(kj::heap<File>(*this, kj::mv(*f)));
    }
    return nullptr;
  }
  void rename(kj::StringPtr a, kj::StringPtr b) override {
    if (failWrites) KJ_FAIL_ASSERT("injected rename failure");
    base.rename(a, b);
  }
  void syncDir(kj::StringPtr p) override { base.syncDir(p); }
  bool unlink(kj::StringPtr p) override { return base.unlink(p); }
  kj::Array<kj::String> list(kj::StringPtr p) override { return base.list(p); }
  uint64_t fileSystemSize(kj::StringPtr p) override { return base.fileSystemSize(p); }
  uint64_t fileSystemFree(kj::StringPtr p) override { return base.fileSystemFree(p); }
  kj::Maybe<FileStat> stat(kj::StringPtr p) override { return base.stat(p); }

private:
  Disk& base;

  class File final : public ReadableFile {
  public:
    File(FaultDisk& disk, kj::Own<ReadableFile> inner) : disk(disk), inner(kj::mv(inner)) {}
    size_t readAt(uint64_t offset, kj::ArrayPtr<kj::byte> buf) override {
      size_t n = inner->readAt(offset, buf);
      KJ_IF_MAYBE(c, disk.corruptOffset) {
        if (*c >= offset && *c < offset + n) buf[*c - offset] ^= 0x40;
      }
      return n;
    }
    uint64_t size() override { return inner->size(); }
  private:
    FaultDisk& disk;
    kj::Own<ReadableFile> inner;
  };
};

// A Disk in memory, for tests that need many blocks fast: no fsync cost, mtimes from
// `clock`, a fixed file system size. Directories must be created before files in them.
class MemDisk final : public Disk {
public:
  explicit MemDisk(Clock& clock) : clock(clock) {}

  uint64_t fsSize = 1ull << 40;
  uint64_t fsFree = 1ull << 39;

  bool makeDir(kj::StringPtr p) override { return dirs.insert(p.cStr()).second; }
  void writeFileSynced(kj::StringPtr p, kj::ArrayPtr<const kj::byte> d) override {
    KJ_REQUIRE(dirs.count(parent(p)) > 0, "no such directory", p);
    files[p.cStr()] = Entry{std::make_shared<std::string>(d.asChars().begin(), d.size()),
                            clock.nowNs()};
  }
  void writeFile(kj::StringPtr p, kj::ArrayPtr<const kj::byte> d) override {
    writeFileSynced(p, d);
  }
  void syncFile(kj::StringPtr p) override {
    KJ_REQUIRE(files.count(p.cStr()) > 0, "sync: no such file", p);
  }
  kj::Maybe<kj::Own<ReadableFile>> openRead(kj::StringPtr p) override {
    auto it = files.find(p.cStr());
    if (it == files.end()) return nullptr;
    return kj::Own<ReadableFile>(kj::heap<File>(it->second.data));
  }
  void rename(kj::StringPtr a, kj::StringPtr b) override {
    auto it = files.find(a.cStr());
    KJ_REQUIRE(it != files.end(), "rename: no such file", a);
    KJ_REQUIRE(dirs.count(parent(b)) > 0, "rename: no such directory", b);
    auto e = it->second;
    files.erase(it);
    files[b.cStr()] = e;
  }
  void syncDir(kj::StringPtr) override {}
  bool unlink(kj::StringPtr p) override { return files.erase(p.cStr()) > 0; }
  kj::Array<kj::String> list(kj::StringPtr p) override {
    std::string prefix = std::string(p.cStr()) + "/";
    std::set<std::string> names;
    auto add = [&](const std::string& path) {
      if (path.compare(0, prefix.size(), prefix) != 0) return false;
      auto rest = path.substr(prefix.size());
      names.insert(rest.substr(0, rest.find('/')));
      return true;
    };
    for (auto it = files.lower_bound(prefix); it != files.end() && add(it->first); ++it) {}
    for (auto it = dirs.lower_bound(prefix); it != dirs.end() && add(*it); ++it) {}
    auto out = kj::heapArrayBuilder<kj::String>(names.size());
    for (auto& n : names) out.add(kj::heapString(n.c_str()));
    return out.finish();
  }
  uint64_t fileSystemSize(kj::StringPtr) override { return fsSize; }
  uint64_t fileSystemFree(kj::StringPtr) override { return fsFree; }
  kj::Maybe<FileStat> stat(kj::StringPtr p) override {
    auto it = files.find(p.cStr());
    if (it == files.end()) return nullptr;
    return FileStat{it->second.data->size(), it->second.mtimeNs};
  }

private:
  struct Entry {
    std::shared_ptr<std::string> data;
    int64_t mtimeNs;
  };
  Clock& clock;
  std::set<std::string> dirs;
  std::map<std::string, Entry> files;

  static std::string parent(kj::StringPtr p) {
    std::string s = p.cStr();
    return s.substr(0, s.rfind('/'));
  }

  class File final : public ReadableFile {
  public:
    explicit File(std::shared_ptr<std::string> data) : data(kj::mv(data)) {}
    size_t readAt(uint64_t offset, kj::ArrayPtr<kj::byte> buf) override {
      if (offset >= data->size()) return 0;
      size_t n = kj::min(buf.size(), data->size() - offset);
      memcpy(buf.begin(), data->data() + offset, n);
      return n;
    }
    uint64_t size() override { return data->size(); }
  private:
    std::shared_ptr<std::string> data;
  };
};

// `n` pseudo-random bytes, the same for the same seed.
inline kj::Array<kj::byte> randomBytes(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  auto out = kj::heapArray<kj::byte>(n);
  for (auto& b : out) b = kj::byte(rng());
  return out;
}

}  // namespace test
}  // namespace dfs
