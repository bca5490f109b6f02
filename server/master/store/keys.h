// The master's key layout: every MetaStore key is built and parsed here, nowhere else.
//
// Key layout
// ==========
// Keys are byte strings compared with memcmp (shorter first on a tie). Each key starts
// with a one-byte tag naming its table; integers are fixed 8-byte big-endian ("be64"),
// so numeric order equals byte order and a table (or one inode's part of a table) is a
// contiguous range that a prefix scan reads in order. Names are raw bytes, never
// NUL-terminated; because they come last in their key, no escaping is needed.
//
//   'V' name                       -> meta.VolumeRecord   a volume, by name
//   'I' be64(ino)                  -> meta.InodeRecord    inode attributes
//   'D' be64(parent) name          -> dirent value         a directory entry: 9 bytes,
//                                                          be64(child ino) + 1 byte DT_ type
//                                                          (records.h encodeDirent)
//   'E' be64(ino) be64(fileOffset) -> meta.ExtentRecord   one extent piece of a file; the
//                                                          pieces of a file never overlap
//   'B' be64(id.hi) be64(id.lo)    -> meta.BlockRecord    refcount, size, replica nodes
//   'G' be64(dueNs) be64(hi) be64(lo) -> empty            a block whose refcount reached 0,
//                                                          deletable at dueNs (CLOCK_REALTIME
//                                                          ns); scanned in due-time order
//   'N' be64(nodeId)               -> meta.NodeRecord     a registered chunk server
//   'C' name                       -> be64(value)         a named counter (e.g. next inode)
//   'O' be64(ino)                  -> empty               an unlinked file (nlink 0) kept while
//                                                         open; deleted at last close or restart
//   'X' be64(ino) name             -> value bytes         one extended attribute of an inode
//                                                         (full name, e.g. "user.foo"); deleted
//                                                         with the inode
//   'L' be64(boot) be64(session)   -> client name         a session that took a file lock in
//                                                         the master run `boot`; dropped when
//                                                         the session ends (not when the master
//                                                         stops): a restart that finds some
//                                                         starts a lock grace period
//
// The prefix 'D' be64(parent) lists a directory in name order; 'E' be64(ino) lists a
// file's extents in offset order; 'X' be64(ino) lists an inode's xattrs by name; 'G' lists
// deletion candidates oldest-due first.
#pragma once

#include "common/base/block_id.h"
#include "server/master/store/meta_store.h"
#include <cstdint>

namespace dfs {
namespace keys {

constexpr kj::byte kVolume = 'V';
constexpr kj::byte kInode = 'I';
constexpr kj::byte kDirent = 'D';
constexpr kj::byte kExtent = 'E';
constexpr kj::byte kBlock = 'B';
constexpr kj::byte kGc = 'G';
constexpr kj::byte kNode = 'N';
constexpr kj::byte kCounter = 'C';
constexpr kj::byte kOrphan = 'O';
constexpr kj::byte kXattr = 'X';
constexpr kj::byte kLockHolder = 'L';

Bytes volume(kj::StringPtr name);
Bytes volumePrefix();
Bytes inode(uint64_t ino);
Bytes dirent(uint64_t parent, BytesPtr name);
Bytes dirent(uint64_t parent, kj::StringPtr name);
Bytes direntPrefix(uint64_t parent);
Bytes extent(uint64_t ino, uint64_t fileOffset);
Bytes extentPrefix(uint64_t ino);
Bytes block(BlockId id);
Bytes blockPrefix();
Bytes gc(int64_t dueNs, BlockId id);  // dueNs must be >= 0
Bytes gcPrefix();
Bytes orphan(uint64_t ino);  Bytes orphanPrefix();  // 'O' be64(ino)
uint64_t orphanIno(BytesPtr key);
Bytes xattr(uint64_t ino, BytesPtr name);
Bytes xattrPrefix(uint64_t ino);
Bytes node(uint64_t nodeId);
Bytes nodePrefix();
Bytes counter(kj::StringPtr name);
Bytes lockHolder(uint64_t boot, uint64_t session);
Bytes lockHolderPrefix();

// True if `key` starts with `prefix`.
bool hasPrefix(BytesPtr key, BytesPtr prefix);

// Parsers for keys of the matching table. Each KJ_REQUIREs the tag and length.
BytesPtr direntName(BytesPtr key);    // the name part of a 'D' key
uint64_t direntParent(BytesPtr key);
BytesPtr xattrName(BytesPtr key);     // the name part of an 'X' key
uint64_t extentIno(BytesPtr key);
uint64_t extentOffset(BytesPtr key);  // the file offset of an 'E' key
BlockId blockIdOf(BytesPtr key);      // the id of a 'B' key
int64_t gcDue(BytesPtr key);
BlockId gcBlock(BytesPtr key);
uint64_t nodeIdOf(BytesPtr key);
uint64_t inodeOf(BytesPtr key);
uint64_t lockHolderBoot(BytesPtr key);     // of an 'L' key
uint64_t lockHolderSession(BytesPtr key);

// Big-endian 8-byte integers. readBe64 KJ_REQUIREs p.size() >= 8 and reads the first 8.
Bytes be64(uint64_t v);
uint64_t readBe64(BytesPtr p);

// The smallest key greater than every key starting with `prefix` (for scan bounds).
// Returns an empty array if no such key exists (prefix all 0xff).
Bytes prefixEnd(BytesPtr prefix);

}  // namespace keys
}  // namespace dfs
