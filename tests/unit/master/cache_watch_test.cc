// CacheWatch through the Session RPCs: which mounts get which invalidations, and how long
// a change waits for them.
#include "tests/unit/master/service_fixture.h"
#include <cerrno>
#include <set>
#include <string>
#include <sys/stat.h>

namespace dfs {
namespace {

// A mount's CacheClient that records what it was told; `stall` leaves calls unanswered.
class RecordingClient final : public wire::CacheClient::Server {
public:
  struct Log : StallableAnswers {
    std::set<uint64_t> attrs, data;
    std::set<std::pair<uint64_t, std::string>> entries;
    int calls = 0;
    int forgotten = 0;  // calls saying the master forgot what the mount caches
    std::set<std::pair<uint64_t, std::string>> fieldsSet;  // (ino, "mode"/"uid"/...)
  };
  explicit RecordingClient(Log& log) : log(log) {}
  kj::Promise<void> invalidate(InvalidateContext context) override {
    auto p = context.getParams();
    log.calls++;
    if (p.getForgotten()) log.forgotten++;
    for (auto i : p.getAttrs()) log.attrs.insert(i);
    for (auto i : p.getData()) log.data.insert(i);
    for (auto f : p.getFieldsSet()) {
      if (f.getMode()) log.fieldsSet.insert({f.getIno(), "mode"});
      if (f.getUid()) log.fieldsSet.insert({f.getIno(), "uid"});
      if (f.getGid()) log.fieldsSet.insert({f.getIno(), "gid"});
      if (f.getAtime()) log.fieldsSet.insert({f.getIno(), "atime"});
      if (f.getMtime()) log.fieldsSet.insert({f.getIno(), "mtime"});
    }
    for (auto e : p.getEntries()) {
      log.entries.insert({e.getParent(), std::string(e.getName().asChars().begin(),
                                                     e.getName().size())});
    }
    return log.answer();
  }

private:
  Log& log;
};

class CacheWatchTest : public ServiceFixture {
protected:
  wire::Session::Client mountRecording(RecordingClient::Log& log) {
    return mountDefault(wire::CacheClient::Client(kj::heap<RecordingClient>(log)));
  }
  // An eventual mount of the default volume (the master tells it, waits for nobody).
  wire::Session::Client mountEventual(RecordingClient::Log& log) {
    auto req = master.mountRequest();
    req.setVolume("default");
    req.setChooseConsistency(true);
    req.setConsistency(wire::Consistency::EVENTUAL);
    req.setCacheClient(kj::heap<RecordingClient>(log));
    auto resp = req.send().wait(waitScope);
    EXPECT_TRUE(resp.getInvalidates());
    return resp.getSession();
  }
  uint64_t create(wire::Session::Client& s, kj::StringPtr name, uint32_t mode = S_IFREG | 0644) {
    auto req = s.mknodRequest();
    req.setParent(rootIno);
    req.setName(data(name));
    req.setMode(mode);
    req.setExclusive(true);
    auto resp = req.send().wait(waitScope);
    EXPECT_EQ(resp.getErr(), 0);
    return resp.getAttr().getIno();
  }
  int lookup(wire::Session::Client& s, kj::StringPtr name) {
    auto req = s.lookupRequest();
    req.setParent(rootIno);
    req.setName(data(name));
    return req.send().wait(waitScope).getErr();
  }
  void chmod(wire::Session::Client& s, uint64_t ino, uint32_t mode) {
    auto req = s.setAttrRequest();
    req.initReq().setIno(ino);
    req.getReq().setSetMode(true);
    req.getReq().setMode(mode);
    EXPECT_EQ(req.send().wait(waitScope).getErr(), 0);
  }
};

TEST_F(CacheWatchTest, OnlyOtherMountsThatCachedItAreTold) {
  RecordingClient::Log a, b, c;
  auto sa = mountRecording(a);
  auto sb = mountRecording(b);
  auto sc = mountRecording(c);
  EXPECT_EQ(core.cacheWatch.watchers(), 3u);

  EXPECT_EQ(lookup(sb, "f"), ENOENT);  // B caches the missing name; C caches nothing
  uint64_t f = create(sa, "f");
  EXPECT_EQ(a.calls, 0);                // never the mount that made the change
  EXPECT_EQ(c.calls, 0);
  EXPECT_EQ(b.calls, 1);
  EXPECT_TRUE(b.entries.count({rootIno, "f"}));

  EXPECT_EQ(lookup(sb, "f"), 0);        // now B holds f's attributes
  chmod(sa, f, S_IFREG | 0600);
  EXPECT_TRUE(b.attrs.count(f));
  int calls = b.calls;
  chmod(sa, f, S_IFREG | 0640);         // B has not fetched f again: nothing to drop
  EXPECT_EQ(b.calls, calls);

  EXPECT_EQ(lookup(sb, "f"), 0);
  auto rm = sa.unlinkRequest();
  rm.setParent(rootIno);
  rm.setName(data("f"));
  EXPECT_EQ(rm.send().wait(waitScope).getErr(), 0);
  EXPECT_EQ(b.calls, calls + 1);
  EXPECT_TRUE(b.attrs.count(f));
  EXPECT_EQ(c.calls, 0);
}

// The mounts told of a setattr learn which fields it set, also where a value did not
// change (their own older changes of them are dropped); a change that sets none says so.
TEST_F(CacheWatchTest, TheFieldsASetAttrSetAreSent) {
  RecordingClient::Log a, b;
  auto sa = mountRecording(a);
  auto sb = mountRecording(b);
  uint64_t f = create(sa, "f", S_IFREG | 0640);
  uint64_t g = create(sa, "g");
  EXPECT_EQ(lookup(sb, "f"), 0);
  EXPECT_EQ(lookup(sb, "g"), 0);
  chmod(sa, f, S_IFREG | 0640);  // the mode it had
  EXPECT_TRUE(b.attrs.count(f));
  EXPECT_EQ(b.fieldsSet, (std::set<std::pair<uint64_t, std::string>>{{f, "mode"}}));

  auto req = sa.setAttrRequest();
  req.initReq().setIno(g);
  req.getReq().setSetGid(true);
  req.getReq().setGid(5);
  req.getReq().setMtimeNow(true);
  EXPECT_EQ(req.send().wait(waitScope).getErr(), 0);
  EXPECT_EQ(b.fieldsSet, (std::set<std::pair<uint64_t, std::string>>{
                             {f, "mode"}, {g, "gid"}, {g, "mtime"}}));

  EXPECT_EQ(lookup(sb, "f"), 0);
  auto rm = sa.unlinkRequest();
  rm.setParent(rootIno);
  rm.setName(data("f"));
  EXPECT_EQ(rm.send().wait(waitScope).getErr(), 0);
  EXPECT_EQ(b.fieldsSet.size(), 3u);  // an unlink sets no attribute
  EXPECT_TRUE(a.fieldsSet.empty());
}

// A mount that made the master record more than its limit is forgotten and told so (it
// then drops its own caches); what it fetches afterwards is recorded afresh.
TEST_F(CacheWatchTest, AMountOverItsLimitIsForgottenAndTold) {
  RecordingClient::Log log;
  CacheWatch watch(timer, 1 * kj::SECONDS, 3);
  auto w = watch.add(7, wire::CacheClient::Client(kj::heap<RecordingClient>(log)));
  w->attrs(1);
  w->attrs(2);
  w->names(10);
  w->attrs(2);  // already recorded
  EXPECT_EQ(w->records(), 3u);
  w->startCall();
  EXPECT_EQ(w->records(), 3u);  // a call at the limit forgets nothing
  w->attrs(4);
  EXPECT_EQ(w->records(), 4u);  // past it during a call: kept for that call's reply
  EXPECT_EQ(watch.counters().resets, 0u);
  w->startCall();  // the next call starts afresh
  EXPECT_EQ(watch.counters().resets, 1u);
  EXPECT_EQ(w->records(), 0u);
  w->attrs(5);
  waitScope.poll();
  EXPECT_EQ(log.forgotten, 1);
  watch.changed(99, CacheChange().attr(1).attr(4).attr(5).entry(10, data("n")))
      .wait(waitScope);
  EXPECT_EQ(log.attrs, std::set<uint64_t>({5}));
  EXPECT_TRUE(log.entries.empty());
  EXPECT_EQ(log.calls, 2);
}

TEST_F(CacheWatchTest, StrongMountsAreNotWatched) {
  RecordingClient::Log log;
  auto req = master.mountRequest();
  req.setVolume("default");
  req.setChooseConsistency(true);
  req.setConsistency(wire::Consistency::STRONG);
  req.setCacheClient(kj::heap<RecordingClient>(log));
  EXPECT_FALSE(req.send().wait(waitScope).getInvalidates());
  EXPECT_EQ(core.cacheWatch.watchers(), 0u);
  RecordingClient::Log q;
  auto quorum = master.mountRequest();
  quorum.setVolume("default");
  quorum.setCacheClient(kj::heap<RecordingClient>(q));
  EXPECT_TRUE(quorum.send().wait(waitScope).getInvalidates());  // quorum by default
}

// An eventual mount is told about changes like a quorum one, but nobody waits for it: a
// stalled one delays no change, and is never counted as timed out.
TEST_F(CacheWatchTest, EventualMountsAreToldButNotWaitedFor) {
  RecordingClient::Log a, e;
  e.stall = true;
  auto sa = mountRecording(a);
  auto se = mountEventual(e);
  EXPECT_EQ(core.cacheWatch.watchers(), 2u);
  uint64_t f = create(sa, "f");
  EXPECT_EQ(lookup(se, "f"), 0);

  auto change = sa.setAttrRequest();
  change.initReq().setIno(f);
  change.getReq().setSetMode(true);
  change.getReq().setMode(S_IFREG | 0600);
  auto done = change.send();
  loop.run();
  EXPECT_TRUE(done.poll(waitScope));  // not waiting for the stalled eventual mount
  EXPECT_EQ(done.wait(waitScope).getErr(), 0);
  EXPECT_EQ(e.calls, 1);
  EXPECT_TRUE(e.attrs.count(f));
  EXPECT_EQ(core.cacheWatch.counters().timeouts, 0u);
  for (auto& p : e.stalled) p->fulfill();
  loop.run();
}

// A stalled mount nobody waits for is not sent an unbounded backlog: past kMaxUnanswered
// calls it is told once that everything is forgotten, and then nothing until it fetches.
TEST_F(CacheWatchTest, AStalledMountsBacklogIsBounded) {
  RecordingClient::Log a, e;
  e.stall = true;
  auto sa = mountRecording(a);
  auto se = mountEventual(e);
  EXPECT_EQ(lookup(se, "x"), ENOENT);  // the eventual mount caches names in the root
  for (uint32_t i = 0; i < CacheWatch::kMaxUnanswered + 10; i++) {
    create(sa, kj::str("n", i));
  }
  loop.run();
  EXPECT_EQ(e.calls, static_cast<int>(CacheWatch::kMaxUnanswered) + 1);
  EXPECT_EQ(e.forgotten, 1);
  EXPECT_EQ(core.cacheWatch.counters().resets, 1u);
  for (auto& p : e.stalled) p->fulfill();
  loop.run();
}

TEST_F(CacheWatchTest, AStalledMountDelaysOneChangeByTheTimeoutOnly) {
  RecordingClient::Log a, b;
  b.stall = true;
  auto sa = mountRecording(a);
  auto sb = mountRecording(b);
  uint64_t f = create(sa, "f");
  EXPECT_EQ(lookup(sb, "f"), 0);

  auto first = sa.setAttrRequest();
  first.initReq().setIno(f);
  first.getReq().setSetMode(true);
  first.getReq().setMode(S_IFREG | 0600);
  auto pending = first.send();
  loop.run();
  EXPECT_FALSE(pending.poll(waitScope));  // waiting for B
  timer.advanceTo(timer.now() + 1 * kj::SECONDS);
  EXPECT_EQ(pending.wait(waitScope).getErr(), 0);
  EXPECT_EQ(core.cacheWatch.counters().timeouts, 1u);

  EXPECT_EQ(lookup(sb, "f"), 0);
  auto second = sa.setAttrRequest();  // B is lagging: not waited for
  second.initReq().setIno(f);
  second.getReq().setSetMode(true);
  second.getReq().setMode(S_IFREG | 0644);
  auto done = second.send();
  loop.run();
  EXPECT_TRUE(done.poll(waitScope));
  EXPECT_EQ(b.calls, 2);

  for (auto& f : b.stalled) f->fulfill();  // B answers: waited for again
  loop.run();
  EXPECT_EQ(lookup(sb, "f"), 0);
  b.stall = false;
  chmod(sa, f, S_IFREG | 0600);
  EXPECT_EQ(b.calls, 3);
}

TEST_F(CacheWatchTest, AMountThatGoesAwayIsForgotten) {
  RecordingClient::Log a, b;
  auto sa = mountRecording(a);
  {
    auto sb = mountRecording(b);
    EXPECT_EQ(lookup(sb, "g"), ENOENT);
    EXPECT_EQ(core.cacheWatch.watchers(), 2u);
  }
  loop.run();
  EXPECT_EQ(core.cacheWatch.watchers(), 1u);
  create(sa, "g");
  EXPECT_EQ(b.calls, 0);
}

TEST_F(CacheWatchTest, FallocateAndCopyRangeDropOtherMountsPages) {
  auto node = registerNode("127.0.0.1:1");  // space for fallocate (else ENOSPC)
  RecordingClient::Log a, b;
  auto sa = mountRecording(a);
  auto sb = mountRecording(b);
  uint64_t f = create(sa, "f");
  uint64_t g = create(sa, "g");
  auto falloc = [&](uint64_t ino, uint32_t mode) {
    auto req = sa.fallocateRequest();
    req.setIno(ino);
    req.setMode(mode);
    req.setLength(100);
    EXPECT_EQ(req.send().wait(waitScope).getErr(), 0);
  };
  EXPECT_EQ(lookup(sb, "f"), 0);
  falloc(f, 0);  // grows the size: B drops f's pages and attributes
  EXPECT_TRUE(b.data.count(f));
  EXPECT_EQ(lookup(sb, "f"), 0);
  b.data.clear();
  falloc(f, 0x01);  // KEEP_SIZE: only ctime moved
  EXPECT_TRUE(b.attrs.count(f));
  EXPECT_FALSE(b.data.count(f));
  EXPECT_EQ(lookup(sb, "f"), 0);
  falloc(f, 0x03);  // PUNCH_HOLE | KEEP_SIZE
  EXPECT_TRUE(b.data.count(f));

  EXPECT_EQ(lookup(sb, "g"), 0);
  auto copy = sa.copyRangeRequest();
  copy.setInoIn(f);
  copy.setInoOut(g);
  copy.setLength(100);
  auto copied = copy.send().wait(waitScope);
  ASSERT_EQ(copied.getErr(), 0);
  EXPECT_EQ(copied.getCopied(), 100u);
  EXPECT_TRUE(b.data.count(g));
  EXPECT_EQ(a.calls, 0);
}

}  // namespace
}  // namespace dfs
