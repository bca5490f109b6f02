// CacheWatch: which names and attributes each mount's kernel may be caching, and the
// invalidations the master sends (and waits for) when another mount changes them.
//
// A session that mounted with a CacheClient gets a Watcher: awaited (quorum mounts, whose
// promise is that another mount's change is out of their caches before it is
// acknowledged) or not (eventual mounts: told at once, never waited for, so a slow or
// stopped eventual mount never delays anyone). Every reply that hands the
// session an inode's attributes records the inode; every lookup in a directory records
// the directory (the kernel caches its names, found or not). When a session changes the
// namespace or a file, changed() tells every *other* watcher that recorded an affected
// inode or directory, and resolves when they all replied or the timeout passed. An
// inode's record is dropped once invalidated (the next fetch records it again); a
// directory stays recorded for the life of the session. A watcher holds about
// `maxRecords` inodes and directories: the next call of a session past it makes it
// forget them all and tell its mount so (invalidate with `forgotten`), which then drops
// every cache it keeps on the master's word; so a mount that walks millions of files
// costs bounded memory here. A watcher with kMaxUnanswered calls unanswered (a stopped
// mount nobody waits for: an eventual one, or a quorum one that let a call time out) is
// reset the same way instead of being sent more, so its backlog here is bounded too.
#pragma once

#include <kj/async.h>
#include <kj/timer.h>
#include <master.capnp.h>
#include <cstdint>
#include <map>
#include <unordered_set>
#include <vector>
#include "server/master/store/meta_store.h"

namespace dfs {

// Which attributes of an inode a call set explicitly (chmod, chown, utimes).
struct FieldsSet {
  uint64_t ino = 0;
  bool mode = false, uid = false, gid = false, atime = false, mtime = false;
  bool any() const { return mode || uid || gid || atime || mtime; }
};

// What one operation changed.
struct CacheChange {
  kj::Vector<uint64_t> attrs;  // attributes changed (mode, owner, times, nlink)
  kj::Vector<uint64_t> data;   // contents (and so size/mtime) changed
  kj::Vector<std::pair<uint64_t, Bytes>> entries;  // names added, removed or replaced
  // Of the inodes in attrs or data, the attributes set explicitly: the mounts told drop
  // their own older unsent changes of them even where the value did not change.
  kj::Vector<FieldsSet> fieldsSet;

  CacheChange& attr(uint64_t ino) { attrs.add(ino); return *this; }
  CacheChange& contents(uint64_t ino) { data.add(ino); return *this; }
  CacheChange& fields(const FieldsSet& set) {
    if (set.any()) fieldsSet.add(set);
    return *this;
  }
  CacheChange& entry(uint64_t parent, BytesPtr name);
  bool empty() const { return attrs.size() == 0 && data.size() == 0 && entries.size() == 0; }
};

class CacheWatch final : private kj::TaskSet::ErrorHandler {
public:
  struct Counters {
    uint64_t calls = 0;     // invalidate calls sent
    uint64_t items = 0;     // inodes and names in them
    uint64_t timeouts = 0;  // calls not answered within the timeout
    uint64_t failures = 0;  // calls that failed (client gone)
    uint64_t resets = 0;    // watchers that hit maxRecords and started afresh
  };

  class Watcher {
  public:
    // Made by CacheWatch::add.
    Watcher(CacheWatch& watch, uint64_t sessionId, wire::CacheClient::Client client,
            bool awaited)
        : watch(watch), sessionId(sessionId), client(kj::mv(client)), awaited(awaited) {}
    ~Watcher();
    KJ_DISALLOW_COPY(Watcher);
    void attrs(uint64_t ino) { inodes.insert(ino); }
    void names(uint64_t dir) { dirs.insert(dir); }
    // A call of this session starts: past maxRecords, forgets every record and tells the
    // mount, before the call records anything (its reply reaches the mount after the
    // `forgotten` call, both on one connection, in order). A call may go past the limit
    // by what it records itself (a readdir page at most).
    void startCall() {
      if (records() > watch.maxRecords) watch.tasks.add(reset());
    }
    size_t records() const { return inodes.size() + dirs.size(); }

  private:
    friend class CacheWatch;
    // Forgets every record and tells the mount (`forgotten`); resolves like send().
    kj::Promise<void> reset();
    CacheWatch& watch;
    uint64_t sessionId;
    wire::CacheClient::Client client;
    bool awaited;  // changed() waits for this watcher's replies
    std::unordered_set<uint64_t> inodes;
    std::unordered_set<uint64_t> dirs;
    uint32_t unanswered = 0;  // calls in flight; while one timed out, later ones don't wait
    bool lagging = false;
  };

  CacheWatch(kj::Timer& timer, kj::Duration timeout, size_t maxRecords = kDefaultMaxRecords)
      : timer(timer), timeout(timeout), maxRecords(kj::max(maxRecords, size_t(2))), tasks(*this) {}
  // Records per watcher by default: some 40 MiB of a master's memory per mount.
  static constexpr size_t kDefaultMaxRecords = 1'000'000;
  // Invalidate calls in flight to one watcher before it is reset rather than sent more.
  static constexpr uint32_t kMaxUnanswered = 1024;
  KJ_DISALLOW_COPY(CacheWatch);

  // Registers session `sessionId`; it is unregistered when the Watcher is destroyed.
  // changed() waits for its replies only if `awaited`.
  kj::Own<Watcher> add(uint64_t sessionId, wire::CacheClient::Client client,
                       bool awaited = true);

  // Sends `change` to every watcher other than `origin` that may cache part of it.
  // Resolves when every awaited one replied, failed, or `timeout` passed (a watcher that
  // let one call time out is not waited for again until it answers). Never fails.
  kj::Promise<void> changed(uint64_t origin, const CacheChange& change);

  const Counters& counters() const { return count; }
  size_t watchers() const { return all.size(); }
  // True if a watcher other than session `sessionId`'s records `ino` (names or
  // attributes: its mount may cache them).
  bool recordedByOthers(uint64_t sessionId, uint64_t ino) const;
  // The callback of session `sessionId`'s watcher (null: it has none).
  kj::Maybe<wire::CacheClient::Client> callbackOf(uint64_t sessionId);

private:
  // What one watcher is sent of a change.
  struct Message {
    kj::Vector<uint64_t> attrs, data;
    kj::Vector<const std::pair<uint64_t, Bytes>*> entries;
    kj::Vector<const FieldsSet*> fieldsSet;
    bool forgotten = false;
    size_t items() const { return attrs.size() + data.size() + entries.size(); }
  };
  kj::Promise<void> send(Watcher& w, Message message);
  void taskFailed(kj::Exception&& e) override;
  kj::Timer& timer;
  kj::Duration timeout;
  size_t maxRecords;
  std::map<uint64_t, Watcher*> all;
  Counters count;
  kj::TaskSet tasks;  // invalidate calls in flight (each ends when answered or failed)
};

}  // namespace dfs
