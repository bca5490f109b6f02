// DirCache: listings, stale slots, generations and eviction.
#include "client/cache/dir_cache.h"

namespace dfs {

AttrCopy AttrCopy::of(wire::Attr::Reader a) {
  AttrCopy c;
  c.ino = a.getIno();
  c.mode = a.getMode();
  c.nlink = a.getNlink();
  c.uid = a.getUid();
  c.gid = a.getGid();
  c.rdev = a.getRdev();
  c.size = a.getSize();
  c.generation = a.getGeneration();
  c.atimeNs = a.getAtimeNs();
  c.mtimeNs = a.getMtimeNs();
  c.ctimeNs = a.getCtimeNs();
  c.allocatedBytes = a.getAllocatedBytes();
  c.noXattrs = a.getNoXattrs();
  return c;
}

DirCache::Answer DirCache::find(uint64_t dir, kj::ArrayPtr<const kj::byte> name,
                                AttrCopy& out) {
  auto d = dirs.find(dir);
  if (d == dirs.end()) return Answer::UNKNOWN;
  if (expired(d->second)) {
    drop(dir);
    return Answer::UNKNOWN;
  }
  d->second.lastUse = ++clock;
  auto it = d->second.names.find(key(name));
  if (it == d->second.names.end()) return Answer::MISSING;
  if (it->second.stale) return Answer::UNKNOWN;
  out = it->second.attr;
  return Answer::FOUND;
}

bool DirCache::listed(uint64_t dir) {
  auto d = dirs.find(dir);
  if (d == dirs.end()) return false;
  if (expired(d->second)) {
    drop(dir);
    return false;
  }
  return true;
}

bool DirCache::wantListing(uint64_t dir) {
  if (maxEntries == 0) return false;
  if (misses.size() > 100000) misses.clear();
  auto& n = misses[dir];
  if (n == kTooBig) return false;
  return ++n >= 3;
}

uint64_t DirCache::generation(uint64_t) { return ++counter; }

uint64_t DirCache::lastChange(uint64_t dir) const {
  auto it = gens.find(dir);
  return it == gens.end() ? floor : it->second;
}

bool DirCache::changedSince(uint64_t ino, uint64_t gen) const {
  if (gen < inoFloor) return true;
  auto it = inoChanges.find(ino);
  return it != inoChanges.end() && it->second > gen;
}

void DirCache::clear() {
  dirs.clear();
  parents.clear();
  gens.clear();
  misses.clear();
  inoChanges.clear();
  total = 0;
  floor = inoFloor = ++counter;
}

void DirCache::bump(uint64_t dir) {
  if (gens.size() > 1000000) {
    gens.clear();
    floor = ++counter;  // results fetched before now no longer match any directory
  }
  gens[dir] = ++counter;
}

void DirCache::install(uint64_t dir, uint64_t gen, Listing entries) {
  if (maxEntries == 0 || lastChange(dir) > gen || entries.size() > kMaxListing) return;
  drop(dir);
  Dir& d = dirs[dir];
  d.lastUse = ++clock;
  stamp(d);
  for (auto& e : entries) {
    link(e.second.ino, dir, e.first);
    // An inode changed here while the listing was on its way: its attributes in it may
    // be older than the change.
    bool stale = changedSince(e.second.ino, gen);
    d.names.emplace(kj::mv(e.first), Slot{e.second, stale});
  }
  total += d.names.size();
  misses.erase(dir);
  evict();
}

void DirCache::created(uint64_t dir) {
  if (maxEntries == 0) return;
  bump(dir);
  drop(dir);
  Dir& d = dirs[dir];
  d.lastUse = ++clock;
  stamp(d);
  evict();
}

void DirCache::stamp(Dir& d) {
  if (clockSource != nullptr) d.born = clockSource->now();
}

void DirCache::hold(uint64_t dir, bool held) {
  auto d = dirs.find(dir);
  if (d == dirs.end()) return;
  if (d->second.held && !held) stamp(d->second);
  d->second.held = held;
}

bool DirCache::expired(const Dir& d) const {
  if (clockSource == nullptr || d.held) return false;
  KJ_IF_MAYBE(b, d.born) { return clockSource->now() - *b > maxAge; }
  return false;
}

void DirCache::learned(uint64_t dir, uint64_t gen, kj::ArrayPtr<const kj::byte> name,
                       kj::Maybe<const AttrCopy&> attr) {
  if (lastChange(dir) > gen) return;
  auto d = dirs.find(dir);
  if (d == dirs.end()) return;
  auto k = key(name);
  auto it = d->second.names.find(k);
  KJ_IF_MAYBE(a, attr) {
    bool stale = changedSince(a->ino, gen);  // (see install)
    if (it == d->second.names.end()) {
      link(a->ino, dir, k);
      d->second.names.emplace(k, Slot{*a, stale});
      total++;
    } else {
      if (it->second.attr.ino != a->ino) {
        unlink(it->second.attr.ino, dir, k);
        link(a->ino, dir, k);
      }
      it->second = Slot{*a, stale};
    }
  } else if (it != d->second.names.end()) {
    unlink(it->second.attr.ino, dir, k);
    d->second.names.erase(it);
    total--;
  }
}

void DirCache::added(uint64_t dir, kj::ArrayPtr<const kj::byte> name, const AttrCopy& attr) {
  attrsChanged(attr.ino);  // other names of the same inode (nlink moved)
  bump(dir);
  auto d = dirs.find(dir);
  if (d == dirs.end()) return;
  auto k = key(name);
  auto it = d->second.names.find(k);
  if (it != d->second.names.end()) {
    unlink(it->second.attr.ino, dir, k);
    d->second.names.erase(it);
    total--;
  }
  link(attr.ino, dir, k);
  d->second.names.emplace(k, Slot{attr, false});
  total++;
  evict();
}

uint64_t DirCache::nameChanged(uint64_t dir, kj::ArrayPtr<const kj::byte> name) {
  bump(dir);
  auto d = dirs.find(dir);
  if (d == dirs.end()) return 0;
  auto it = d->second.names.find(key(name));
  if (it == d->second.names.end()) {
    Slot slot;
    slot.stale = true;  // may exist now
    d->second.names.emplace(key(name), slot);
    total++;
    return 0;
  }
  it->second.stale = true;
  return it->second.attr.ino;
}

uint64_t DirCache::removed(uint64_t dir, kj::ArrayPtr<const kj::byte> name) {
  bump(dir);
  auto d = dirs.find(dir);
  if (d == dirs.end()) return 0;
  auto k = key(name);
  auto it = d->second.names.find(k);
  if (it == d->second.names.end()) return 0;
  uint64_t ino = it->second.stale ? 0 : it->second.attr.ino;
  unlink(it->second.attr.ino, dir, k);
  d->second.names.erase(it);
  total--;
  return ino;
}

void DirCache::attrsChanged(uint64_t ino) {
  // Remembered also for inodes no listing holds yet: one may be on its way.
  if (inoChanges.size() > 1000000) {
    inoChanges.clear();
    inoFloor = ++counter;  // results fetched before now: every inode counts as changed
  }
  inoChanges[ino] = ++counter;
  auto range = parents.equal_range(ino);
  for (auto p = range.first; p != range.second; ++p) {
    bump(p->second.first);
    auto d = dirs.find(p->second.first);
    if (d == dirs.end()) continue;
    auto it = d->second.names.find(p->second.second);
    if (it != d->second.names.end()) it->second.stale = true;
  }
}

void DirCache::link(uint64_t ino, uint64_t dir, const std::string& name) {
  if (ino != 0) parents.emplace(ino, std::make_pair(dir, name));
}

void DirCache::unlink(uint64_t ino, uint64_t dir, const std::string& name) {
  auto range = parents.equal_range(ino);
  for (auto p = range.first; p != range.second; ++p) {
    if (p->second.first == dir && p->second.second == name) {
      parents.erase(p);
      return;
    }
  }
}

void DirCache::drop(uint64_t dir) {
  auto d = dirs.find(dir);
  if (d == dirs.end()) return;
  for (auto& entry : d->second.names) unlink(entry.second.attr.ino, dir, entry.first);
  total -= d->second.names.size();
  dirs.erase(d);
}

void DirCache::evict() {
  while (total > maxEntries && !dirs.empty()) {
    auto oldest = dirs.begin();
    for (auto it = dirs.begin(); it != dirs.end(); ++it) {
      if (it->second.lastUse < oldest->second.lastUse) oldest = it;
    }
    drop(oldest->first);
  }
}

}  // namespace dfs
