// Filesystem: directory listing. A directory handle pages through the master's sorted
// entries by name (so concurrent changes never make it skip or repeat an unchanged name)
// and hands them to the kernel by index.
#include "filesystem.h"

#include <kj/debug.h>
#include <cstring>
#include <cerrno>

namespace dfs {

void Filesystem::opendir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info* fi) {
  auto h = kj::heap<DirHandle>();
  h->ino = toMaster(ino);
  KJ_IF_MAYBE(a, freshAttr(h->ino)) h->attr = *a;
  h->entries.add(DirHandle::Entry{kj::str("."), ino, S_IFDIR});
  h->entries.add(DirHandle::Entry{kj::str(".."), FUSE_ROOT_ID, S_IFDIR});
  uint64_t id = nextDirHandle++;
  dirHandles.emplace(id, kj::mv(h));
  fi->fh = id;
  if (fuse_reply_open(req, fi) != 0) dirHandles.erase(id);
}

void Filesystem::withDirEntries(fuse_req_t req, uint64_t id, off_t off,
                                kj::Function<void(DirHandle&)> reply) {
  auto it = dirHandles.find(id);
  if (it == dirHandles.end()) return (void)fuse_reply_err(req, EBADF);
  DirHandle* h = it->second.get();
  if (off < 0) return (void)fuse_reply_err(req, EINVAL);

  // Entries up to the requested position plus one page are needed.
  kj::Promise<void> ready = kj::READY_NOW;
  if (!h->eof && size_t(off) + 64 >= h->entries.size()) {
    auto after = kj::heapArray<kj::byte>(h->lastName.asPtr());
    uint64_t dir = h->ino;
    ready = master
                .call([dir, after = kj::mv(after)](wire::Session::Client& s) {
                  auto r = s.readdirRequest();
                  r.setIno(dir);
                  r.setAfter(after);
                  r.setMaxEntries(1024);
                  return r.send();
                })
                .then([this, id](capnp::Response<wire::Session::ReaddirResults> r)
                          -> kj::Promise<void> {
                  if (r.getErr() != 0) return KJ_EXCEPTION(FAILED, "readdir", r.getErr());
                  auto it = dirHandles.find(id);
                  if (it == dirHandles.end()) return KJ_EXCEPTION(FAILED, "dir handle closed");
                  DirHandle& h = *it->second;
                  for (auto e : r.getEntries()) {
                    auto n = e.getName();
                    h.entries.add(DirHandle::Entry{
                        kj::heapString(reinterpret_cast<const char*>(n.begin()), n.size()),
                        toFuse(e.getAttr().getIno()), e.getAttr().getMode()});
                  }
                  if (r.getEntries().size() > 0) {
                    auto last = r.getEntries()[r.getEntries().size() - 1].getName();
                    h.lastName = kj::heapArray<kj::byte>(last);
                  }
                  h.eof = r.getEof() || r.getEntries().size() == 0;
                  return kj::READY_NOW;
                });
  }
  run(req, ready.then([this, req, id, reply = kj::mv(reply)]() mutable {
    auto it = dirHandles.find(id);
    if (it == dirHandles.end()) return (void)fuse_reply_err(req, EBADF);
    reply(*it->second);
  }));
}

void Filesystem::readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
                         struct fuse_file_info* fi) {
  withDirEntries(req, fi->fh, off, [req, size, off](DirHandle& h) {
    auto buf = kj::heapArray<char>(size);
    size_t used = 0;
    for (size_t i = off; i < h.entries.size(); i++) {
      auto& e = h.entries[i];
      struct stat st;
      memset(&st, 0, sizeof(st));
      st.st_ino = e.ino;
      st.st_mode = e.mode;
      size_t n = fuse_add_direntry(req, buf.begin() + used, size - used, e.name.cStr(), &st, i + 1);
      if (n > size - used) break;
      used += n;
    }
    fuse_reply_buf(req, buf.begin(), used);
  });
}

void Filesystem::readdirplus(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
                             struct fuse_file_info* fi) {
  withDirEntries(req, fi->fh, off, [this, req, size, off](DirHandle& h) {
    auto buf = kj::heapArray<char>(size);
    size_t used = 0;
    for (size_t i = off; i < h.entries.size(); i++) {
      auto& e = h.entries[i];
      struct fuse_entry_param entry;
      AttrCopy attr;
      bool dots = i < 2;  // "." and ".."
      auto name = e.name.asBytes();
      // Not for a file open here: its size and times move with local writes and commits
      // (some not seen by the listing), which the kernel learns from its own calls.
      if (!dots && dirCacheOn && dirCache.find(h.ino, name, attr) == DirCache::Answer::FOUND &&
          attr.ino == toMaster(e.ino) && findOpen(attr.ino) == nullptr) {
        entry = makeEntry(attr);  // what lookup would reply
        counters.plusEntries++;
      } else {
        // No attributes (node id 0): the kernel makes no entry and looks the name up.
        memset(&entry, 0, sizeof(entry));
        entry.attr.st_ino = e.ino;
        entry.attr.st_mode = e.mode;
      }
      size_t n = fuse_add_direntry_plus(req, buf.begin() + used, size - used, e.name.cStr(),
                                        &entry, i + 1);
      if (n > size - used) break;
      used += n;
    }
    fuse_reply_buf(req, buf.begin(), used);
  });
}

kj::Maybe<AttrCopy> Filesystem::removedDirAttr(uint64_t ino) {
  for (auto& entry : dirHandles) {
    if (entry.second->ino != ino) continue;
    KJ_IF_MAYBE(a, entry.second->attr) {
      AttrCopy gone = *a;
      gone.nlink = 0;
      return gone;
    }
  }
  return nullptr;
}

void Filesystem::releasedir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info* fi) {
  dirHandles.erase(fi->fh);
  fuse_reply_err(req, 0);
}

}  // namespace dfs
