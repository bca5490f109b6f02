// Filesystem: the mount's state and one method per FUSE low-level operation. Every
// method starts an asynchronous operation on the KJ loop and replies to the kernel when
// it completes; failures of the master or chunk servers become EIO.
#pragma once

#define FUSE_USE_VERSION 34
#include <fcntl.h>
#include <fuse_lowlevel.h>

#include <kj/async.h>
#include <kj/map.h>
#include <unordered_map>
#include <unordered_set>
#include "client/cache/absent_xattrs.h"
#include "client/cache/block_cache.h"
#include "client/cache/attr_cache.h"
#include "client/cache/dir_cache.h"
#include "client/cache/leased_dirs.h"
#include "client/cache/disk_cache.h"
#include "client/fuse/fuse_wire.h"
#include "client/fuse/kernel_notifier.h"
#include "client/io/file_data.h"
#include "client/io/hole_scan.h"
#include "client/io/segment_fetcher.h"
#include "client/locks/held_locks.h"
#include "client/mount/options.h"
#include "client/rpc/chunk_pool.h"
#include "client/rpc/inode_pool.h"
#include "client/rpc/master_link.h"
#include "client/rpc/release_queue.h"
#include "common/base/clock.h"
#include "common/metrics/metrics.h"

namespace dfs {

class Filesystem final : private kj::TaskSet::ErrorHandler {
public:
  Filesystem(kj::AsyncIoProvider& io, kj::Timer& timer, const MountOptions& options,
             kj::String clientName);
  ~Filesystem() noexcept(false);

  MasterLink& masterLink() { return master; }

  // Entry and attribute operations (fs/entry_ops.cc).
  void lookup(fuse_req_t req, fuse_ino_t parent, const char* name);
  void getattr(fuse_req_t req, fuse_ino_t ino);
  void setattr(fuse_req_t req, fuse_ino_t ino, struct stat* attr, int toSet);
  void readlink(fuse_req_t req, fuse_ino_t ino);
  void mknod(fuse_req_t req, fuse_ino_t parent, const char* name, mode_t mode, dev_t rdev);
  void mkdir(fuse_req_t req, fuse_ino_t parent, const char* name, mode_t mode);
  void unlink(fuse_req_t req, fuse_ino_t parent, const char* name);
  void rmdir(fuse_req_t req, fuse_ino_t parent, const char* name);
  void symlink(fuse_req_t req, const char* target, fuse_ino_t parent, const char* name);
  void rename(fuse_req_t req, fuse_ino_t parent, const char* name, fuse_ino_t newParent,
              const char* newName, unsigned int flags);
  void link(fuse_req_t req, fuse_ino_t ino, fuse_ino_t newParent, const char* newName);
  void statfs(fuse_req_t req, fuse_ino_t ino);

