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

// fallocate(2) mode bits the master implements (as in <linux/falloc.h>).
constexpr uint32_t kFallocKeepSize = 0x01;   // FALLOC_FL_KEEP_SIZE
constexpr uint32_t kFallocPunchHole = 0x02;  // FALLOC_FL_PUNCH_HOLE
constexpr uint32_t kFallocZeroRange = 0x10;  // FALLOC_FL_ZERO_RANGE
// Largest file size (and end of any range) the master accepts.
constexpr uint64_t kMaxFileSize = uint64_t(1) << 62;
// Most bytes one copyRange shares (a longer copy returns short; callers loop).
constexpr uint64_t kMaxCopyRange = uint64_t(1) << 30;

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
  int64_t ctimeNs = 0;  // > 0: when the change was made (see SetAttrRequest.ctimeNs)
  bool killSuidgid = false;  // then clear set-id bits (SetAttrRequest.killSuidgid)

  // A field is set (not only killSuidgid or the change time).
  bool anyField() const {
    return mode != nullptr || uid != nullptr || gid != nullptr || size != nullptr ||
           setAtime || setMtime;
  }
};

// Clears `node`'s set-id bits as a write, truncate or chown by a caller without CAP_FSETID
// does (killSuidgidMode). True if the mode changed.
bool killSuidgid(Inode& node);

struct DirEntryOut {
  Bytes name;
  Inode inode;
};

// One commit() piece: a range of a newly written block and the servers holding it.
struct CommitPiece {
  ExtentPiece piece;
  kj::Array<uint64_t> nodes;
};

// What a mount decided itself for an asynchronous operation (Session.mknod `ino`/`timeNs`):
// the new inode's number (0: the master numbers it) and the operation's time (0: the
// master's clock; one more than Txn::kMaxClientAheadNs ahead of it is not used either).
struct ClientChoice {
  uint64_t ino = 0;
  int64_t timeNs = 0;
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
  // A read under relatime: atime = now if atime <= mtime, atime <= ctime or atime is a day
  // old (`updated` says whether it moved). Nothing else changes.
  int touchAtime(uint64_t ino, Inode& out, bool& updated);
  // Truncate/extend, chmod (type bits kept), chown, utimes. ctime always moves.
  int setAttr(const SetAttrArgs& args, Inode& out);

  // New inodes inherit the parent's default ACL (system.posix_acl_default) as POSIX.1e
  // says: the mode is masked by it, not by `umask`; without one, mode &= ~umask (when
  // given: a client that did not apply the caller's umask itself passes it).
  // `choice.ino` must come from reserveInodes, once (the caller checks).
  int mknod(uint64_t parent, BytesPtr name, uint32_t mode, uint64_t rdev, uint32_t uid,
            uint32_t gid, bool exclusive, Inode& out, kj::Maybe<uint32_t> umask = nullptr,
            ClientChoice choice = {});
  int mkdir(uint64_t parent, BytesPtr name, uint32_t mode, uint32_t uid, uint32_t gid,
            Inode& out, kj::Maybe<uint32_t> umask = nullptr);
  int symlink(uint64_t parent, BytesPtr name, BytesPtr target, uint32_t uid, uint32_t gid,
              Inode& out);
  int link(uint64_t ino, uint64_t newParent, BytesPtr newName, Inode& out);
  // On success `removedIno` (if given) gets the inode the name referred to.
  int unlink(uint64_t parent, BytesPtr name, uint64_t* removedIno = nullptr,
             ClientChoice choice = {});
  // Takes `count` inode numbers for later creations with ClientChoice::ino; returns the
  // first.
  uint64_t reserveInodes(uint32_t count);
  int rmdir(uint64_t parent, BytesPtr name, uint64_t* removedIno = nullptr);
  // On success `movedIno` gets the inode moved, `replacedIno` the one newName referred to
  // before (0 if none).
  int rename(uint64_t parent, BytesPtr name, uint64_t newParent, BytesPtr newName,
             uint32_t flags, uint64_t* movedIno = nullptr, uint64_t* replacedIno = nullptr);

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
  // minSize, end of pieces), mtime = ctime = the time of the writes: `writeTimeNs` (the
  // client's clock) if in (0, now], else now; ctime stays if it is later. Validates the
  // pieces (KJ_REQUIRE; inline pieces must end at or before kMaxInlineBytes).
  // `attrs` (if given): a setAttr of the same inode applied right after the pieces, in the
  // same transaction (chmod/chown/utimes a mount kept while writing); its size is ignored.
  int commit(uint64_t ino, kj::ArrayPtr<const CommitPiece> pieces, uint64_t minSize,
             Inode& out, int64_t writeTimeNs = 0, const SetAttrArgs* attrs = nullptr);

