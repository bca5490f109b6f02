// HeldLocks: recording grants and releases, listing for reclaim, lost locks.
#include "client/locks/held_locks.h"

namespace dfs {

void HeldLocks::apply(uint64_t ino, LockClass cls, const FileLock& lock, uint64_t fh) {
  FileLock mine = lock;
  mine.owner.session = 0;
  if (mine.type == LockType::UNLOCK) {
    auto it = inodes.find(ino);
    if (it == inodes.end()) return;
    it->second.of(cls).apply(mine);
    dropIfEmpty(ino);
    return;
  }
  inodes[ino].of(cls).apply(mine);
  auto& handle = handles[fh];
  handle.ino = ino;
  handle.owners.insert(mine.owner.owner);
}

void HeldLocks::dropOwner(uint64_t ino, LockClass cls, uint64_t owner) {
  auto it = inodes.find(ino);
  if (it == inodes.end()) return;
  it->second.of(cls).removeIf([&](const FileLock& l) { return l.owner.owner == owner; });
  dropIfEmpty(ino);
}

void HeldLocks::dropInode(uint64_t ino, LockClass cls) {
  auto it = inodes.find(ino);
  if (it == inodes.end()) return;
  it->second.of(cls).removeIf([](const FileLock&) { return true; });
  dropIfEmpty(ino);
}

void HeldLocks::dropIfEmpty(uint64_t ino) {
  auto it = inodes.find(ino);
  if (it != inodes.end() && it->second.empty()) inodes.erase(it);
}

kj::Vector<HeldLocks::Held> HeldLocks::all() const {
  kj::Vector<Held> out;
  for (auto& entry : inodes) {
    for (auto& l : entry.second.posix.all()) out.add(Held{entry.first, LockClass::POSIX, l});
    for (auto& l : entry.second.flock.all()) out.add(Held{entry.first, LockClass::FLOCK, l});
  }
  return out;
}

size_t HeldLocks::count() const {
  size_t n = 0;
  for (auto& entry : inodes) n += entry.second.posix.all().size() + entry.second.flock.all().size();
  return n;
}

void HeldLocks::lost(const Held& held) {
  FileLock gone = held.lock;
  gone.type = LockType::UNLOCK;
  apply(held.ino, held.cls, gone, 0);
  for (auto& entry : handles) {
    auto& h = entry.second;
    if (h.ino == held.ino && h.owners.count(held.lock.owner.owner) != 0) h.locksLost = true;
  }
}

bool HeldLocks::handleLost(uint64_t fh) const {
  auto it = handles.find(fh);
  return it != handles.end() && it->second.locksLost;
}

}  // namespace dfs
