// CacheWatch: per-session records of cached inodes/directories and the invalidate calls.
#include "server/master/service/cache_watch.h"

#include <kj/debug.h>
#include <algorithm>

namespace dfs {

CacheChange& CacheChange::entry(uint64_t parent, BytesPtr name) {
  entries.add(parent, kj::heapArray<kj::byte>(name));
  return *this;
}

CacheWatch::Watcher::~Watcher() { watch.all.erase(sessionId); }

kj::Promise<void> CacheWatch::Watcher::reset() {
  inodes.clear();
  dirs.clear();
  watch.count.resets++;
  Message forgotten;
  forgotten.forgotten = true;
  return watch.send(*this, kj::mv(forgotten));
}

kj::Own<CacheWatch::Watcher> CacheWatch::add(uint64_t sessionId,
                                            wire::CacheClient::Client client, bool awaited) {
  auto w = kj::heap<Watcher>(*this, sessionId, kj::mv(client), awaited);
  all[sessionId] = w.get();
  return w;
}

kj::Promise<void> CacheWatch::changed(uint64_t origin, const CacheChange& change) {
  if (change.empty() || all.empty()) return kj::READY_NOW;
  kj::Vector<kj::Promise<void>> waits;
  for (auto& [id, w] : all) {
    if (id == origin) continue;
    Message m;
    for (uint64_t ino : change.attrs) {
      if (w->inodes.erase(ino) > 0) m.attrs.add(ino);
    }
    for (uint64_t ino : change.data) {
      if (w->inodes.erase(ino) > 0) m.data.add(ino);
    }
    for (auto& e : change.entries) {
      if (w->dirs.count(e.first) > 0) m.entries.add(&e);
    }
    if (m.items() == 0) continue;
    for (auto& f : change.fieldsSet) {
      auto told = [&](const kj::Vector<uint64_t>& inos) {
        return std::find(inos.begin(), inos.end(), f.ino) != inos.end();
      };
      if (told(m.attrs) || told(m.data)) m.fieldsSet.add(&f);
    }
    if (w->unanswered >= kMaxUnanswered) {
      // A mount this far behind is told once that everything is forgotten (it then
      // drops its caches; a quorum one is waited for like any invalidation) and is not
      // sent more until it fetches again.
      waits.add(w->reset());
      continue;
    }
    waits.add(send(*w, kj::mv(m)));
  }
  if (waits.size() == 0) return kj::READY_NOW;
  return kj::joinPromises(waits.releaseAsArray());
}

kj::Promise<void> CacheWatch::send(Watcher& w, Message m) {
  auto req = w.client.invalidateRequest();
  req.setForgotten(m.forgotten);
  auto a = req.initAttrs(m.attrs.size());
  for (size_t i = 0; i < m.attrs.size(); ++i) a.set(i, m.attrs[i]);
  auto d = req.initData(m.data.size());
  for (size_t i = 0; i < m.data.size(); ++i) d.set(i, m.data[i]);
  auto list = req.initEntries(m.entries.size());
  for (size_t i = 0; i < m.entries.size(); ++i) {
    list[i].setParent(m.entries[i]->first);
    list[i].setName(m.entries[i]->second);
  }
  auto fields = req.initFieldsSet(m.fieldsSet.size());
  for (size_t i = 0; i < m.fieldsSet.size(); ++i) {
    const FieldsSet& f = *m.fieldsSet[i];
    fields[i].setIno(f.ino);
    fields[i].setMode(f.mode);
    fields[i].setUid(f.uid);
    fields[i].setGid(f.gid);
    fields[i].setAtime(f.atime);
    fields[i].setMtime(f.mtime);
  }
  count.calls++;
  count.items += m.items();
  bool wait = w.awaited && !w.lagging;
  w.unanswered++;
  uint64_t sessionId = w.sessionId;
  // The watcher may be gone when the reply comes (its session ended): look it up again.
  auto answered = [this, sessionId]() {
    auto it = all.find(sessionId);
    if (it == all.end()) return;
    if (--it->second->unanswered == 0) it->second->lagging = false;
  };
  auto reply = req.send().ignoreResult().then(
      [answered]() { answered(); },
      [this, answered](kj::Exception&&) {
        count.failures++;
        answered();
      });
  if (!wait) {
    tasks.add(kj::mv(reply));  // nobody waits; the reply still clears `lagging`
    return kj::READY_NOW;
  }
  auto forked = reply.fork();
  tasks.add(forked.addBranch());  // outlives a timeout, for the same reason
  return forked.addBranch().exclusiveJoin(timer.afterDelay(timeout).then([this, sessionId]() {
    count.timeouts++;
    auto it = all.find(sessionId);
    if (it != all.end()) it->second->lagging = true;
  }));
}

bool CacheWatch::recordedByOthers(uint64_t sessionId, uint64_t ino) const {
  for (auto& [id, w] : all) {
    if (id != sessionId && (w->dirs.count(ino) > 0 || w->inodes.count(ino) > 0)) return true;
  }
  return false;
}

kj::Maybe<wire::CacheClient::Client> CacheWatch::callbackOf(uint64_t sessionId) {
  auto it = all.find(sessionId);
  if (it == all.end()) return nullptr;
  return it->second->client;
}

void CacheWatch::taskFailed(kj::Exception&& e) {
  KJ_LOG(WARNING, "cache invalidation task failed", e);
}

}  // namespace dfs