  // fallocate(2) (fallocate.cc): mode 0 grows the size to offset+length (nothing is
  // reserved); KEEP_SIZE alone changes nothing; PUNCH_HOLE|KEEP_SIZE makes the range a
  // hole; ZERO_RANGE punches and grows like mode 0 unless KEEP_SIZE. ctime always moves,
  // mtime when data or size changed. EOPNOTSUPP for other modes, EINVAL for length 0,
  // EFBIG past kMaxFileSize, EISDIR / ESPIPE / ENODEV for directories / FIFOs / other
  // non-regular files (as vfs_fallocate).
  // killPrivs: then killSuidgid(), as a write by a caller without CAP_FSETID does.
  int fallocate(uint64_t ino, uint32_t mode, uint64_t offset, uint64_t length, bool killPrivs,
                Inode& out);

  // copy_file_range(2) sharing blocks (copy_range.cc): points inoOut's
  // [offOut, offOut+n) at the blocks under inoIn's [offIn, offIn+n), n = min(length,
  // sizeIn - offIn, kMaxCopyRange) (0 at or past the source's end); holes stay holes.
  // Grows the destination, sets its mtime/ctime; `out` is the destination's attributes.
  // EINVAL for overlapping ranges of one file, EFBIG past kMaxFileSize. Inline bytes are
  // copied if they stay below kMaxInlineBytes in the destination; the copy stops short
  // before those that would not, EOPNOTSUPP if the range starts with them (the mount
  // copies them by reading and writing). killPrivs: killSuidgid() of the destination once
  // bytes were copied.
  int copyRange(uint64_t inoIn, uint64_t offIn, uint64_t inoOut, uint64_t offOut,
                uint64_t length, bool killPrivs, uint64_t& copied, Inode& out);

  // Deletes `ino` if it is an orphan (unlinked while open) and no longer open.
  void releaseOrphan(uint64_t ino);
  // Deletes every orphan in the store but those `keepOpen` says are open (after a restart,
  // once mounts had time to register their opens again: MasterCore::endOpenGrace).
  static void purgeOrphans(MetaStore& store, Clock& clock, int64_t gcGraceNs,
                           const OpenFiles* keepOpen = nullptr);

  // Number of inodes and logical bytes of this volume (kept in counters by every Txn).
  uint64_t inodeCount();
  uint64_t usedBytes();

private:
  // setAttr's changes to `node`, loaded in `t` (not committed).
  int applySetAttr(Txn& t, Inode& node, const SetAttrArgs& args);
  MetaStore& store;
  Clock& clock;
  uint64_t volumeId;
  uint64_t root;
  int64_t graceNs;
  const OpenFiles* openFiles;

  kj::Maybe<Inode> load(uint64_t ino);  // inode of this volume, or nullptr
  int create(uint64_t parent, BytesPtr name, uint32_t mode, uint64_t rdev, uint32_t uid,
             uint32_t gid, BytesPtr target, kj::Maybe<uint32_t> umask, Inode& out,
             ClientChoice choice = {});
  // Mode and ACLs of a new inode in `dir` (acl_inherit.cc): default ACL inheritance or
  // the umask. Writes the new inode's ACL xattrs into `t`.
  void inheritAcls(Txn& t, const Inode& dir, Inode& node, kj::Maybe<uint32_t> umask);
  int removeEntry(uint64_t parent, BytesPtr name, bool dir, uint64_t* removedIno,
                  ClientChoice choice = {});
  // True if directory `ancestor` is `dir` or one of its ancestors (walks parent links).
  bool isAncestor(uint64_t ancestor, uint64_t dir);
  Txn txn();
};

}  // namespace dfs
