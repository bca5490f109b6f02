// Filesystem: lookups through the directory listing cache (DirCache), listing fetches,
// and the cache's view of this mount's own namespace changes.
#include "filesystem.h"

#include "common/base/limits.h"

#include <kj/debug.h>
#include <cstdio>
#include <cerrno>
#include <cstring>
#include <string>

namespace dfs {

void Filesystem::lookup(fuse_req_t req, fuse_ino_t parent, const char* nameC) {
  auto name = kj::heapArray<kj::byte>(reinterpret_cast<const kj::byte*>(nameC), strlen(nameC));
  uint64_t p = toMaster(parent);
  // Over-long names get their error (ENAMETOOLONG) from the master.
  // Listings are only as good as the session that keeps them invalidated.
  if (!dirCacheOn || name.size() > kNameMax || !master.connected()) {
    return lookupAtMaster(req, p, kj::mv(name));
  }
  AttrCopy attr;
  switch (dirCache.find(p, name, attr)) {
    case DirCache::Answer::FOUND: return replyEntry(req, attr);
    case DirCache::Answer::MISSING: return replyMissing(req);
    case DirCache::Answer::UNKNOWN: break;
  }
  auto fetch = listingFetches.find(p);
  if (fetch == listingFetches.end() && dirCache.wantListing(p)) {
    auto forked = fetchListing(p)
                      .catch_([](kj::Exception&& e) {
                        KJ_LOG(WARNING, "directory listing fetch failed", e.getDescription());
                      })
                      .fork();
    // The fork is dropped from one of its own branches once the fetch is over.
    tasks.add(forked.addBranch().then([this, p]() { listingFetches.erase(p); }));
    fetch = listingFetches.emplace(p, kj::mv(forked)).first;
  }
  if (fetch == listingFetches.end()) return lookupAtMaster(req, p, kj::mv(name));
  run(req, fetch->second.addBranch().then([this, req, p, name = kj::mv(name)]() mutable {
    AttrCopy attr;
    switch (dirCache.find(p, name, attr)) {
      case DirCache::Answer::FOUND: return replyEntry(req, attr);
      case DirCache::Answer::MISSING: return replyMissing(req);
      case DirCache::Answer::UNKNOWN: return lookupAtMaster(req, p, kj::mv(name));
    }
  }));
}

void Filesystem::lookupAtMaster(fuse_req_t req, uint64_t p, kj::Array<kj::byte> name) {
  uint64_t gen = dirCache.generation(p);
  run(req, master
               .call([p, n = kj::heapArray<kj::byte>(name.asPtr())](wire::Session::Client& s) {
                 auto r = s.lookupRequest();
                 r.setParent(p);
                 r.setName(n);
                 return r.send();
               })
               .then([this, req, p, gen, name = kj::mv(name)](
                         capnp::Response<wire::Session::LookupResults> r) {
                 if (r.getErr() == ENOENT) {
                   dirCache.learned(p, gen, name, nullptr);
                   return replyMissing(req);
                 }
                 if (r.getErr() != 0) return (void)fuse_reply_err(req, r.getErr());
                 AttrCopy attr = AttrCopy::of(r.getAttr());
                 dirCache.learned(p, gen, name, attr);
                 replyEntry(req, attr);
               }));
}

kj::Promise<void> Filesystem::fetchListing(uint64_t dir) {
  struct Fetch {
    uint64_t gen;
    kj::Vector<std::pair<std::string, AttrCopy>> entries;
    kj::Array<kj::byte> after = kj::heapArray<kj::byte>(0);
  };
  auto state = kj::heap<Fetch>();
  state->gen = dirCache.generation(dir);
  auto& st = *state;
  auto page = [this, dir, &st](auto& self) -> kj::Promise<void> {
    return master
        .call([dir, &st](wire::Session::Client& s) {
          auto r = s.readdirRequest();
          r.setIno(dir);
          r.setAfter(st.after);
          r.setMaxEntries(kMaxReaddirPage);
          return r.send();
        })
        .then([this, dir, &st, self](capnp::Response<wire::Session::ReaddirResults> r) mutable
              -> kj::Promise<void> {
          if (r.getErr() != 0) return kj::READY_NOW;  // e.g. removed meanwhile: no listing
          auto list = r.getEntries();
          if (st.entries.size() + list.size() > DirCache::kMaxListing) {
            dirCache.tooBig(dir);
            return kj::READY_NOW;
          }
          for (auto e : list) {
            auto n = e.getName();
            st.entries.add(std::string(reinterpret_cast<const char*>(n.begin()), n.size()),
                           AttrCopy::of(e.getAttr()));
          }
          if (r.getEof() || list.size() == 0) {
            dirCache.install(dir, st.gen, st.entries.releaseAsArray());
            return kj::READY_NOW;
          }
          st.after = kj::heapArray<kj::byte>(list[list.size() - 1].getName());
          return self(self);
        });
  };
  return page(page).attach(kj::mv(state));
}

void Filesystem::addedHere(uint64_t parent, kj::ArrayPtr<const kj::byte> name,
                           wire::Attr::Reader attr) {
  auto copy = AttrCopy::of(attr);
  // A link: the inode's other names and an open file's copy have the old nlink and ctime.
  attrsChanged(copy.ino);
  dirCache.added(parent, name, copy);
  attrsChanged(parent);  // its mtime (and nlink, for a directory) moved
  if (S_ISDIR(copy.mode)) dirCache.created(copy.ino);
}

void Filesystem::removedHere(uint64_t parent, kj::ArrayPtr<const kj::byte> name,
                             uint64_t ino) {
  dirCache.removed(parent, name);
  attrsChanged(ino);  // nlink and ctime moved (other names of it are stale)
  attrsChanged(parent);
}

void Filesystem::renamedHere(uint64_t parent, kj::ArrayPtr<const kj::byte> name,
                             uint64_t newParent, kj::ArrayPtr<const kj::byte> newName,
                             unsigned int flags, uint64_t moved, uint64_t replaced) {
  if ((flags & RENAME_EXCHANGE) != 0) {
    dirCache.nameChanged(parent, name);
  } else {
    dirCache.removed(parent, name);
  }
  dirCache.nameChanged(newParent, newName);
  if (moved != 0) attrsChanged(moved);
  if (replaced != 0) attrsChanged(replaced);
  attrsChanged(parent);
  attrsChanged(newParent);
}

}  // namespace dfs