  // File operations (fs/file_ops.cc).
  void create(fuse_req_t req, fuse_ino_t parent, const char* name, mode_t mode,
              struct fuse_file_info* fi);
  void open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info* fi);
  void read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, struct fuse_file_info* fi);
  void write(fuse_req_t req, fuse_ino_t ino, const char* buf, size_t size, off_t off,
             struct fuse_file_info* fi);
  void flush(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info* fi);
  void fsync(fuse_req_t req, fuse_ino_t ino, int datasync, struct fuse_file_info* fi);
  void fsyncdir(fuse_req_t req, fuse_ino_t ino, int datasync, struct fuse_file_info* fi);
  void release(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info* fi);

  // Space operations (fs/space_ops.cc).
  void fallocate(fuse_req_t req, fuse_ino_t ino, int mode, off_t offset, off_t length,
                 struct fuse_file_info* fi);
  void lseek(fuse_req_t req, fuse_ino_t ino, off_t off, int whence, struct fuse_file_info* fi);
  void copyFileRange(fuse_req_t req, fuse_ino_t inoIn, off_t offIn, fuse_ino_t inoOut,
                     off_t offOut, size_t len, int flags);
  // File locks, held by the master so all mounts see them (fs/lock_ops.cc).
  void getlk(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info* fi, struct flock* lock);
  void setlk(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info* fi, struct flock* lock,
             int sleep);
  void flock(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info* fi, int op);

  // Directory operations (fs/dir_ops.cc).
  void opendir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info* fi);
  void readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, struct fuse_file_info* fi);
  // readdir with the attributes of the entries a lookup would answer from the mount's
  // listing cache (DirCache, kept right by invalidations): `ls -l` and du then need no
  // lookup per name. Other entries go without (the kernel looks them up as before).
  void readdirplus(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
                   struct fuse_file_info* fi);
  void releasedir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info* fi);

  // Set at FUSE init when the kernel leaves the umask to the file system (DONT_MASK, for
  // POSIX ACLs): creations then pass the caller's umask to the master.
  void setUmaskToMaster(bool yes) { umaskToMaster = yes; }
  // The largest read the kernel may send (-o max_read; 0: as large as writes).
  uint32_t maxRead() const { return maxReadBytes; }

  // Extended attribute operations (fs/xattr_ops.cc).
  void setxattr(fuse_req_t req, fuse_ino_t ino, const char* name, const char* value,
                size_t size, int flags);
  void getxattr(fuse_req_t req, fuse_ino_t ino, const char* name, size_t size);
  void listxattr(fuse_req_t req, fuse_ino_t ino, size_t size);
  void removexattr(fuse_req_t req, fuse_ino_t ino, const char* name);

  // Waits for background work (uploads of released files, disk cache writes) to finish.
  kj::Promise<void> drain();

  // Sets the cache times and kernel cache policy of the mount's consistency level (known
  // once masterLink().connectNow() succeeded); options the user gave win.
  void applyConsistency(const MountOptions& options);

  // st_blksize of every file. Holes shorter than this are not reported by SEEK_HOLE (see
  // client/io/hole_scan.h).
  static constexpr uint64_t kBlockSize = 1 << 20;

  // Default cache time, seconds, of attributes and names on eventual mounts (and on
  // quorum mounts of a master that does not invalidate).
  static constexpr double kCacheSeconds = 1.0;
  // The same on quorum mounts the master invalidates (fs/cache_callbacks.cc): a bound for
  // what is missed while the connection to the master is down.
  static constexpr double kInvalidatedCacheSeconds = 10.0;
  // How long the release of a closed file waits for others to share its master call.
  static constexpr kj::Duration kReleaseDelay = 5 * kj::MILLISECONDS;

  // The FUSE session whose kernel caches invalidations drop (null: none; reset it before
  // the session is destroyed).
  void attachKernel(struct fuse_session* session) { notifier.attach(session); }
  // The mount's reads and writes of /dev/fuse (installed with lowlevelIo()).
  FuseWire& kernelWire() { return wire; }
  // The callback the master calls to invalidate this mount's caches.
  kj::Own<wire::CacheClient::Server> makeCacheCallbacks();
  // On every new master session: registers each file open here again, once per open (the
  // master forgot a lost session's opens; without them another mount's unlink would delete
  // a file still in use here).
  kj::Promise<void> reopenFiles(wire::Session::Client session);

  // Registers the mount's series (RPC counts and latency to master and chunk servers,
  // bytes read and written, block and disk cache, readahead) in `registry`, which must outlive this.
  void exportMetrics(MetricsRegistry& registry);

