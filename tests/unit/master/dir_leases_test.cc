// Directory leases through the Session RPCs: grants, asynchronous creates and unlinks in
// the order sent, the checks that fence them, and recalls (answered or revoked).
#include "tests/unit/master/service_fixture.h"
#include <cerrno>
#include <sys/stat.h>

namespace dfs {
namespace {

// A mount's CacheClient that counts recalls; `stall` leaves them unanswered.
class LeaseHolder final : public wire::CacheClient::Server {
public:
  struct Log : StallableAnswers {
    int recalls = 0;
  };
  explicit LeaseHolder(Log& log) : log(log) {}
  kj::Promise<void> invalidate(InvalidateContext) override { return kj::READY_NOW; }
  kj::Promise<void> recallLease(RecallLeaseContext context) override {
    log.recalls += context.getParams().getDirs().size();
    return log.answer();
  }

private:
  Log& log;
};

class DirLeasesTest : public ServiceFixture {
protected:
  wire::Session::Client mountHolder(LeaseHolder::Log& log) {
    return mountDefault(wire::CacheClient::Client(kj::heap<LeaseHolder>(log)));
  }
  // mkdir NAME in the root asking for its lease; returns (ino, leased).
  std::pair<uint64_t, bool> mkdirLeased(wire::Session::Client& s, kj::StringPtr name) {
    auto req = s.mkdirRequest();
    req.setParent(rootIno);
    req.setName(data(name));
    req.setMode(S_IFDIR | 0755);
    req.setWantLease(true);
    auto resp = req.send().wait(waitScope);
    EXPECT_EQ(resp.getErr(), 0);
    return {resp.getAttr().getIno(), resp.getLeased()};
  }
  uint64_t reserve(wire::Session::Client& s, uint32_t count) {
    auto req = s.reserveInodesRequest();
    req.setCount(count);
    auto resp = req.send().wait(waitScope);
    EXPECT_EQ(resp.getCount(), count);
    return resp.getFirst();
  }
  capnp::RemotePromise<wire::Session::MknodResults> asyncCreate(wire::Session::Client& s,
                                                                uint64_t dir,
                                                                kj::StringPtr name,
                                                                uint64_t ino) {
    auto req = s.mknodRequest();
    req.setParent(dir);
    req.setName(data(name));
    req.setMode(S_IFREG | 0644);
    req.setExclusive(true);
    req.setIno(ino);
    req.setTimeNs(1);
    return req.send();
  }
  capnp::RemotePromise<wire::Session::UnlinkResults> asyncUnlink(wire::Session::Client& s,
                                                                 uint64_t dir,
                                                                 kj::StringPtr name) {
    auto req = s.unlinkRequest();
    req.setParent(dir);
    req.setName(data(name));
    req.setAsync(true);
    return req.send();
  }
  int lookup(wire::Session::Client& s, uint64_t dir, kj::StringPtr name, uint64_t* ino = nullptr) {
    auto req = s.lookupRequest();
    req.setParent(dir);
    req.setName(data(name));
    auto resp = req.send().wait(waitScope);
    if (ino != nullptr && resp.getErr() == 0) *ino = resp.getAttr().getIno();
    return resp.getErr();
  }
  // Runs what is ready and lets the asynchronous calls' batched replies go.
  void settle() {
    loop.run();
    timer.advanceTo(timer.now() + 10 * kj::MILLISECONDS);
    loop.run();
  }
};

TEST_F(DirLeasesTest, AsyncCallsApplyInTheOrderSent) {
  LeaseHolder::Log log;
  auto s = mountHolder(log);
  auto [dir, leased] = mkdirLeased(s, "d");
  ASSERT_TRUE(leased);
  EXPECT_EQ(core.leases.held(), 1u);
  uint64_t first = reserve(s, 16);
  // Sent back to back without waiting, as a mount does: create, unlink, create again.
  auto c1 = asyncCreate(s, dir, "x", first);
  auto u1 = asyncUnlink(s, dir, "x");
  auto c2 = asyncCreate(s, dir, "x", first + 1);
  settle();
  EXPECT_EQ(c1.wait(waitScope).getErr(), 0);
  EXPECT_EQ(u1.wait(waitScope).getErr(), 0);
  EXPECT_EQ(c2.wait(waitScope).getErr(), 0);
  uint64_t ino = 0;
  ASSERT_EQ(lookup(s, dir, "x", &ino), 0);
  EXPECT_EQ(ino, first + 1);  // the number the mount chose
  EXPECT_EQ(log.recalls, 0);  // nobody else looked
}

TEST_F(DirLeasesTest, AsyncCallsNeedTheLeaseAndAReservedNumber) {
  LeaseHolder::Log log;
  auto s = mountHolder(log);
  auto req = s.mkdirRequest();  // no lease asked for
  req.setParent(rootIno);
  req.setName(data("plain"));
  req.setMode(S_IFDIR | 0755);
  uint64_t plain = req.send().wait(waitScope).getAttr().getIno();
  uint64_t first = reserve(s, 4);
  auto noLease = asyncCreate(s, plain, "a", first);
  auto noLeaseUnlink = asyncUnlink(s, plain, "a");
  settle();
  EXPECT_EQ(noLease.wait(waitScope).getErr(), ESTALE);
  EXPECT_EQ(noLeaseUnlink.wait(waitScope).getErr(), ESTALE);

  auto [dir, leased] = mkdirLeased(s, "d");
  ASSERT_TRUE(leased);
  auto notReserved = asyncCreate(s, dir, "b", first + 100);
  auto ok = asyncCreate(s, dir, "c", first + 2);
  auto reused = asyncCreate(s, dir, "e", first + 2);
  auto below = asyncCreate(s, dir, "f", first + 1);  // numbers go up
  settle();
  EXPECT_EQ(notReserved.wait(waitScope).getErr(), EINVAL);
  EXPECT_EQ(ok.wait(waitScope).getErr(), 0);
  EXPECT_EQ(reused.wait(waitScope).getErr(), EINVAL);
  EXPECT_EQ(below.wait(waitScope).getErr(), EINVAL);
  EXPECT_EQ(lookup(s, dir, "b"), ENOENT);
}

TEST_F(DirLeasesTest, AnotherMountsCallRecallsTheLeaseFirst) {
  LeaseHolder::Log a, b;
  auto sa = mountHolder(a);
  auto sb = mountHolder(b);
  auto [dir, leased] = mkdirLeased(sa, "d");
  ASSERT_TRUE(leased);
  uint64_t first = reserve(sa, 4);
  auto c = asyncCreate(sa, dir, "new", first);
  // B looks for the name: A is recalled first, so B sees A's create.
  EXPECT_EQ(lookup(sb, dir, "new"), 0);
  EXPECT_EQ(a.recalls, 1);
  EXPECT_EQ(core.leases.held(), 0u);
  EXPECT_EQ(core.leases.counters().recalled, 1u);
  settle();
  EXPECT_EQ(c.wait(waitScope).getErr(), 0);
  // The lease is gone: A's asynchronous calls there fail; asked again, it is not granted
  // (B may cache the directory now).
  auto late = asyncCreate(sa, dir, "late", first + 1);
  settle();
  EXPECT_EQ(late.wait(waitScope).getErr(), ESTALE);
  auto again = sa.unlinkRequest();
  again.setParent(dir);
  again.setName(data("new"));
  again.setWantLease(true);
  auto r = again.send().wait(waitScope);
  EXPECT_EQ(r.getErr(), 0);
  EXPECT_FALSE(r.getLeased());
}

TEST_F(DirLeasesTest, AHolderThatDoesNotAnswerIsRevoked) {
  LeaseHolder::Log a, b;
  a.stall = true;
  auto sa = mountHolder(a);
  auto sb = mountHolder(b);
  auto [dir, leased] = mkdirLeased(sa, "d");
  ASSERT_TRUE(leased);
  auto readdir = sb.readdirRequest();
  readdir.setIno(dir);
  readdir.setMaxEntries(10);
  auto listing = readdir.send();
  loop.run();
  EXPECT_FALSE(listing.poll(waitScope));  // waiting for A
  // Only that call waits: B's others go on (no two mounts can wait on each other).
  auto later = sb.getAttrRequest();
  later.setIno(rootIno);
  auto attr = later.send();
  loop.run();
  EXPECT_TRUE(attr.poll(waitScope));
  EXPECT_EQ(attr.wait(waitScope).getErr(), 0);
  timer.advanceTo(timer.now() + core.config.leaseRecallTimeout);
  EXPECT_EQ(listing.wait(waitScope).getErr(), 0);
  EXPECT_EQ(core.leases.counters().revoked, 1u);
  EXPECT_EQ(core.leases.held(), 0u);
  uint64_t first = reserve(sa, 1);
  auto fenced = asyncCreate(sa, dir, "x", first);
  settle();
  EXPECT_EQ(fenced.wait(waitScope).getErr(), ESTALE);
}

// Two mounts each holding a directory the other looks into: both recalls are answered
// (the holders' own calls never queue behind their waiting ones).
TEST_F(DirLeasesTest, CrossedRecallsDoNotWaitOnEachOther) {
  LeaseHolder::Log a, b;
  auto sa = mountHolder(a);
  auto sb = mountHolder(b);
  auto [da, la] = mkdirLeased(sa, "da");
  auto [db, lb] = mkdirLeased(sb, "db");
  ASSERT_TRUE(la && lb);
  uint64_t fa = reserve(sa, 2), fb = reserve(sb, 2);
  auto lookA = sa.lookupRequest();  // A looks into B's directory...
  lookA.setParent(db);
  lookA.setName(data("x"));
  auto pa = lookA.send();
  auto ca = asyncCreate(sa, da, "a1", fa);  // ...and creates in its own meanwhile
  auto lookB = sb.lookupRequest();
  lookB.setParent(da);
  lookB.setName(data("a1"));
  auto pb = lookB.send();
  auto cb = asyncCreate(sb, db, "b1", fb);
  settle();
  EXPECT_EQ(ca.wait(waitScope).getErr(), 0);
  EXPECT_EQ(cb.wait(waitScope).getErr(), 0);
  EXPECT_EQ(pa.wait(waitScope).getErr(), ENOENT);
  EXPECT_EQ(pb.wait(waitScope).getErr(), 0);  // A's create applied before B's lookup
  EXPECT_EQ(core.leases.counters().revoked, 0u);
}

// A directory removed (rmdir, or renamed over) takes its lease with it.
TEST_F(DirLeasesTest, ARemovedDirectorysLeaseGoes) {
  LeaseHolder::Log a;
  auto sa = mountHolder(a);
  auto [dir, leased] = mkdirLeased(sa, "gone");
  ASSERT_TRUE(leased);
  auto rm = sa.rmdirRequest();
  rm.setParent(rootIno);
  rm.setName(data("gone"));
  EXPECT_EQ(rm.send().wait(waitScope).getErr(), 0);
  EXPECT_EQ(core.leases.held(), 0u);
}

TEST_F(DirLeasesTest, NoLeaseWhereAnotherMountCachesTheDirectory) {
  LeaseHolder::Log a, b;
  auto sa = mountHolder(a);
  auto sb = mountHolder(b);
  auto req = sa.mkdirRequest();
  req.setParent(rootIno);
  req.setName(data("shared"));
  req.setMode(S_IFDIR | 0755);
  uint64_t dir = req.send().wait(waitScope).getAttr().getIno();
  EXPECT_EQ(lookup(sb, dir, "nothing"), ENOENT);  // B records the directory's names
  auto create = sa.mknodRequest();
  create.setParent(dir);
  create.setName(data("f"));
  create.setMode(S_IFREG | 0644);
  create.setExclusive(true);
  create.setWantLease(true);
  auto r = create.send().wait(waitScope);
  EXPECT_EQ(r.getErr(), 0);
  EXPECT_FALSE(r.getLeased());
  // A session that ends gives its leases back.
  auto [mine, leased] = mkdirLeased(sa, "mine");
  EXPECT_TRUE(leased);
  EXPECT_EQ(core.leases.held(), 1u);
  sa = nullptr;
  loop.run();
  EXPECT_EQ(core.leases.held(), 0u);
}

}  // namespace
}  // namespace dfs
