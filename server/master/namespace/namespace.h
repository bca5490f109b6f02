// Namespace: the POSIX operations of one volume over the MetaStore, as plain methods.
//
// Every method returns 0 or a POSIX errno (expected failures) and throws kj::Exception for
// malformed input or store failures. Mutations compute one WriteBatch from the current
// state (see txn.h) and write it durably before returning. Not thread-safe: the master
// runs on one event loop, which serializes operations.
#pragma once

#include "server/master/namespace/inode.h"
#include "server/master/namespace/txn.h"
#include "server/master/store/extent_map.h"
#include "common/base/clock.h"
#include <sys/stat.h>

namespace dfs {

constexpr uint32_t kRenameNoReplace = 1;  // RENAME_NOREPLACE
constexpr uint32_t kRenameExchange = 2;   // RENAME_EXCHANGE

struct SetAttrArgs {
  uint64_t ino = 0;
  kj::Maybe<uint32_t> mode;
  kj::Maybe<uint32_t> uid;
  kj::Maybe<uint32_t> gid;
  kj::Maybe<uint64_t> size;
  bool setAtime = false, atimeNow = false;
  int64_t atimeNs = 0;
  bool setMtime = false, mtimeNow = false;
  int64_t mtimeNs = 0;
};

struct DirEntryOut {
  Bytes name;
  Inode inode;
};

// One commit() piece: a range of a newly written block and the servers holding it.
struct CommitPiece {
  ExtentPiece piece;
  kj::Array<uint64_t> nodes;
};

class Namespace {
public:
  // Operates on volume `volumeId` whose root directory is `rootIno`. Blocks whose
  // refcount drops to zero become deletable gcGraceNs later.
  // Files in `openFiles` (if given) outlive their last unlink until released.
  Namespace(MetaStore& store, Clock& clock, uint64_t volumeId, uint64_t rootIno,
            int64_t gcGraceNs, const OpenFiles* openFiles = nullptr);

  // Creates the root directory inode of a new volume into `batch` (not written).
  static Inode makeRoot(uint64_t ino, uint64_t volumeId, int64_t nowNs);

  uint64_t rootIno() const { return root; }

  int lookup(uint64_t parent, BytesPtr name, Inode& out);
  int getAttr(uint64_t ino, Inode& out);
  int readlink(uint64_t ino, Bytes& target);
  // Truncate/extend, chmod (type bits kept), chown, utimes. ctime always moves.
  int setAttr(const SetAttrArgs& args, Inode& out);

  // New inodes inherit the parent's default ACL (system.posix_acl_default) as POSIX.1e
  // says: the mode is masked by it, not by `umask`; without one, mode &= ~umask (when
  // given: a client that did not apply the caller's umask itself passes it).
  int mknod(uint64_t parent, BytesPtr name, uint32_t mode, uint64_t rdev, uint32_t uid,
            uint32_t gid, bool exclusive, Inode& out, kj::Maybe<uint32_t> umask = nullptr);
  int mkdir(uint64_t parent, BytesPtr name, uint32_t mode, uint32_t uid, uint32_t gid,
            Inode& out, kj::Maybe<uint32_t> umask = nullptr);
  int symlink(uint64_t parent, BytesPtr name, BytesPtr target, uint32_t uid, uint32_t gid,
              Inode& out);
  int link(uint64_t ino, uint64_t newParent, BytesPtr newName, Inode& out);
  int unlink(uint64_t parent, BytesPtr name);
  int rmdir(uint64_t parent, BytesPtr name);
  int rename(uint64_t parent, BytesPtr name, uint64_t newParent, BytesPtr newName,
             uint32_t flags);

  // Extended attributes (xattr.cc). Names: see validateXattrName. setXattr flags:
  // XATTR_CREATE (EEXIST if present) / XATTR_REPLACE (ENODATA if absent). Values above
  // kXattrValueMax: E2BIG; names past kXattrListMax in all: ENOSPC. user.* on other than
  // regular files and directories: EPERM (get: ENODATA). system.posix_acl_access sets the
  // mode's permission bits and is stored only if the mode cannot say it all; it clears
  // S_ISGID unless `callerGroups` is null (a privileged caller) or holds the file's group.
  // Invalid ACLs are EINVAL. Changes set ctime; `out` is the inode after the change.
  int setXattr(uint64_t ino, BytesPtr name, BytesPtr value, uint32_t flags, Inode& out,
               kj::Maybe<kj::ArrayPtr<const uint32_t>> callerGroups = nullptr);
  int getXattr(uint64_t ino, BytesPtr name, Bytes& value);  // ENODATA if absent
  int listXattr(uint64_t ino, kj::Vector<Bytes>& names);    // in name order
  // ENODATA if absent, except for ACLs (removing an absent ACL succeeds, as on ext4).
  int removeXattr(uint64_t ino, BytesPtr name, Inode& out);

  // Entries of directory `ino` strictly after `after`, at most min(maxEntries,
  // kMaxReaddirPage) (maxEntries must be > 0). eof = no entries follow the returned ones.
  int readdir(uint64_t ino, BytesPtr after, uint32_t maxEntries,
              kj::Vector<DirEntryOut>& out, bool& eof);

  // Pieces of regular file `ino` overlapping [offset, offset+length).
  int getExtents(uint64_t ino, uint64_t offset, uint64_t length, Inode& attr,
                 kj::Vector<ExtentPiece>& out);
  // Points the pieces' ranges at their blocks (later pieces win), size = max(size,
  // minSize, end of pieces), mtime = ctime = now. Validates the pieces (KJ_REQUIRE).
  int commit(uint64_t ino, kj::ArrayPtr<const CommitPiece> pieces, uint64_t minSize,
             Inode& out);

  // Deletes `ino` if it is an orphan (unlinked while open) and no longer open.
  void releaseOrphan(uint64_t ino);
  // Deletes every orphan in the store (no file is open when the master starts).
  static void purgeOrphans(MetaStore& store, Clock& clock, int64_t gcGraceNs);

  // Number of inodes and logical bytes of this volume (kept in counters by every Txn).
  uint64_t inodeCount();
  uint64_t usedBytes();

private:
  MetaStore& store;
  Clock& clock;
  uint64_t volumeId;
  uint64_t root;
  int64_t graceNs;
  const OpenFiles* openFiles;

  kj::Maybe<Inode> load(uint64_t ino);  // inode of this volume, or nullptr
  int create(uint64_t parent, BytesPtr name, uint32_t mode, uint64_t rdev, uint32_t uid,
             uint32_t gid, BytesPtr target, kj::Maybe<uint32_t> umask, Inode& out);
  // Mode and ACLs of a new inode in `dir` (acl_inherit.cc): default ACL inheritance or
  // the umask. Writes the new inode's ACL xattrs into `t`.
  void inheritAcls(Txn& t, const Inode& dir, Inode& node, kj::Maybe<uint32_t> umask);
  int removeEntry(uint64_t parent, BytesPtr name, bool dir);
  // True if directory `ancestor` is `dir` or one of its ancestors (walks parent links).
  bool isAncestor(uint64_t ancestor, uint64_t dir);
  Txn txn();
};

}  // namespace dfs
