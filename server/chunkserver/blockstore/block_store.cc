// BlockStore: durable writes (temp + fsync + rename), verified range reads, startup scan.
#include "server/chunkserver/blockstore/block_store.h"

#include "common/base/limits.h"
#include "common/codec/crc32c.h"
#include "server/chunkserver/blockstore/block_format.h"

#include <kj/debug.h>
#include <string.h>
#include <unistd.h>

namespace dfs {

BlockStore::BlockStore(Disk& disk, kj::StringPtr dataDir) : disk(disk), dir(kj::heapString(dataDir)) {
  disk.makeDir(dir);
  if (disk.makeDir(blocksDir(dir))) disk.syncDir(dir);
  disk.makeDir(tmpDir(dir));
  clearTmp();
  scan();
}

uint64_t BlockStore::fileBytes(uint64_t blockSize) {
  uint64_t n = (blockSize + kChecksumChunk - 1) / kChecksumChunk;
  return kBlockHeaderFixed + 4 * n + 4 + blockSize;
}

void BlockStore::clearTmp() {
  auto tmp = tmpDir(dir);
  auto names = disk.list(tmp);
  for (auto& name : names) {
    KJ_LOG(INFO, "removing leftover temp file", name);
    disk.unlink(kj::str(tmp, "/", name));
  }
  if (names.size() > 0) disk.syncDir(tmp);
}

kj::Maybe<uint64_t> BlockStore::readSizeFromFile(kj::StringPtr path) {
  KJ_IF_MAYBE(file, disk.openRead(path)) {
    kj::byte fixed[kBlockHeaderFixed];
    if ((*file)->readAt(0, fixed) != sizeof(fixed)) return nullptr;
    size_t len = headerLengthFromFixed(fixed);
    auto header = kj::heapArray<kj::byte>(len);
    if ((*file)->readAt(0, header) != len) return nullptr;
    auto h = decodeBlockHeader(header);
    if ((*file)->size() != len + h.blockSize) return nullptr;
    return h.blockSize;
  }
  return nullptr;
}

void BlockStore::scan() {
  auto top = blocksDir(dir);
  for (auto& d1 : disk.list(top)) {
    auto p1 = kj::str(top, "/", d1);
    for (auto& d2 : disk.list(p1)) {
      auto p2 = kj::str(p1, "/", d2);
      for (auto& name : disk.list(p2)) {
        BlockId id;
        if (!BlockId::parseHex(name, id)) continue;
        auto path = kj::str(p2, "/", name);
        kj::Maybe<uint64_t> size;
        KJ_IF_MAYBE(e, kj::runCatchingExceptions([&]() { size = readSizeFromFile(path); })) {
          KJ_LOG(ERROR, "unreadable block file", path, *e);
        }
        KJ_IF_MAYBE(s, size) {
          index[id] = *s;
          used += fileBytes(*s);
        } else {
          KJ_LOG(ERROR, "skipping bad block file", path);
          errors++;
        }
      }
    }
  }
}

void BlockStore::put(BlockId id, kj::ArrayPtr<const kj::byte> data) {
  KJ_REQUIRE(data.size() >= 1 && data.size() <= kMaxBlockSize, "bad block size", data.size());
  auto it = index.find(id);
  if (it != index.end()) {
    KJ_REQUIRE(it->second == data.size(), "block exists with a different size", id.hex(),
               it->second, data.size());
    return;
  }
  auto file = encodeBlockFile(data);
  auto tmp = kj::str(tmpDir(dir), "/", id.hex(), ".", getpid(), ".", tmpCounter++);
  KJ_ON_SCOPE_FAILURE({
    errors++;
    kj::runCatchingExceptions([&]() { disk.unlink(tmp); });
  });
  disk.writeFileSynced(tmp, file);
  auto d1 = blockDir1(dir, id);
  if (disk.makeDir(d1)) disk.syncDir(blocksDir(dir));
  auto d2 = blockDir2(dir, id);
  if (disk.makeDir(d2)) disk.syncDir(d1);
  disk.rename(tmp, blockPath(dir, id));
  disk.syncDir(d2);
  index[id] = data.size();
  used += file.size();
  stats.blocksWritten++;
  stats.bytesWritten += data.size();
}

kj::Array<kj::byte> BlockStore::read(BlockId id, uint64_t offset, uint64_t length) {
  auto it = index.find(id);
  KJ_REQUIRE(it != index.end(), "no such block", id.hex());
  auto path = blockPath(dir, id);
  kj::Own<ReadableFile> file;
  KJ_IF_MAYBE(f, disk.openRead(path)) {
    file = kj::mv(*f);
  } else {
    KJ_FAIL_REQUIRE("no such block", id.hex());
  }

  BlockHeader header;
  {
    bool ok = false;
    KJ_DEFER(if (!ok) { errors++; stats.checksumErrors++; });
    kj::byte fixed[kBlockHeaderFixed];
    KJ_REQUIRE(file->readAt(0, fixed) == sizeof(fixed), "checksum mismatch", "short block file");
    auto raw = kj::heapArray<kj::byte>(headerLengthFromFixed(fixed));
    KJ_REQUIRE(file->readAt(0, raw) == raw.size(), "checksum mismatch", "short block file");
    header = decodeBlockHeader(raw);
    ok = true;
  }

  uint64_t size = header.blockSize;
  KJ_REQUIRE(offset <= size, "offset beyond end", offset, size);
  uint64_t end = offset + kj::min(length, size - offset);
  if (end == offset) return kj::heapArray<kj::byte>(0);

  uint64_t firstChunk = offset / kChecksumChunk;
  uint64_t lastChunk = (end - 1) / kChecksumChunk;
  uint64_t spanBegin = firstChunk * kChecksumChunk;
  uint64_t spanEnd = kj::min((lastChunk + 1) * kChecksumChunk, size);
  auto span = kj::heapArray<kj::byte>(spanEnd - spanBegin);
  size_t got = file->readAt(header.dataOffset() + spanBegin, span);
  if (got != span.size()) {
    errors++;
    stats.checksumErrors++;
    KJ_FAIL_REQUIRE("checksum mismatch", "short block file", id.hex());
  }
  for (uint64_t c = firstChunk; c <= lastChunk; c++) {
    uint64_t b = c * kChecksumChunk - spanBegin;
    uint64_t len = kj::min(kChecksumChunk, size - c * kChecksumChunk);
    if (crc32c(span.begin() + b, len) != header.chunkCrcs[c]) {
      errors++;
      stats.checksumErrors++;
      KJ_LOG(ERROR, "checksum mismatch", id.hex(), c);
      KJ_FAIL_REQUIRE("checksum mismatch", id.hex(), c);
    }
  }
  auto out = kj::heapArray<kj::byte>(end - offset);
  memcpy(out.begin(), span.begin() + (offset - spanBegin), out.size());
  stats.blocksRead++;
  stats.bytesRead += out.size();
  return out;
}

kj::Maybe<uint64_t> BlockStore::stat(BlockId id) const {
  auto it = index.find(id);
  if (it == index.end()) return nullptr;
  return it->second;
}

bool BlockStore::remove(BlockId id) {
  auto it = index.find(id);
  if (it == index.end()) return false;
  disk.unlink(blockPath(dir, id));
  disk.syncDir(blockDir2(dir, id));
  used -= fileBytes(it->second);
  index.erase(it);
  stats.blocksDeleted++;
  return true;
}

}  // namespace dfs
