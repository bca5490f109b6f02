// LeasedDirs: the directories whose lease this mount holds (the master grants it when no
// other mount may cache the directory; see server/master/service/dir_leases.h), and the
// asynchronous operations in flight in each.
//
// In a leased directory the mount creates and unlinks without waiting for the master: it
// answers the caller from its own complete listing (DirCache) and sends the call, which
// the master applies in the order sent. That is only sound while no synchronous change of
// the same directory from this mount is in flight (its result is not in the listing
// yet), so usable() says no then; and at most kMaxInFlight operations wait for replies in
// all. A recall (the master's, before another mount uses the directory) ends the lease
// here and resolves once every operation sent in the directory was answered.
#pragma once

#include <kj/async.h>
#include <kj/vector.h>
#include <cstdint>
#include <unordered_map>

namespace dfs {

class LeasedDirs {
public:
  LeasedDirs() = default;
  KJ_DISALLOW_COPY(LeasedDirs);

  // Counts something in one directory for as long as it lives: an asynchronous
  // operation in flight (started()) or a synchronous change in flight (changing()).
  class Token {
  public:
    Token(LeasedDirs& dirs, uint64_t dir, void (LeasedDirs::*end)(uint64_t))
        : dirs(&dirs), dir(dir), end(end) {}
    Token(Token&& other) : dirs(other.dirs), dir(other.dir), end(other.end) {
      other.dirs = nullptr;
    }
    KJ_DISALLOW_COPY(Token);
    ~Token() { if (dirs != nullptr) (dirs->*end)(dir); }
  private:
    LeasedDirs* dirs;
    uint64_t dir;
    void (LeasedDirs::*end)(uint64_t);
  };
  using InFlight = Token;
  using Changing = Token;

  void granted(uint64_t dir);
  // An operation in `dir` may go asynchronously now.
  bool usable(uint64_t dir) const;
  // This mount holds the lease on `dir` (operations in flight or not).
  bool holds(uint64_t dir) const;
  InFlight started(uint64_t dir);
  Changing changing(uint64_t dir);
  // The lease on `dir` ends here; resolves when the operations in flight in it were
  // answered.
  kj::Promise<void> recalled(uint64_t dir);
  // Recalls so far: a grant asked for before a recall that came first is stale (the
  // master dropped it when the recall was answered), so granted() is called only if this
  // did not change since the call was sent.
  uint64_t recalls() const { return recallCount; }
  // Resolves when no operation is in flight in `dir` (fsync of it or of a file made in
  // it); the lease stays.
  kj::Promise<void> idle(uint64_t dir);
  // The lease on `dir` ends here (the mount's view of it went wrong); nothing waits.
  void lost(uint64_t dir);
  // Every lease ends (the session was lost, or the master forgot what this mount caches).
  void clear();

  size_t held() const { return leased; }
  size_t inFlight() const { return flying; }
  static constexpr uint32_t kMaxInFlight = 256;

private:
  struct Dir {
    bool leased = false;
    uint32_t inFlight = 0;
    uint32_t changing = 0;
    kj::Vector<kj::Own<kj::PromiseFulfiller<void>>> drained;  // recalls and idle() waiting
  };
  void finished(uint64_t dir);
  void changed(uint64_t dir);
  void tidy(uint64_t dir);  // drops the entry once it says nothing
  std::unordered_map<uint64_t, Dir> dirs;
  size_t leased = 0;
  size_t flying = 0;
  uint64_t recallCount = 0;
};

}  // namespace dfs
