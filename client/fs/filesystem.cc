// Filesystem: construction, request plumbing, attribute conversion, open-file table.
#include "filesystem.h"

#include <kj/debug.h>
#include <cerrno>
#include <cstring>

namespace dfs {
namespace {

kj::Maybe<kj::Own<DiskCache>> openDiskCache(const MountOptions& options) {
  if (options.cacheDir.size() == 0) return nullptr;
  return kj::heap<DiskCache>(options.cacheDir, options.cacheDirBytes);
}

kj::Maybe<DiskCache&> ref(kj::Maybe<kj::Own<DiskCache>>& disk) {
  KJ_IF_MAYBE(d, disk) return **d;
  return nullptr;
}

// Readahead windows stay well below the memory cache, so prefetched segments are still
// there when the reads reach them.
uint64_t readaheadMax(const MountOptions& options) {
  return options.readahead ? kj::min(kReadaheadMaxWindow, options.cacheBytes / 4) : 0;
}

}  // namespace

Filesystem::Filesystem(kj::AsyncIoProvider& io, kj::Timer& timer, const MountOptions& options,
                       kj::String clientName)
    : timer(timer),
      wire(options.handleKillPriv),
      maxReadBytes(options.maxRead),
      dirCache(options.dirCacheEntries),
      attrTimeout(options.attrTimeout),
      entryTimeout(options.entryTimeout),
      master(io, timer, kj::str(options.masterAddress), kj::str(options.volume),
             kj::mv(clientName), options.rpcTimeout, options.consistency),
      chunks(io, timer, options.rpcTimeout),
      cache(options.cacheBytes),
      diskCache(openDiskCache(options)),
      fetcher(chunks, cache, ref(diskCache)),
      placements(master, timer),
      lateCopies(master, timer),
      ctx{master,     chunks,     cache,      fetcher,
          timer,      unsynced,   placements, lateCopies,
          readaheadMax(options), options.inlineData},
      tasks(*this),
      background(*this) {
  noatime = options.noatime;
  // Listings' copies of a file's attributes are stale after any commit of it here (the
  // master tells other mounts, not this one).
  ctx.changed = [this](uint64_t ino) { dirCache.attrsChanged(ino); };
  master.setCacheClient(makeCacheCallbacks());
  // A lost session: the master no longer knows what this mount cached, so listings
  // cannot be trusted (the kernel's caches expire within their times).
  master.onSessionLost([this]() { forgetMastersWord(); });
  // Locks held here are re-asserted on every new session before anything else may use
  // it; while there are some, a lost session is re-established without waiting for a
  // call, so the reclaim lands within a restarted master's grace period.
  master.onSessionStart(
      [this](wire::Session::Client session, bool restarted) {
        auto reopened = reopenFiles(session);
        return reclaimLocks(kj::mv(session), restarted).then(
            [reopened = kj::mv(reopened)]() mutable { return kj::mv(reopened); });
      },
      [this]() { return static_cast<uint32_t>(heldLocks.count()); });
  // Also while files are open here: until the new session registers them again, another
  // mount's unlink would delete them.
  master.keepConnected([this]() { return !heldLocks.empty() || !openFiles.empty(); });
}

Filesystem::~Filesystem() noexcept(false) {}

kj::Promise<void> Filesystem::reopenFiles(wire::Session::Client session) {
  // Counted now, before any release can reach the new session (ReleaseQueue drops those
  // of the old one): one registration per open still held.
  kj::Vector<kj::Promise<void>> opens;
  for (auto& entry : openFiles) {
    uint64_t ino = entry.first;
    for (uint32_t n = 0; n < entry.second->opens; n++) {
      auto req = session.openRequest();
      req.setIno(ino);
      opens.add(req.send().then([ino](capnp::Response<wire::Session::OpenResults> r) {
        if (r.getErr() != 0) {
          KJ_LOG(WARNING, "an open file is gone at the master (unlinked while this mount "
                          "had no session); its reads and writes fail", ino, r.getErr());
        }
      }));
    }
  }
  if (opens.size() > 0) {
    KJ_LOG(WARNING, "new master session: registering open files again", openFiles.size());
  }
  // A failure (the connection dropped again) fails this session's start: the next one
  // registers what is still open.
  return kj::joinPromises(opens.releaseAsArray());
}

void Filesystem::taskFailed(kj::Exception&& exception) {
  KJ_LOG(ERROR, "request task failed", exception);
}

int errnoFor(const kj::Exception& e) {
  (void)e;
  return EIO;
}

void Filesystem::run(fuse_req_t req, kj::Promise<void> work) {
  tasks.add(work.catch_([req](kj::Exception&& e) {
    KJ_LOG(WARNING, "operation failed", e.getDescription());
    fuse_reply_err(req, errnoFor(e));
  }));
}

kj::Promise<void> Filesystem::drain() {
  kj::Vector<kj::Promise<void>> flushes;
  for (auto& entry : openFiles) {
    flushes.add(entry.second->data->flush().catch_([](kj::Exception&& e) {
      KJ_LOG(ERROR, "could not save data at unmount", e.getDescription());
    }));
  }
  return kj::joinPromises(flushes.releaseAsArray())
      .then([this]() { return background.onEmpty(); })
      .then([this]() -> kj::Promise<void> {
        KJ_IF_MAYBE(d, diskCache) return (*d)->idle();
        return kj::READY_NOW;
      });
}

uint64_t Filesystem::toMaster(fuse_ino_t ino) const {
  return ino == FUSE_ROOT_ID ? master.rootIno() : ino;
}

fuse_ino_t Filesystem::toFuse(uint64_t ino) const {
  return ino == master.rootIno() ? FUSE_ROOT_ID : ino;
}

uint64_t Filesystem::visibleSize(uint64_t ino, uint64_t committed) const {
  auto it = openFiles.find(ino);
  if (it == openFiles.end()) return committed;
  return kj::max(committed, it->second->data->dirtyEnd());
}

kj::Maybe<int64_t> Filesystem::dirtyTimeNs(uint64_t ino) const {
  auto it = openFiles.find(ino);
  if (it == openFiles.end()) return nullptr;
  return it->second->data->dirtyTimeNs();
}

struct stat Filesystem::toStat(const AttrCopy& master) {
  // Attribute changes this mount has not sent yet (PendingAttrs) show on top.
  AttrCopy attr = master;
  bool mtimePending = false;
  if (S_ISREG(attr.mode)) {
    KJ_IF_MAYBE(f, findOpen(attr.ino)) {
      auto pending = f->data->pendingAttrs();
      pending.applyTo(attr);
      mtimePending = pending.mtimeNs != nullptr;
    }
  }
  struct stat st;
  memset(&st, 0, sizeof(st));
  st.st_ino = toFuse(attr.ino);
  st.st_mode = attr.mode;
  st.st_nlink = attr.nlink;
  st.st_uid = attr.uid;
  st.st_gid = attr.gid;
  st.st_rdev = attr.rdev;
  st.st_size = S_ISREG(attr.mode) ? visibleSize(attr.ino, attr.size) : attr.size;
  st.st_blksize = kBlockSize;
  st.st_blocks = (st.st_size + 511) / 512;
  if (S_ISREG(attr.mode)) st.st_blocks = (allocatedBytes(attr, st.st_size) + 511) / 512;
  auto toTs = [](int64_t ns) {
    struct timespec ts;
    ts.tv_sec = ns / 1'000'000'000LL;
    ts.tv_nsec = ns % 1'000'000'000LL;
    if (ts.tv_nsec < 0) {
      ts.tv_nsec += 1'000'000'000LL;
      ts.tv_sec -= 1;
    }
    return ts;
  };
  st.st_atim = toTs(attr.atimeNs);
  int64_t mtimeNs = attr.mtimeNs, ctimeNs = attr.ctimeNs;
  if (S_ISREG(attr.mode)) {
    // What the commit of this mount's buffered writes will record (file_extents.cc),
    // unless an explicit mtime was set after them.
    KJ_IF_MAYBE(t, dirtyTimeNs(attr.ino)) {
      if (!mtimePending) mtimeNs = *t;
      ctimeNs = kj::max(ctimeNs, *t);
    }
  }
  st.st_mtim = toTs(mtimeNs);
  st.st_ctim = toTs(ctimeNs);
  return st;
}

uint64_t Filesystem::allocatedBytes(const AttrCopy& attr, uint64_t visible) const {
  uint64_t allocated = attr.allocatedBytes;
  if (allocated == UINT64_MAX) return visible;  // an older master: count the size
  auto it = openFiles.find(attr.ino);
  if (it != openFiles.end()) allocated += it->second->data->bufferedBytes();
  return kj::min(allocated, visible);  // holes excluded; never more than the size
}

struct fuse_entry_param Filesystem::makeEntry(const AttrCopy& attr) {
  noteXattrs(attr);
  struct fuse_entry_param e;
  memset(&e, 0, sizeof(e));
  e.ino = toFuse(attr.ino);
  e.generation = attr.generation;
  e.attr = toStat(attr);
  e.attr_timeout = attrTimeout;
  e.entry_timeout = entryTimeout;
  return e;
}

void Filesystem::replyEntry(fuse_req_t req, const AttrCopy& attr) {
  struct fuse_entry_param e = makeEntry(attr);
  fuse_reply_entry(req, &e);
}

void Filesystem::replyAttr(fuse_req_t req, wire::Attr::Reader attr) {
  auto copy = AttrCopy::of(attr);
  noteXattrs(copy);
  struct stat st = toStat(copy);
  fuse_reply_attr(req, &st, attrTimeout);
}

void Filesystem::noteXattrs(const AttrCopy& attr) {
  if (attrTimeout <= 0) return;
  if (attr.noXattrs) xattrFree.remember(attr.ino, timer.now());
  else xattrFree.forget(attr.ino);
}

void Filesystem::attrsChanged(uint64_t ino) {
  xattrFree.forget(ino);
  dirCache.attrsChanged(ino);
  dirAttrs.drop(ino);
  KJ_IF_MAYBE(f, findOpen(ino)) f->attr = nullptr;
}

bool Filesystem::sameStat(const struct stat& a, const struct stat& b) {
  auto same = [](const struct timespec& x, const struct timespec& y) {
    return x.tv_sec == y.tv_sec && x.tv_nsec == y.tv_nsec;
  };
  return a.st_ino == b.st_ino && a.st_mode == b.st_mode && a.st_nlink == b.st_nlink &&
         a.st_uid == b.st_uid && a.st_gid == b.st_gid && a.st_rdev == b.st_rdev &&
         a.st_size == b.st_size && a.st_blocks == b.st_blocks &&
         same(a.st_atim, b.st_atim) && same(a.st_mtim, b.st_mtim) &&
         same(a.st_ctim, b.st_ctim);
}

void Filesystem::rememberAttr(const AttrCopy& copy) {
  if (S_ISDIR(copy.mode)) {
    for (auto& entry : dirHandles) {
      if (entry.second->ino == copy.ino) entry.second->attr = copy;
    }
  }
  if (attrTimeout <= 0) return;
  noteXattrs(copy);
  auto until = timer.now() + secondsToDuration(attrTimeout);
  if (S_ISDIR(copy.mode)) return dirAttrs.put(copy, until);
  KJ_IF_MAYBE(f, findOpen(copy.ino)) {
    f->attr = copy;
    f->attrUntil = until;
    f->attrCommits = f->data->commits();
  }
}

kj::Maybe<const AttrCopy&> Filesystem::freshAttr(uint64_t ino) {
  KJ_IF_MAYBE(a, dirAttrs.get(ino, timer.now())) return *a;
  KJ_IF_MAYBE(f, findOpen(ino)) {
    KJ_IF_MAYBE(a, f->attr) {
      if (timer.now() < f->attrUntil && f->attrCommits == f->data->commits()) return *a;
      f->attr = nullptr;
    }
  }
  return nullptr;
}

kj::Maybe<Filesystem::OpenFile&> Filesystem::attrWriteBack(uint64_t ino) {
  if (strongMount()) return nullptr;
  KJ_IF_MAYBE(f, findOpen(ino)) {
    // Only while open for writing here (a closed file's release may be on its way, and
    // nothing would send changes made after it), and only for a file made here under a
    // directory lease this mount still holds: no other mount can know the file until the
    // lease is recalled, and the recall sends the changes first (recallLeases).
    if (f->writers == 0 || !f->createdHere || f->leaseDir == 0) return nullptr;
    if (!leasedDirs.holds(f->leaseDir)) return nullptr;
    KJ_IF_MAYBE(a, freshAttr(ino)) {
      if (a->noXattrs && S_ISREG(a->mode)) return *f;
    }
  }
  return nullptr;
}

bool Filesystem::keptAttrsMayFollowClose(uint64_t ino) {
  KJ_IF_MAYBE(f, attrWriteBack(ino)) return f->data->onlyAttrsToSend();
  return false;
}

const AttrCopy& Filesystem::deferAttrs(OpenFile& f, PendingAttrs change, int64_t nowNs) {
  const AttrCopy& master = KJ_ASSERT_NONNULL(freshAttr(f.ino));
  change.ctimeNs = nowNs;
  change.base = master;
  f.data->deferAttrs(change);
  return master;
}

bool Filesystem::knownWithoutXattrs(uint64_t ino) {
  return xattrFree.absent(ino, timer.now());
}

kj::Maybe<Filesystem::OpenFile&> Filesystem::findOpen(uint64_t ino) {
  auto it = openFiles.find(ino);
  if (it == openFiles.end()) return nullptr;
  return *it->second;
}

Filesystem::OpenFile& Filesystem::retainOpen(uint64_t ino, bool writable) {
  auto it = openFiles.find(ino);
  if (it == openFiles.end()) {
    auto f = kj::heap<OpenFile>();
    f->ino = ino;
    f->data = kj::heap<FileData>(ctx, ino);
    it = openFiles.emplace(ino, kj::mv(f)).first;
  }
  it->second->opens++;
  if (writable) it->second->writers++;
  it->second->atimeDue = true;
  return *it->second;
}

kj::Promise<void> Filesystem::releaseOpen(uint64_t ino, bool writable) {
  auto it = openFiles.find(ino);
  if (it == openFiles.end()) return kj::READY_NOW;
  auto& f = *it->second;
  KJ_ASSERT(f.opens > 0);
  f.opens--;
  if (writable) {
    KJ_ASSERT(f.writers > 0);
    // No longer written here: attribute changes go at once again. The lease directory
    // stays until what was kept is sent (below), so that a recall, rename or link
    // meanwhile waits for it (endAttrWriteBack).
    if (--f.writers == 0) f.createdHere = false;
  }
  // Commit what is left, tell the master (which may now delete an unlinked file), then
  // forget the file if nobody opened it again meanwhile.
  bool wasDirty = f.data->unflushed();
  auto tellMaster = [this, ino]() { return releases.release(ino); };
  auto flushed = f.data->flush().attach(kj::defer([this, ino]() {
    KJ_IF_MAYBE(f, findOpen(ino)) {
      if (f->writers == 0) f->leaseDir = 0;
    }
  }));
  return flushed
      .then(kj::cp(tellMaster), [tellMaster](kj::Exception&& e) {
        return tellMaster().then([e = kj::mv(e)]() mutable -> kj::Promise<void> {
          return kj::mv(e);
        });
      })
      .then([this, ino, wasDirty]() -> kj::Promise<void> {
        // What was left is committed: size and mtime moved. A clean file did not change
        // (keeping its listing slot fresh matters after create-and-close loops).
        if (wasDirty) changedHere(ino);
        return forgetWhenSettled(ino);
      });
}

kj::Promise<void> Filesystem::forgetWhenSettled(uint64_t ino) {
  if (forgetIfClosed(ino)) return kj::READY_NOW;
  KJ_IF_MAYBE(f, findOpen(ino)) {
    if (f->opens > 0) return kj::READY_NOW;
    // Something was buffered while the release was under way (pages of a shared mapping
    // written back late), or another call's flush is still queued: commit after it, then
    // forget the file (its data object must outlive what is queued on it).
    bool dirty = f->data->unflushed();
    return f->data->flush().then([this, ino, dirty]() {
      if (dirty) changedHere(ino);
      return forgetWhenSettled(ino);
    });
  }
  return kj::READY_NOW;
}

bool Filesystem::forgetIfClosed(uint64_t ino) {
  auto it = openFiles.find(ino);
  if (it == openFiles.end()) return true;
  auto& f = *it->second;
  if (f.opens > 0 || f.data->unflushed() || f.data->busy()) return false;
  openFiles.erase(it);
  return true;
}

kj::Promise<void> Filesystem::flushIfOpen(uint64_t ino) {
  KJ_IF_MAYBE(f, findOpen(ino)) return f->data->flush();
  return kj::READY_NOW;
}

kj::Promise<void> Filesystem::endAttrWriteBack(uint64_t dir) {
  if (dir == 0) return kj::READY_NOW;
  kj::Vector<kj::Promise<void>> sent;
  for (auto& entry : openFiles) {
    OpenFile& f = *entry.second;
    if (f.leaseDir != dir) continue;
    f.leaseDir = 0;
    // Those on their way too: the caller goes on once the master has them.
    if (f.data->pendingAttrs().empty()) continue;
    uint64_t ino = f.ino;
    sent.add(f.data->sendKeptAttrs().catch_([ino](kj::Exception&& e) {
      KJ_LOG(WARNING, "could not send kept attribute changes", ino, e.getDescription());
    }));
  }
  return kj::joinPromises(sent.releaseAsArray());
}

}  // namespace dfs