private:
  struct OpenFile {
    uint64_t ino;
    uint32_t opens = 0;
    uint32_t writers = 0;  // of the opens, those for writing
    bool atimeDue = true;  // a read since the last open still has to move atime (relatime)
    kj::Own<FileData> data;
    // The master's attributes as last returned to this mount (getattr, setattr), answered
    // locally by getattr (with this mount's buffered writes on top, toStat) until
    // attrUntil, a commit, a change made here (changedHere) or the master's invalidation.
    // Quorum and eventual mounts (attrTimeout > 0) only.
    kj::Maybe<AttrCopy> attr;
    kj::TimePoint attrUntil = kj::origin<kj::TimePoint>();
    uint64_t attrCommits = 0;  // data->commits() when attr was taken
    // Made by this mount's create (O_EXCL) and open for writing ever since.
    bool createdHere = false;
    // Made in this directory while this mount held its lease (0: not), so no other mount
    // can know the file before the lease is recalled: attribute changes may wait for the
    // commit (attrWriteBack) until then.
    uint64_t leaseDir = 0;
  };
  struct DirHandle {
    struct Entry {
      kj::String name;
      uint64_t ino;
      uint32_t mode;
    };
    uint64_t ino;
    kj::Vector<Entry> entries;  // "." and ".." first, then the master's entries by name
    kj::Array<kj::byte> lastName = kj::heapArray<kj::byte>(0);
    bool eof = false;
    // The directory's attributes as last seen while open: fstat of the descriptor after
    // the directory was removed shows them with nlink 0, as a local file system does.
    kj::Maybe<AttrCopy> attr;
  };
  // Pages in entries of handle `id` up to position `off` plus a page; then `reply` with
  // the handle (EBADF if it was closed meanwhile).
  void withDirEntries(fuse_req_t req, uint64_t id, off_t off,
                      kj::Function<void(DirHandle&)> reply);
  // The attributes an open handle of removed directory `ino` shows (nlink 0), if any.
  kj::Maybe<AttrCopy> removedDirAttr(uint64_t ino);

  void taskFailed(kj::Exception&& exception) override;

  class CacheCallbacks;  // the master's CacheClient (fs/cache_callbacks.cc)
  kj::Promise<void> invalidateFromMaster(wire::CacheClient::InvalidateParams::Reader what);
  // The master no longer records what this mount caches (invalidate's `forgotten`, a lost
  // session): drops
  // every cache kept on its word (listings, directories' and open files' attributes,
  // files without xattrs). The kernel's own copies expire by their timeouts.
  void forgetMastersWord();
  // Another mount changed `ino` while this mount keeps attribute changes for it: fetches
  // the master's attributes and drops the kept changes of fields changed since
  // (PendingAttrs::reconcile). Never fails.
  kj::Promise<void> reconcileAttrs(uint64_t ino);
  // After this mount committed data of `ino`: the kernel re-reads its attributes (the
  // master moved mtime), before the flush or fsync that committed returns.
  kj::Promise<void> refreshOwnAttrs(uint64_t ino);
  void replyMissing(fuse_req_t req);  // a lookup that found nothing (negative entry)

  // Asynchronous directory operations (fs/async_dirops.cc): in a directory whose lease
  // this mount holds (LeasedDirs), a create or unlink is answered from the listing the
  // mount keeps and sent to the master without waiting (the master applies this mount's
  // calls in the order sent). False: not possible here, do it synchronously.
  bool createAsync(fuse_req_t req, uint64_t parent, kj::ArrayPtr<const kj::byte> name,
                   mode_t mode, struct fuse_file_info* fi);
  bool unlinkAsync(fuse_req_t req, uint64_t parent, kj::ArrayPtr<const kj::byte> name);
  // Counts an asynchronous operation `what` in `parent` in flight until its reply `err`
  // (an errno; a failed call counts as one) comes, and handles a failure (asyncFailed).
  void trackAsync(const char* what, uint64_t parent, kj::ArrayPtr<const kj::byte> name,
                  uint64_t ino, kj::Promise<int> err);
  // An asynchronous operation the mount already answered failed at the master: logs it
  // and drops what the mount (and its kernel) believed of the name.
  void asyncFailed(const char* what, uint64_t parent, kj::ArrayPtr<const kj::byte> name,
                   uint64_t ino, int err);
  // A synchronous call in `parent` may ask for its lease: the mount could use it (it keeps
  // the listing).
  bool wantLease(uint64_t parent);
  // The master granted (or not) the lease asked for with wantLease, by a call sent when
  // LeasedDirs::recalls() was `recallsBefore`.
  void leaseAnswer(uint64_t dir, bool leased, uint64_t recallsBefore);
  // fsync of a file or directory: waits for the asynchronous operations that made the
  // file or were sent in the directory; true if one of them failed since the last fsync
  // of it (the fsync then fails with EIO).
  kj::Promise<bool> asyncSettled(uint64_t ino, bool dir);
  std::unordered_map<uint64_t, uint64_t> asyncCreating;  // inode -> directory, in flight
  std::unordered_set<uint64_t> asyncFailedInodes;         // not reported by fsync yet
  std::unordered_set<uint64_t> asyncFailedDirs;
  // The master recalls leases (another mount is about to use the directories).
  kj::Promise<void> recallLeases(capnp::List<uint64_t>::Reader dirs);
  bool asyncDiropsOn = false;  // -o async_dirops, on a quorum or eventual mount
  LeasedDirs leasedDirs;
  struct AsyncCounters {
    uint64_t creates = 0;   // creates answered without waiting
    uint64_t unlinks = 0;   // unlinks answered without waiting
    uint64_t failed = 0;    // of those, failed at the master
    uint64_t granted = 0;   // leases granted
    uint64_t recalled = 0;  // leases recalled
  };
  AsyncCounters asyncCounters;

  // Runs `work`; if it throws, replies EIO to `req` (the work must reply otherwise).
  void run(fuse_req_t req, kj::Promise<void> work);

  uint64_t toMaster(fuse_ino_t ino) const;
  fuse_ino_t toFuse(uint64_t ino) const;
  struct stat toStat(const AttrCopy& attr);
  struct stat toStat(wire::Attr::Reader attr) { return toStat(AttrCopy::of(attr)); }
  struct fuse_entry_param makeEntry(const AttrCopy& attr);
  struct fuse_entry_param makeEntry(wire::Attr::Reader attr) { return makeEntry(AttrCopy::of(attr)); }
  void replyEntry(fuse_req_t req, const AttrCopy& attr);
  void replyEntry(fuse_req_t req, wire::Attr::Reader attr) { replyEntry(req, AttrCopy::of(attr)); }
  // Continuations for RPC results with `err` (and `attr`): reply the error, or the entry.
  auto entryReply(fuse_req_t req) {
    return [this, req](auto&& r) {
      if (r.getErr() != 0) return (void)fuse_reply_err(req, r.getErr());
      replyEntry(req, r.getAttr());
    };
  }
  static auto errReply(fuse_req_t req) {
    return [req](auto&& r) { fuse_reply_err(req, r.getErr()); };
  }
  // entryReply for calls that add `name` to directory `parent` (mknod, mkdir, symlink,
  // link): the directory listing cache learns the new entry.
  auto addedReply(fuse_req_t req, uint64_t parent, kj::Array<kj::byte> name) {
    return [this, req, parent, name = kj::mv(name)](auto&& r) {
      if (r.getErr() != 0) {
        dirCache.nameChanged(parent, name);
        return (void)fuse_reply_err(req, r.getErr());
      }
      addedHere(parent, name, r.getAttr());
      if (r.hasParentAttr()) rememberAttr(r.getParentAttr());
      replyEntry(req, r.getAttr());
    };
  }

  // errReply for calls that change attributes of `ino` (xattrs: ctime, ACL: mode).
  auto changedReply(fuse_req_t req, uint64_t ino) {
    return [this, req, ino](auto&& r) {
      changedHere(ino);
      fuse_reply_err(req, r.getErr());
    };
  }
  // errReply for unlink/rmdir: the listing cache forgets the name.
  auto removedReply(fuse_req_t req, uint64_t parent, kj::Array<kj::byte> name) {
    return [this, req, parent, name = kj::mv(name)](auto&& r) {
      if (r.getErr() == 0) {
        removedHere(parent, name, r.getIno());
        if (r.hasParentAttr()) rememberAttr(r.getParentAttr());
      } else {
        dirCache.nameChanged(parent, name);
      }
      fuse_reply_err(req, r.getErr());
    };
  }

  // Directory listing cache (fs/dir_listing.cc): lookups answered from complete listings
  // of directories, kept up to date with this mount's own changes and the master's
  // invalidations. On only for mounts the master invalidates.
  void lookupAtMaster(fuse_req_t req, uint64_t parent, kj::Array<kj::byte> name);
  kj::Promise<void> fetchListing(uint64_t dir);
  void addedHere(uint64_t parent, kj::ArrayPtr<const kj::byte> name, wire::Attr::Reader attr);
  // `ino`/`moved`/`replaced`: the inodes the master says the names referred to.
  void removedHere(uint64_t parent, kj::ArrayPtr<const kj::byte> name, uint64_t ino);
  void renamedHere(uint64_t parent, kj::ArrayPtr<const kj::byte> name, uint64_t newParent,
                   kj::ArrayPtr<const kj::byte> newName, unsigned int flags, uint64_t moved,
                   uint64_t replaced);
  // Attributes of `ino` changed through this mount (setattr, write, commit).
  void changedHere(uint64_t ino) { attrsChanged(ino); }
  // Cached attributes of `ino` are stale: the listing's slot, a directory's dirAttrs
  // entry and an open file's copy.
  void attrsChanged(uint64_t ino);
  // Attributes the master just returned, kept for getattr: a directory's in dirAttrs, an
  // open file's in its OpenFile::attr; others are not kept.
  void rememberAttr(wire::Attr::Reader attr) { rememberAttr(AttrCopy::of(attr)); }
  void rememberAttr(const AttrCopy& attr);
  // The fields stat(2) shows are equal (st_ino, type and permissions, links, owner, size,
  // blocks, times).
  static bool sameStat(const struct stat& a, const struct stat& b);
  kj::Maybe<const AttrCopy&> freshAttr(uint64_t ino);
  // The open file whose attribute changes may wait for its next commit (write-back, see
  // client/io/pending_attrs.h): a quorum or eventual mount writing it (uncommitted data, or
  // created by this mount and open since) whose current attributes it has, with no xattrs
  // (so no ACL that a chmod would have to change at once). Null: send changes at once.
  kj::Maybe<OpenFile&> attrWriteBack(uint64_t ino);
  // At close: all the file has left to send is attribute changes kept for its commit, and
  // it may keep them (attrWriteBack). The flush then returns at once and the release sends
  // them (releaseOpen); until they are applied, a recall, rename or link of its directory
  // waits for them (endAttrWriteBack), so no other mount sees the file without them.
  bool keptAttrsMayFollowClose(uint64_t ino);
  // Keeps `change`, made at `nowNs`, for the commit of `f` (from attrWriteBack), over the
  // master's attributes the mount holds; returns those attributes.
  const AttrCopy& deferAttrs(OpenFile& f, PendingAttrs change, int64_t nowNs);
  // The master's attributes of `ino` say it has no xattrs, and are current.
  bool knownWithoutXattrs(uint64_t ino);
  // setxattr of an access ACL (`value`) that only restates a mode, on a file whose
  // attribute changes wait for its commit: kept as a chmod and answered (true); false
  // when the master must see it (a real ACL, XATTR_REPLACE, no write-back).
  bool aclAsChmod(fuse_req_t req, uint64_t ino, const char* value, size_t size, int flags);
  // Sends the attribute changes pending for `ino` (with its data) before a call that
  // depends on them (xattrs: ACL and mode go together).
  kj::Promise<void> sendPendingAttrs(uint64_t ino);
  void replyAttr(fuse_req_t req, wire::Attr::Reader attr);
  // st_blocks bytes of a regular file: the master's allocated bytes (holes excluded) plus
  // data buffered here, at most the visible size.
  uint64_t allocatedBytes(const AttrCopy& attr, uint64_t visible) const;
  // Grows a reported size by data written here but not yet committed.
  uint64_t visibleSize(uint64_t ino, uint64_t committed) const;
  // Time of the last write made here and not committed yet (null: none). A file's
  // mtime/ctime show it at once, as a local file system's do; the commit records it.
  kj::Maybe<int64_t> dirtyTimeNs(uint64_t ino) const;

  bool strongMount() const;
  // Makes every metadata change of the master durable (fsync, fsyncdir, strong writes).
  kj::Promise<void> syncMaster();
  // keep_cache / direct_io of an open file, by consistency level.
  void setCacheFlags(struct fuse_file_info& info) const;

  kj::Maybe<OpenFile&> findOpen(uint64_t ino);
  // Counts one open of `ino` (`writable`: for writing, see forWriting) / its release.
  static bool forWriting(int openFlags) { return (openFlags & O_ACCMODE) != O_RDONLY; }
  OpenFile& retainOpen(uint64_t ino, bool writable);
  kj::Promise<void> releaseOpen(uint64_t ino, bool writable);
  // Forgets `ino` if nobody has it open here and nothing of it is left to send; true when
  // it is gone.
  bool forgetIfClosed(uint64_t ino);
  // forgetIfClosed once nothing is buffered or queued on the file (flushing first).
  kj::Promise<void> forgetWhenSettled(uint64_t ino);
  kj::Promise<void> flushIfOpen(uint64_t ino);
  // copy_file_range of [offIn, offIn+n) (n at most kMaxInlineBytes) by reading the source
  // and writing the destination here, committed before it replies the count copied: for
  // inline bytes the master may not place that far into the destination.
  kj::Promise<void> copyThroughMount(fuse_req_t req, uint64_t in, uint64_t offIn, uint64_t out,
                                     uint64_t offOut, uint64_t n, bool killSuidgid);
  // fallocate and copy_file_range of `req` must clear the file's set-id bits: the kernel
  // left that to this mount (FUSE_HANDLE_KILLPRIV_V2) and sends no flag for them, so a
  // caller other than root stands for one without CAP_FSETID.
  bool killsSetIdsItself(fuse_req_t req) const {
    return wire.handlesKillPriv() && fuse_req_ctx(req)->uid != 0;
  }
  // Attribute changes of the files made here under the lease of `dir` stop waiting for
  // their commits: those kept are sent now (FileData::sendKeptAttrs). Before another
  // mount can see such a file: the lease recalled, or a file of `dir` linked or renamed.
  // Never fails.
  kj::Promise<void> endAttrWriteBack(uint64_t dir);
  // flushIfOpen for flush/fsync: if anything was committed, the kernel's cached
  // attributes of the file are dropped before the call returns (mtime moved).
  kj::Promise<void> commitOwn(uint64_t ino);
  // The first read after an open moves atime at the master by relatime rules (unless
  // noatime); in the background, the read does not wait.
  void readAccess(OpenFile& f);
  bool noatime = false;
  // SEEK_DATA (data) / SEEK_HOLE offset at or after `off` from the master's extent map
  // (HoleScan), fetched in windows from `from`, `window` bytes (doubling); -errno on
  // failure (ENXIO at or past the end). `scan` is made from the first reply's size.
  kj::Promise<int64_t> seekExtents(uint64_t ino, uint64_t off, bool data, uint64_t from,
                                   uint64_t window, kj::Maybe<kj::Own<HoleScan>> scan);
  // Registers one open of `ino` at the master (paired with a release in releaseOpen);
  // resolves to the file's current attributes.
  kj::Promise<capnp::Response<wire::Session::OpenResults>> openAtMaster(uint64_t ino);

  // Sends one setLock and replies 0 or the errno. A waiting one has no deadline and ends
  // with EINTR when the kernel interrupts the request (a signal to the caller).
  // `fh`: the open handle the request came through (HeldLocks marks it if the lock is
  // later lost).
  void setLock(fuse_req_t req, uint64_t ino, uint64_t fh, uint64_t owner, uint32_t pid,
               wire::LockType type, uint64_t start, uint64_t end, bool wait, bool flock);
  // close() of a file: drops the fcntl locks of `owner` (the closing process) on `ino`.
  // Resolves when the master did; never fails. Free when this mount never locked `ino`.
  kj::Promise<void> dropLocksAtFlush(uint64_t ino, uint64_t owner);
  // Last close of a file description: drops its flock lock (fi.flock_release); at the last
  // close of `ino` in this mount also every fcntl lock on it (the kernel never names the
  // owner of OFD locks at close).
  kj::Promise<void> dropLocksAtRelease(uint64_t ino, const struct fuse_file_info& fi,
                                       bool lastOpen);
  // A blocking lock request in flight, by the tag the master knows it by (lock_ops.cc).
  struct LockWait;
  uint64_t nextWaitTag = 1;
  std::unordered_map<uint64_t, LockWait*> lockWaits;
  // The kernel interrupted a waiting request: asks the master to end the wait (it then
  // answers EINTR, or 0 if the lock was granted first); if the master cannot be
  // reached, stops waiting here.
  void interruptWait(LockWait& wait);
  // libfuse's interrupt callback for a waiting request; `data` is its LockWait.
  static void onLockInterrupt(fuse_req_t req, void* data);
  struct LockedInode {
    bool posix = false;
    bool flock = false;
  };
  // Inodes this mount has set locks on (so close() only calls the master when needed).
  std::unordered_map<uint64_t, LockedInode> lockedInodes;
  // The locks this mount's processes hold, re-asserted on every new master session
  // (fs/lock_reclaim.cc) before any call can use it; handles of lost locks.
  HeldLocks heldLocks;
  kj::Promise<void> reclaimLocks(wire::Session::Client session, bool masterRestarted);
  // I/O through a handle whose locks were lost fails with EIO (as on NFS).
  bool locksLost(const struct fuse_file_info* fi) const {
    return fi != nullptr && heldLocks.handleLost(fi->fh);
  }
  struct LockCounters {
    uint64_t reclaimed = 0;  // locks re-asserted on a new session
    uint64_t lost = 0;       // locks a reclaim could not get back
  };
  LockCounters lockCounters;
  uint64_t nextFileHandle = 1;  // fi->fh of open files: one per open file description

  struct Counters {
    uint64_t bytesRead = 0;     // returned to read() calls
    uint64_t bytesWritten = 0;  // accepted from write() calls
    uint64_t plusEntries = 0;   // readdirplus entries sent with their attributes
  };

  // The umask field of a mknod/mkdir request from `req` (0xffffffff: none).
  uint32_t umaskFor(fuse_req_t req) const;

  kj::Timer& timer;
  SystemClock wallClock;  // the time of each write (mtime)
  KernelNotifier notifier;
  FuseWire wire;
  uint32_t maxReadBytes;
  DirCache dirCache;
  // Directories' attributes, answered by getattr until attr_timeout, a change made here or
  // the master's invalidation (quorum; eventual: the timeout only). Not on strong mounts.
  AttrCache dirAttrs;
  bool dirCacheOn = false;
  std::unordered_map<uint64_t, kj::ForkedPromise<void>> listingFetches;
  bool umaskToMaster = false;
  // Inodes recently seen without security.capability (asked before every write).
  AbsentXattrs noCapability{secondsToDuration(kCacheSeconds), 65536};
  // Inodes whose attributes, as the master last returned them, said they have no xattrs
  // at all (Attr.noXattrs): their getxattr/listxattr are answered here until attr_timeout
  // or attrsChanged (the kernel asks for ACLs at permission checks and cp -a asks for
  // every xattr). Set by applyConsistency; never on strong mounts.
  AbsentXattrs xattrFree{0 * kj::SECONDS, 65536};
  void noteXattrs(const AttrCopy& attr);
  Counters counters;
  double attrTimeout;
  double entryTimeout;
  MasterLink master;
  // Releases of closed files, batched (at most kReleaseDelay late).
  ReleaseQueue releases{master, timer, kReleaseDelay};
  InodePool inodePool{master};  // numbers for asynchronous creates
  ChunkPool chunks;
  BlockCache cache;
  kj::Maybe<kj::Own<DiskCache>> diskCache;  // -o cache_dir; outlives the fetcher
  SegmentFetcher fetcher;
  UnsyncedBlocks unsynced;
  PlacementPool placements;
  LateCopies lateCopies;  // before ctx; destroyed before the chunk connections
  DataContext ctx;
  std::unordered_map<uint64_t, kj::Own<OpenFile>> openFiles;
  uint64_t nextDirHandle = 1;
  std::unordered_map<uint64_t, kj::Own<DirHandle>> dirHandles;
  kj::TaskSet tasks;
  kj::TaskSet background;
};

// The libfuse operation table that forwards to the Filesystem in fuse_req_userdata().
const struct fuse_lowlevel_ops& lowlevelOps();
// The session's custom io (fuse_session_custom_io): reads and writes /dev/fuse through the
// Filesystem's FuseWire.
const struct fuse_custom_io& lowlevelIo();

// Maps a finished RPC's exception to the errno a FUSE reply should carry.
int errnoFor(const kj::Exception& e);

}  // namespace dfs
