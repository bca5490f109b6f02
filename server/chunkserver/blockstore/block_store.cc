// BlockStore: durable writes (temp + fsync + rename, at once or in deferred steps), verified
// reads and scrubs, quarantine of corrupt copies, startup recovery and scan.
#include "server/chunkserver/blockstore/block_store.h"

#include "common/base/limits.h"

#include <kj/debug.h>
#include <string.h>
#include <unistd.h>
#include <string>
#include <unordered_map>
#include <unordered_set>

namespace dfs {

BlockStore::BlockStore(Disk& disk, kj::StringPtr dataDir, Clock& clock)
    : disk(disk), clock(clock), dir(kj::heapString(dataDir)) {
  init();
}

BlockStore::BlockStore(Disk& disk, kj::StringPtr dataDir)
    : ownClock(kj::heap<SystemClock>()), disk(disk), clock(*ownClock),
      dir(kj::heapString(dataDir)) {
  init();
}

void BlockStore::init() {
  disk.makeDir(dir);
  if (disk.makeDir(blocksDir(dir))) disk.syncDir(dir);
  disk.makeDir(tmpDir(dir));
  disk.makeDir(corruptDir(dir));
  quarantinedFiles = disk.list(corruptDir(dir)).size();
  recoverTmp();
  scan();
}

uint64_t BlockStore::fileBytes(uint64_t blockSize) {
  uint64_t n = (blockSize + kChecksumChunk - 1) / kChecksumChunk;
  return kBlockHeaderFixed + 4 * n + 4 + blockSize;
}

bool BlockStore::verifyFile(kj::StringPtr path) {
  bool good = false;
  KJ_IF_MAYBE(e, kj::runCatchingExceptions([&]() {
    KJ_IF_MAYBE(file, disk.openRead(path)) {
      uint64_t size = (*file)->size();
      if (size < kBlockHeaderFixed || size > fileBytes(kMaxBlockSize)) return;
      auto bytes = kj::heapArray<kj::byte>(size);
      if ((*file)->readAt(0, bytes) != size) return;
      size_t len = headerLengthFromFixed(bytes.slice(0, kBlockHeaderFixed));
      if (len > size) return;
      auto header = decodeBlockHeader(bytes.slice(0, len));
      if (size != len + header.blockSize || header.chunkCrcs.size() == 0) return;
      good = firstBadChunk(header, bytes.slice(len, size), 0, header.chunkCrcs.size() - 1) ==
             nullptr;
    }
  })) {
    KJ_LOG(WARNING, "unreadable temp block file", path, *e);
  }
  return good;
}

void BlockStore::recoverTmp() {
  auto tmp = tmpDir(dir);
  auto names = disk.list(tmp);
  kj::Vector<PendingItem> keep;
  for (auto& name : names) {
    auto path = kj::str(tmp, "/", name);
    BlockId id;
    size_t idEnd = name.size();
    KJ_IF_MAYBE(dot, name.findFirst('.')) idEnd = *dot;
    bool named = BlockId::parseHex(kj::heapString(name.slice(0, idEnd)), id);
    if (named && disk.stat(blockPath(dir, id)) == nullptr && verifyFile(path)) {
      keep.add(PendingItem{id, kj::mv(path)});
    } else {
      KJ_LOG(INFO, "removing leftover temp file", name);
      disk.unlink(path);
    }
  }
  if (!keep.empty()) {
    auto ok = makeDurable(disk, dir, keep);
    size_t kept = 0;
    for (size_t i = 0; i < keep.size(); i++) {
      if (ok[i]) {
        kept++;
      } else {
        errors++;
        kj::runCatchingExceptions([&]() { disk.unlink(keep[i].tmpPath); });
      }
    }
    KJ_LOG(INFO, "stored blocks whose fsync a restart interrupted", kept);
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
  int64_t now = clock.nowNs();
  for (auto& d1 : disk.list(top)) {
    auto p1 = kj::str(top, "/", d1);
    for (auto& d2 : disk.list(p1)) {
      auto p2 = kj::str(p1, "/", d2);
      for (auto& name : disk.list(p2)) {
        BlockId id;
        if (!BlockId::parseHex(name, id)) continue;
        auto path = kj::str(p2, "/", name);
        kj::Maybe<uint64_t> size;
        int64_t storedNs = now;
        KJ_IF_MAYBE(e, kj::runCatchingExceptions([&]() {
          size = readSizeFromFile(path);
          KJ_IF_MAYBE(st, disk.stat(path)) storedNs = st->mtimeNs;
        })) {
          KJ_LOG(ERROR, "unreadable block file", path, *e);
          size = nullptr;
        }
        KJ_IF_MAYBE(s, size) {
          index[id] = Entry{*s, storedNs};
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
    KJ_REQUIRE(it->second.size == data.size(), "block exists with a different size", id.hex(),
               it->second.size, data.size());
    return;
  }
  auto file = BlockFileBuffer::of(data);
  PendingItem item{id, tempPathFor(id)};
  {
    KJ_ON_SCOPE_FAILURE({
      errors++;
      kj::runCatchingExceptions([&]() { disk.unlink(item.tmpPath); });
    });
    disk.writeFile(item.tmpPath, file.bytes());
  }
  addPending(id, data.size(), item.tmpPath);
  bool ok = makeDurable(disk, dir, kj::arrayPtr(&item, 1))[0];
  settle(item, ok);
  KJ_REQUIRE(ok, "could not store the block durably", id.hex());
}

kj::String BlockStore::tempPathFor(BlockId id) {
  return kj::str(tmpDir(dir), "/", id.hex(), ".", getpid(), ".", tmpCounter++);
}

bool BlockStore::addPending(BlockId id, uint64_t blockSize, kj::StringPtr tmpPath) {
  auto it = index.find(id);
  if (it != index.end()) {
    kj::runCatchingExceptions([&]() { disk.unlink(tmpPath); });
    KJ_REQUIRE(it->second.size == blockSize, "block exists with a different size", id.hex(),
               it->second.size, blockSize);
    return false;
  }
  index[id] = Entry{blockSize, clock.nowNs(), kj::heapString(tmpPath)};
  pending++;
  used += fileBytes(blockSize);
  stats.blocksWritten++;
  stats.bytesWritten += blockSize;
  // A good copy again: it must not be reported corrupt any more.
  markCorruptReported(kj::arrayPtr(&id, 1));
  return true;
}

kj::Array<bool> BlockStore::makeDurable(Disk& disk, kj::StringPtr dataDir,
                                         kj::ArrayPtr<const PendingItem> items) {
  auto paths = KJ_MAP(item, items) { return kj::heapString(item.tmpPath); };
  auto ok = disk.syncFiles(paths);
  // Rename each synced file to its real name, then fsync each directory touched once.
  std::unordered_map<std::string, kj::Vector<size_t>> dirs;
  for (size_t i = 0; i < items.size(); i++) {
    if (!ok[i]) continue;
    auto id = items[i].id;
    KJ_IF_MAYBE(e, kj::runCatchingExceptions([&]() {
      auto d1 = blockDir1(dataDir, id);
      if (disk.makeDir(d1)) disk.syncDir(blocksDir(dataDir));
      auto d2 = blockDir2(dataDir, id);
      if (disk.makeDir(d2)) disk.syncDir(d1);
      disk.rename(items[i].tmpPath, blockPath(dataDir, id));
      dirs[d2.cStr()].add(i);
    })) {
      KJ_LOG(ERROR, "cannot move a block file to its real name", items[i].tmpPath, *e);
      ok[i] = false;
    }
  }
  for (auto& [d, members] : dirs) {
    KJ_IF_MAYBE(e, kj::runCatchingExceptions([&]() { disk.syncDir(d.c_str()); })) {
      KJ_LOG(ERROR, "cannot fsync a block directory", d, *e);
      for (auto i : members) ok[i] = false;
    }
  }
  return ok;
}

void BlockStore::noteWriteFailure(kj::StringPtr tmpPath) {
  errors++;
  kj::runCatchingExceptions([&]() { disk.unlink(tmpPath); });
}

void BlockStore::settle(const PendingItem& item, bool ok) {
  auto it = index.find(item.id);
  if (it == index.end() || it->second.tmpPath != item.tmpPath) return;
  it->second.tmpPath = nullptr;
  pending--;
  if (ok) return;
  // Not durable: the copy is dropped, as a corrupt one would be (the master re-replicates).
  KJ_LOG(ERROR, "block could not be made durable; dropping the copy", item.id.hex());
  errors++;
  used -= fileBytes(it->second.size);
  index.erase(it);
  kj::runCatchingExceptions([&]() {
    disk.unlink(item.tmpPath);
    disk.unlink(blockPath(dir, item.id));
  });
}

void BlockStore::quarantine(BlockId id, kj::StringPtr why, bool fileExists) {
  KJ_LOG(ERROR, "corrupt block copy; quarantining it", id.hex(), why);
  errors++;
  if (fileExists) stats.checksumErrors++;
  auto it = index.find(id);
  if (it == index.end()) return;
  used -= fileBytes(it->second.size);
  kj::String path = kj::mv(it->second.tmpPath);
  if (path != nullptr) pending--;
  index.erase(it);
  stats.corruptCopies++;
  corrupt.add(id);
  if (!fileExists) return;
  if (path == nullptr) path = blockPath(dir, id);
  KJ_IF_MAYBE(e, kj::runCatchingExceptions([&]() {
    if (quarantinedFiles < kMaxQuarantinedFiles) {
      auto target = corruptPath(dir, id);
      bool replacing = disk.stat(target) != nullptr;
      disk.rename(path, target);
      disk.syncDir(corruptDir(dir));
      if (!replacing) quarantinedFiles++;
      stats.quarantined++;
    } else {
      disk.unlink(path);
    }
    disk.syncDir(blockDir2(dir, id));
  })) {
    KJ_LOG(ERROR, "could not move a corrupt block file away", path, *e);
  }
}

kj::Maybe<kj::Own<ReadableFile>> BlockStore::openBlock(BlockId id) {
  auto it = index.find(id);
  if (it != index.end() && it->second.tmpPath != nullptr) {
    // Not durable yet; another thread may be renaming it right now, so the real name is
    // tried next.
    KJ_IF_MAYBE(f, disk.openRead(it->second.tmpPath)) {
      return kj::mv(*f);
    }
  }
  KJ_IF_MAYBE(f, disk.openRead(blockPath(dir, id))) {
    return kj::mv(*f);
  }
  quarantine(id, "block file missing", false);
  return nullptr;
}

kj::Maybe<BlockHeader> BlockStore::readHeader(BlockId id, ReadableFile& file) {
  // I/O errors propagate; anything wrong with the bytes read is corruption.
  kj::byte fixed[kBlockHeaderFixed];
  if (file.readAt(0, fixed) != sizeof(fixed)) {
    quarantine(id, "short block file", true);
    return nullptr;
  }
  kj::Maybe<size_t> length;
  kj::runCatchingExceptions([&]() { length = headerLengthFromFixed(fixed); });
  KJ_IF_MAYBE(len, length) {
    auto raw = kj::heapArray<kj::byte>(*len);
    if (file.readAt(0, raw) != raw.size()) {
      quarantine(id, "short block file", true);
      return nullptr;
    }
    kj::Maybe<BlockHeader> header;
    KJ_IF_MAYBE(e, kj::runCatchingExceptions([&]() { header = decodeBlockHeader(raw); })) {
      quarantine(id, e->getDescription(), true);
    }
    return kj::mv(header);
  }
  quarantine(id, "bad block header", true);
  return nullptr;
}

uint64_t BlockStore::chunkSpanBytes(uint64_t size, uint64_t firstChunk, uint64_t lastChunk) {
  return kj::min((lastChunk + 1) * kChecksumChunk, size) - firstChunk * kChecksumChunk;
}

bool BlockStore::readChunks(BlockId id, ReadableFile& file, const BlockHeader& header,
                            uint64_t firstChunk, uint64_t lastChunk, kj::ArrayPtr<kj::byte> span) {
  KJ_ASSERT(span.size() == chunkSpanBytes(header.blockSize, firstChunk, lastChunk));
  if (file.readAt(header.dataOffset() + firstChunk * kChecksumChunk, span) != span.size()) {
    quarantine(id, "short block file", true);
    return false;
  }
  // A read that reaches the block's end lets the page cache go of the whole file (the
  // reads of a stream, a scrub or a peer copy all end there).
  if (!keepReadsCached && (lastChunk + 1) * kChecksumChunk >= header.blockSize) {
    file.dropCached();
  }
  KJ_IF_MAYBE(bad, firstBadChunk(header, span, firstChunk, lastChunk)) {
    quarantine(id, kj::str("checksum mismatch in chunk ", *bad), true);
    return false;
  }
  return true;
}

kj::Array<kj::byte> BlockStore::read(BlockId id, uint64_t offset, uint64_t length) {
  kj::Array<kj::byte> out;
  readInto(id, offset, length, [&](size_t size) {
    out = kj::heapArray<kj::byte>(size);
    return out.asPtr();
  });
  return out;
}

void BlockStore::readInto(BlockId id, uint64_t offset, uint64_t length,
                          kj::FunctionParam<kj::ArrayPtr<kj::byte>(size_t)> output) {
  KJ_REQUIRE(index.count(id) > 0, "no such block", id.hex());
  kj::Own<ReadableFile> file;
  KJ_IF_MAYBE(f, openBlock(id)) {
    file = kj::mv(*f);
  } else {
    KJ_FAIL_REQUIRE("no such block", id.hex());
  }
  BlockHeader header;
  KJ_IF_MAYBE(h, readHeader(id, *file)) {
    header = kj::mv(*h);
  } else {
    KJ_FAIL_REQUIRE("checksum mismatch", "bad block header", id.hex());
  }

  uint64_t size = header.blockSize;
  KJ_REQUIRE(offset <= size, "offset beyond end", offset, size);
  uint64_t end = offset + kj::min(length, size - offset);
  auto out = output(end - offset);
  KJ_ASSERT(out.size() == end - offset);
  if (end == offset) return;

  uint64_t firstChunk = offset / kChecksumChunk, lastChunk = (end - 1) / kChecksumChunk;
  bool whole = offset % kChecksumChunk == 0 && (end % kChecksumChunk == 0 || end == size);
  bool ok;
  if (whole) {
    ok = readChunks(id, *file, header, firstChunk, lastChunk, out);
  } else {
    auto span = kj::heapArray<kj::byte>(chunkSpanBytes(size, firstChunk, lastChunk));
    ok = readChunks(id, *file, header, firstChunk, lastChunk, span);
    if (ok) memcpy(out.begin(), span.begin() + (offset - firstChunk * kChecksumChunk), out.size());
  }
  KJ_REQUIRE(ok, "checksum mismatch", id.hex());
  stats.blocksRead++;
  stats.bytesRead += out.size();
}

ScrubResult BlockStore::scrub(BlockId id, uint64_t& bytesRead) {
  bytesRead = 0;
  if (index.count(id) == 0) return ScrubResult::kGone;
  kj::Own<ReadableFile> file;
  KJ_IF_MAYBE(f, openBlock(id)) {
    file = kj::mv(*f);
  } else {
    return ScrubResult::kCorrupt;
  }
  KJ_IF_MAYBE(header, readHeader(id, *file)) {
    bytesRead = header->dataOffset();
    uint64_t size = header->blockSize;
    if (file->size() != header->dataOffset() + size) {
      quarantine(id, "block file has the wrong length", true);
      return ScrubResult::kCorrupt;
    }
    uint64_t chunks = (size + kChecksumChunk - 1) / kChecksumChunk;
    bytesRead += size;
    auto span = kj::heapArray<kj::byte>(size);
    if (!readChunks(id, *file, *header, 0, chunks - 1, span)) return ScrubResult::kCorrupt;
    return ScrubResult::kOk;
  }
  return ScrubResult::kCorrupt;
}

kj::Maybe<uint64_t> BlockStore::stat(BlockId id) const {
  auto it = index.find(id);
  if (it == index.end()) return nullptr;
  return it->second.size;
}

bool BlockStore::remove(BlockId id) {
  auto it = index.find(id);
  if (it == index.end()) return false;
  bool wasPending = it->second.tmpPath != nullptr;
  // A pending block may be being renamed by makeDurable() on another thread: removing the
  // temp name first and then the real one catches it on either side of the rename.
  if (wasPending) disk.unlink(it->second.tmpPath);
  if (disk.unlink(blockPath(dir, id)) || !wasPending) disk.syncDir(blockDir2(dir, id));
  if (wasPending) pending--;
  used -= fileBytes(it->second.size);
  index.erase(it);
  stats.blocksDeleted++;
  return true;
}

kj::Array<StoredBlock> BlockStore::snapshot() const {
  auto out = kj::heapArrayBuilder<StoredBlock>(index.size());
  for (auto& [id, e] : index) out.add(StoredBlock{id, e.size, e.storedNs});
  return out.finish();
}

kj::Array<BlockId> BlockStore::ids() const {
  auto out = kj::heapArrayBuilder<BlockId>(index.size());
  for (auto& entry : index) out.add(entry.first);
  return out.finish();
}

void BlockStore::markCorruptReported(kj::ArrayPtr<const BlockId> ids) {
  if (corrupt.empty()) return;
  std::unordered_set<BlockId, BlockIdHash> done(ids.begin(), ids.end());
  kj::Vector<BlockId> rest;
  for (auto& id : corrupt) {
    if (done.count(id) == 0) rest.add(id);
  }
  corrupt = kj::mv(rest);
}

}  // namespace dfs
