// Txn: one namespace mutation. Reads current state, collects every change, writes ONE batch.
//
// A Txn loads each inode at most once; callers edit the returned Inode in place and
// commit() writes every loaded (or created) inode back, plus dirents, extent edits, block
// refcount updates and the volume's inode/byte counters — all in a single durable
// WriteBatch, so a crash never leaves half an operation behind (and, with Raft later,
// the batch is the log entry). Ids and timestamps are decided here, once.
#pragma once

#include "server/master/namespace/inode.h"
#include "server/master/namespace/open_files.h"
#include "server/master/store/block_refs.h"
#include "server/master/store/extent_map.h"
#include "server/master/store/records.h"
#include "common/base/clock.h"
#include <map>
#include <set>

namespace dfs {

class Txn {
public:
  Txn(MetaStore& store, Clock& clock, uint64_t volumeId, int64_t gcGraceNs);
  KJ_DISALLOW_COPY(Txn);
  Txn(Txn&&) = default;

  int64_t now() const { return nowNs; }
  // now() becomes `clientNs` (the time a mount already showed for the operation) if it
  // is positive and at most kMaxClientAheadNs later than now().
  void useClientTime(int64_t clientNs) {
    if (clientNs > 0 && clientNs <= nowNs + kMaxClientAheadNs) nowNs = clientNs;
  }
  static constexpr int64_t kMaxClientAheadNs = 10'000'000'000LL;
  MetaStore& store() { return db; }
  WriteBatch& batch() { return wb; }

  // Inode `ino` of this txn's volume, loaded once; edits through the reference are written
  // by commit(). nullptr if absent, removed in this txn, or in another volume.
  kj::Maybe<Inode&> inode(uint64_t ino);

  // Directory `ino` for an entry operation: 0, ENOENT (absent) or ENOTDIR.
  int dir(uint64_t ino, Inode*& out);

  // A new inode (number from the persistent counter) with times = now, nlink 1.
  Inode& newInode(uint32_t mode, uint32_t uid, uint32_t gid);
  // newInode with number `ino`, taken from reserveInodes earlier (the caller checked it is
  // unused: see Namespace::create).
  Inode& newInodeAt(uint64_t ino, uint32_t mode, uint32_t uid, uint32_t gid);
  // Takes `count` numbers from the persistent counter for later newInodeAt; returns the
  // first.
  uint64_t reserveInodes(uint32_t count);

  // Deletes inode `ino` (must have been loaded), its xattrs and, for files, all its extents — unless
  // the file is open (see keepOpenFiles): then it stays as an orphan ('O' key, nlink 0)
  // until dropOrphan() at its last close.
  void removeInode(uint64_t ino);
  // Deletes orphan `ino` (loaded) for good: inode, extents and its 'O' key.
  void dropOrphan(uint64_t ino);
  // Files in `open` are kept as orphans by removeInode (nullptr: none are).
  void keepOpenFiles(const OpenFiles* open) { openFiles = open; }

  kj::Maybe<DirentValue> dirent(uint64_t parent, BytesPtr name);
  void putDirent(uint64_t parent, BytesPtr name, const Inode& child);
  void delDirent(uint64_t parent, BytesPtr name);
  bool dirIsEmpty(uint64_t dir);

  // Writes `overlay`'s edits of regular file `node` (loaded here) into the batch: extent
  // keys, block reference deltas and node.allocated. Use it for every extent edit.
  void flushExtents(Inode& node, ExtentOverlay& overlay);
  // Extended attribute `name` of `ino` as stored (this txn's own puts are not seen).
  kj::Maybe<Bytes> xattr(uint64_t ino, BytesPtr name);
  // Stores an xattr of `ino` (loaded or created in this txn), marking it hasXattrs.
  void putXattr(uint64_t ino, BytesPtr name, BytesPtr value);
  void delXattr(uint64_t ino, BytesPtr name);
  // Names of `ino`'s xattrs in name order (as stored).
  kj::Vector<Bytes> xattrNames(uint64_t ino);

  // Block reference changes, applied once at commit().
  void addRefDeltas(const std::map<BlockId, int64_t>& deltas);
  void addNewBlock(BlockId id, NewBlockInfo info);

  // Writes the batch (durable when it returns). Throws on store failure.
  void commit();

private:
  MetaStore& db;
  uint64_t volumeId;
  int64_t graceNs;
  int64_t nowNs;
  WriteBatch wb;
  std::map<uint64_t, Inode> inodes;       // loaded or created
  std::map<uint64_t, uint64_t> origSize;  // regular files' sizes when loaded (0 if new)
  std::set<uint64_t> removed;
  const OpenFiles* openFiles = nullptr;
  kj::Maybe<uint64_t> nextIno;            // next free inode number, once read
  int64_t inodesAt = 0;                   // inodes made by newInodeAt
  std::map<BlockId, int64_t> refDeltas;
  std::map<BlockId, NewBlockInfo> newBlocks;
};

// The persistent inode number counter; inode 1 is reserved (the client maps FUSE's root).
constexpr kj::StringPtr kNextInoCounter = "next_ino"_kj;
constexpr uint64_t kFirstIno = 2;

// Per-volume counters kept in 'C' keys and updated by every Txn.
kj::String volumeInodesCounter(uint64_t volumeId);
kj::String volumeBytesCounter(uint64_t volumeId);

}  // namespace dfs
