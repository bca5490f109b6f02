// DirCache: complete listings (name -> attributes) of directories this mount read, kept
// while nothing in them changed. Quorum and eventual mounts: the master invalidates what
// other mounts change (fs/cache_callbacks.cc), and the mount reports its own changes; on
// an eventual mount, whose invalidations nobody waits for, a listing is also forgotten
// once older than the mount's entry_timeout (setMaxAge). A lookup it answers, found or
// missing, costs no master call.
//
// A name's slot can be *stale* (the name may exist; attributes unknown): lookups of it
// go to the master. Every change to a directory or to an inode listed in it bumps the
// directory's generation, so a listing or lookup result fetched before the change is
// not installed after it; an inode whose attributes changed after a result was asked
// for (listed in the directory or not) goes into the cache stale. Bounded by a total number of entries (least recently used
// listings go first).
#pragma once

#include <master.capnp.h>
#include <kj/array.h>
#include <kj/timer.h>
#include <cstdint>
#include <string>
#include <unordered_map>

namespace dfs {

// The attributes of one inode, copied out of an RPC reply.
struct AttrCopy {
  uint64_t ino = 0;
  uint32_t mode = 0, nlink = 0, uid = 0, gid = 0;
  uint64_t rdev = 0, size = 0, generation = 0;
  int64_t atimeNs = 0, mtimeNs = 0, ctimeNs = 0;
  uint64_t allocatedBytes = UINT64_MAX;  // UINT64_MAX: unknown (an older master)
  bool noXattrs = false;  // the master says the inode has no xattrs (false: it may have)

  static AttrCopy of(wire::Attr::Reader attr);
};

class DirCache {
public:
  explicit DirCache(size_t maxEntries) : maxEntries(maxEntries) {}

  // Listings older than `maxAge` (by `timer`, which must outlive the cache) are forgotten
  // when next asked; by default they are kept however old.
  void setMaxAge(const kj::Timer& timer, kj::Duration maxAge) {
    clockSource = &timer;
    this->maxAge = maxAge;
  }

  enum class Answer { UNKNOWN, FOUND, MISSING };
  // What the cache knows of `name` in `dir` (FOUND fills `out`).
  Answer find(uint64_t dir, kj::ArrayPtr<const kj::byte> name, AttrCopy& out);

  // The complete listing of `dir` is kept (and not expired).
  bool listed(uint64_t dir);
  // While `held`, the listing of `dir` does not age (the mount holds the directory's
  // lease: nobody else changes it unseen); released, it ages from now.
  void hold(uint64_t dir, bool held);
  // A lookup in `dir` found no listing: true when the listing should be fetched now (the
  // directory is being looked up in repeatedly and is not known to be too big).
  bool wantListing(uint64_t dir);
  // A stamp to pass back to install()/learned() with a result of `dir` fetched from now
  // on: a change to the directory after it drops the result, a change to an inode after
  // it leaves that inode's slot stale.
  uint64_t generation(uint64_t dir);

  // Installs a complete listing fetched since generation `gen` (ignored if it changed).
  using Listing = kj::Array<std::pair<std::string, AttrCopy>>;
  void install(uint64_t dir, uint64_t gen, Listing entries);
  // Forgets every listing; results fetched before are not installed.
  void clear();
  // `dir` has more entries than a listing may hold: stop trying.
  void tooBig(uint64_t dir) { misses[dir] = kTooBig; }
  // A directory this mount just created (empty: a complete listing at once).
  void created(uint64_t dir);

  // A lookup answered by the master (since generation `gen`): refreshes a listed slot.
  void learned(uint64_t dir, uint64_t gen, kj::ArrayPtr<const kj::byte> name,
               kj::Maybe<const AttrCopy&> attr);
  // This mount added `name` to `dir` (create, mkdir, symlink, link).
  void added(uint64_t dir, kj::ArrayPtr<const kj::byte> name, const AttrCopy& attr);
  // `name` in `dir` may have changed (removed, renamed over, created elsewhere): its slot
  // becomes stale. Returns the inode it listed, or 0.
  uint64_t nameChanged(uint64_t dir, kj::ArrayPtr<const kj::byte> name);
  // This mount removed `name` from `dir`: the name is gone. Returns the inode, or 0.
  uint64_t removed(uint64_t dir, kj::ArrayPtr<const kj::byte> name);
  // The attributes of `ino` changed: every slot listing it becomes stale.
  void attrsChanged(uint64_t ino);

  size_t entries() const { return total; }
  size_t listings() const { return dirs.size(); }
  static constexpr size_t kMaxListing = 50000;  // bigger directories are not cached

private:
  struct Slot {
    AttrCopy attr;
    bool stale = false;
  };
  struct Dir {
    std::unordered_map<std::string, Slot> names;
    uint64_t lastUse = 0;
    kj::Maybe<kj::TimePoint> born;  // when the listing was fetched or made (with a max age)
    bool held = false;              // see hold()
  };
  static constexpr uint32_t kTooBig = UINT32_MAX;
  static std::string key(kj::ArrayPtr<const kj::byte> name) {
    return std::string(reinterpret_cast<const char*>(name.begin()), name.size());
  }
  void bump(uint64_t dir);
  void link(uint64_t ino, uint64_t dir, const std::string& name);
  void unlink(uint64_t ino, uint64_t dir, const std::string& name);
  void drop(uint64_t dir);
  void evict();

  void stamp(Dir& d);
  bool expired(const Dir& d) const;

  size_t maxEntries;
  const kj::Timer* clockSource = nullptr;  // with maxAge: listings expire
  kj::Duration maxAge = 0 * kj::SECONDS;
  size_t total = 0;
  uint64_t clock = 0;
  std::unordered_map<uint64_t, Dir> dirs;
  // ino -> (directory, name) of every slot listing it
  std::unordered_multimap<uint64_t, std::pair<uint64_t, std::string>> parents;
  std::unordered_map<uint64_t, uint64_t> gens;  // directory -> last change (counter)
  uint64_t counter = 0;
  uint64_t floor = 0;  // last change of directories absent from `gens`
  std::unordered_map<uint64_t, uint64_t> inoChanges;  // inode -> last attribute change
  uint64_t inoFloor = 0;  // every inode changed at or before this
  uint64_t lastChange(uint64_t dir) const;
  // The attributes of `ino` changed after stamp `gen` (see generation()).
  bool changedSince(uint64_t ino, uint64_t gen) const;
  std::unordered_map<uint64_t, uint32_t> misses;
};

}  // namespace dfs
