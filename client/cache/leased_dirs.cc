// LeasedDirs: lease flags and in-flight counts per directory.
#include "client/cache/leased_dirs.h"

namespace dfs {

void LeasedDirs::granted(uint64_t dir) {
  auto& d = dirs[dir];
  if (!d.leased) ++leased;
  d.leased = true;
}

bool LeasedDirs::usable(uint64_t dir) const {
  if (flying >= kMaxInFlight) return false;
  auto it = dirs.find(dir);
  return it != dirs.end() && it->second.leased && it->second.changing == 0;
}

bool LeasedDirs::holds(uint64_t dir) const {
  auto it = dirs.find(dir);
  return it != dirs.end() && it->second.leased;
}

LeasedDirs::InFlight LeasedDirs::started(uint64_t dir) {
  ++dirs[dir].inFlight;
  ++flying;
  return InFlight(*this, dir, &LeasedDirs::finished);
}

LeasedDirs::Changing LeasedDirs::changing(uint64_t dir) {
  ++dirs[dir].changing;
  return Changing(*this, dir, &LeasedDirs::changed);
}

kj::Promise<void> LeasedDirs::recalled(uint64_t dir) {
  ++recallCount;
  auto it = dirs.find(dir);
  if (it == dirs.end()) return kj::READY_NOW;
  auto& d = it->second;
  if (d.leased) --leased;
  d.leased = false;
  if (d.inFlight == 0) {
    tidy(dir);
    return kj::READY_NOW;
  }
  auto paf = kj::newPromiseAndFulfiller<void>();
  d.drained.add(kj::mv(paf.fulfiller));
  return kj::mv(paf.promise);
}

kj::Promise<void> LeasedDirs::idle(uint64_t dir) {
  auto it = dirs.find(dir);
  if (it == dirs.end() || it->second.inFlight == 0) return kj::READY_NOW;
  auto paf = kj::newPromiseAndFulfiller<void>();
  it->second.drained.add(kj::mv(paf.fulfiller));
  return kj::mv(paf.promise);
}

void LeasedDirs::lost(uint64_t dir) {
  auto it = dirs.find(dir);
  if (it == dirs.end() || !it->second.leased) return;
  it->second.leased = false;
  --leased;
  tidy(dir);
}

void LeasedDirs::clear() {
  for (auto it = dirs.begin(); it != dirs.end();) {
    it->second.leased = false;
    bool empty = it->second.inFlight == 0 && it->second.changing == 0;
    it = empty ? dirs.erase(it) : std::next(it);
  }
  leased = 0;
}

void LeasedDirs::finished(uint64_t dir) {
  --flying;
  auto it = dirs.find(dir);
  if (it == dirs.end()) return;
  auto& d = it->second;
  if (--d.inFlight == 0) {
    for (auto& f : d.drained) f->fulfill();
    d.drained.clear();
    tidy(dir);
  }
}

void LeasedDirs::changed(uint64_t dir) {
  auto it = dirs.find(dir);
  if (it == dirs.end()) return;
  --it->second.changing;
  tidy(dir);
}

void LeasedDirs::tidy(uint64_t dir) {
  auto it = dirs.find(dir);
  if (it == dirs.end()) return;
  auto& d = it->second;
  if (!d.leased && d.inFlight == 0 && d.changing == 0 && d.drained.empty()) dirs.erase(it);
}

}  // namespace dfs
