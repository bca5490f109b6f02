// Test helpers: a temp directory, a fault-injecting Disk wrapper, random block data.
#pragma once

#include "server/chunkserver/blockstore/disk.h"

#include <kj/debug.h>
#include <stdlib.h>
#include <random>
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

  bool failWrites = false;              // writeFileSynced and rename throw
  kj::Maybe<uint64_t> corruptOffset;    // reads covering this file offset get a flipped bit

  bool makeDir(kj::StringPtr p) override { return base.makeDir(p); }
  void writeFileSynced(kj::StringPtr p, kj::ArrayPtr<const kj::byte> d) override {
    if (failWrites) {
      base.writeFileSynced(p, d.slice(0, d.size() / 2));  // a torn write, then an error
      KJ_FAIL_ASSERT("injected write failure", p);
    }
    base.writeFileSynced(p, d);
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

// `n` pseudo-random bytes, the same for the same seed.
inline kj::Array<kj::byte> randomBytes(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  auto out = kj::heapArray<kj::byte>(n);
  for (auto& b : out) b = kj::byte(rng());
  return out;
}

}  // namespace test
}  // namespace dfs
