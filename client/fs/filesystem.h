// Filesystem: the mount's state and one method per FUSE low-level operation. Every
// method starts an asynchronous operation on the KJ loop and replies to the kernel when
// it completes; failures of the master or chunk servers become EIO.
#pragma once

#define FUSE_USE_VERSION 34
#include <fuse_lowlevel.h>

#include <kj/async.h>
#include <kj/map.h>
#include <unordered_map>
#include "client/cache/block_cache.h"
#include "client/cache/disk_cache.h"
#include "client/io/file_data.h"
#include "client/io/segment_fetcher.h"
#include "client/mount/options.h"
#include "client/rpc/chunk_pool.h"
#include "client/rpc/master_link.h"
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

  // File locks, held by the master so all mounts see them (fs/lock_ops.cc).
  void getlk(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info* fi, struct flock* lock);
  void setlk(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info* fi, struct flock* lock,
             int sleep);
  void flock(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info* fi, int op);

  // Directory operations (fs/dir_ops.cc).
  void opendir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info* fi);
  void readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, struct fuse_file_info* fi);
  void releasedir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info* fi);

  // Waits for background work (uploads of released files, disk cache writes) to finish.
  kj::Promise<void> drain();

  // Sets the cache times and kernel cache policy of the mount's consistency level (known
  // once masterLink().connectNow() succeeded); options the user gave win.
  void applyConsistency(const MountOptions& options);

  // Default cache time, seconds: attributes on quorum mounts, attributes and names on
  // eventual mounts.
  static constexpr double kCacheSeconds = 1.0;

  // Registers the mount's series (RPC counts and latency to master and chunk servers,
  // bytes read and written, block and disk cache, readahead) in `registry`, which must outlive this.
  void exportMetrics(MetricsRegistry& registry);

private:
  struct OpenFile {
    uint64_t ino;
    uint32_t opens = 0;
    kj::Own<FileData> data;
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
  };

  void taskFailed(kj::Exception&& exception) override;

  // Runs `work`; if it throws, replies EIO to `req` (the work must reply otherwise).
  void run(fuse_req_t req, kj::Promise<void> work);

  uint64_t toMaster(fuse_ino_t ino) const;
  fuse_ino_t toFuse(uint64_t ino) const;
  struct stat toStat(wire::Attr::Reader attr);
  struct fuse_entry_param makeEntry(wire::Attr::Reader attr);
  void replyEntry(fuse_req_t req, wire::Attr::Reader attr);
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
  void replyAttr(fuse_req_t req, wire::Attr::Reader attr);
  // Grows a reported size by data written here but not yet committed.
  uint64_t visibleSize(uint64_t ino, uint64_t committed) const;

  bool strongMount() const;
  // Makes every metadata change of the master durable (fsync, fsyncdir, strong writes).
  kj::Promise<void> syncMaster();
  // keep_cache / direct_io of an open file, by consistency level.
  void setCacheFlags(struct fuse_file_info& info) const;

  kj::Maybe<OpenFile&> findOpen(uint64_t ino);
  OpenFile& retainOpen(uint64_t ino);
  kj::Promise<void> releaseOpen(uint64_t ino);
  kj::Promise<void> flushIfOpen(uint64_t ino);
  // Registers one open of `ino` at the master (paired with a release in releaseOpen).
  kj::Promise<void> openAtMaster(uint64_t ino);

  // Sends one setLock and replies 0 or the errno. A waiting one has no deadline and ends
  // with EINTR when the kernel interrupts the request (a signal to the caller).
  void setLock(fuse_req_t req, uint64_t ino, uint64_t owner, uint32_t pid, wire::LockType type,
               uint64_t start, uint64_t end, bool wait, bool flock);
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

  struct Counters {
    uint64_t bytesRead = 0;     // returned to read() calls
    uint64_t bytesWritten = 0;  // accepted from write() calls
  };

  kj::Timer& timer;
  Counters counters;
  double attrTimeout;
  double entryTimeout;
  MasterLink master;
  ChunkPool chunks;
  BlockCache cache;
  kj::Maybe<kj::Own<DiskCache>> diskCache;  // -o cache_dir; outlives the fetcher
  SegmentFetcher fetcher;
  DataContext ctx;
  std::unordered_map<uint64_t, kj::Own<OpenFile>> openFiles;
  uint64_t nextDirHandle = 1;
  std::unordered_map<uint64_t, kj::Own<DirHandle>> dirHandles;
  kj::TaskSet tasks;
  kj::TaskSet background;
};

// The libfuse operation table that forwards to the Filesystem in fuse_req_userdata().
const struct fuse_lowlevel_ops& lowlevelOps();

// Maps a finished RPC's exception to the errno a FUSE reply should carry.
int errnoFor(const kj::Exception& e);

}  // namespace dfs
