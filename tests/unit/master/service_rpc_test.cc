// In-process RPC test of the master's services: a full client cycle and malformed input.
#include "tests/unit/master/service_fixture.h"
#include "common/base/limits.h"
#include "server/master/store/block_record.h"
#include <capnp/rpc-twoparty.h>
#include <gtest/gtest.h>
#include <kj/async-io.h>
#include <kj/timer.h>
#include <cerrno>
#include <set>
#include <string>
#include <sys/stat.h>

namespace dfs {
namespace {

class ServiceRpcTest : public ServiceFixture {
protected:
  // Creates regular file `name` in the root (O_EXCL) and returns its attributes.
  capnp::Response<wire::Session::MknodResults> createFile(wire::Session::Client& session,
                                                          kj::StringPtr name,
                                                          uint32_t mode = 0644) {
    auto mk = session.mknodRequest();
    mk.setParent(rootIno);
    mk.setName(data(name));
    mk.setMode(S_IFREG | mode);
    mk.setExclusive(true);
    auto created = mk.send().wait(waitScope);
    EXPECT_EQ(created.getErr(), 0);
    return created;
  }
  // The whole extent map of `ino`.
  capnp::Response<wire::Session::GetExtentsResults> allExtents(wire::Session::Client& session,
                                                              uint64_t ino) {
    auto get = session.getExtentsRequest();
    get.setIno(ino);
    get.setLength(UINT64_MAX);
    return get.send().wait(waitScope);
  }
};

TEST_F(ServiceRpcTest, MountUnknownVolume) {
  auto req = master.mountRequest();
  req.setVolume("nope");
  EXPECT_EQ(req.send().wait(waitScope).getErr(), ENOENT);
  auto bad = master.mountRequest();
  bad.setVolume("../etc");
  EXPECT_EQ(bad.send().wait(waitScope).getErr(), ENOENT);
}

TEST_F(ServiceRpcTest, WriteCycleAndStatus) {
  auto session = mountDefault();
  {
    auto req = session.allocateBlocksRequest();
    req.setCount(1);
    EXPECT_EQ(req.send().wait(waitScope).getErr(), ENOSPC);  // no chunk servers yet
  }
  auto n1 = registerNode("127.0.0.1:9501");
  auto n2 = registerNode("127.0.0.1:9502");
  auto n3 = registerNode("127.0.0.1:9503");

  uint64_t ino = createFile(session, "file").getAttr().getIno();

  auto alloc = session.allocateBlocksRequest();
  alloc.setCount(6);
  alloc.initExcludeNodes(1).set(0, 3);
  auto blocks = alloc.send().wait(waitScope);
  ASSERT_EQ(blocks.getErr(), 0);
  ASSERT_EQ(blocks.getBlocks().size(), 6u);
  std::set<std::pair<uint64_t, uint64_t>> ids;
  for (auto p : blocks.getBlocks()) {
    ids.insert({p.getBlock().getHi(), p.getBlock().getLo()});
    ASSERT_EQ(p.getReplicas().size(), 2u);
    EXPECT_NE(p.getReplicas()[0].getNodeId(), p.getReplicas()[1].getNodeId());
    for (auto r : p.getReplicas()) {
      EXPECT_NE(r.getNodeId(), 3u);
      EXPECT_TRUE(r.getAddress().startsWith("127.0.0.1:95"));
    }
  }
  EXPECT_EQ(ids.size(), 6u);

  auto placement = blocks.getBlocks()[0];
  auto commit = session.commitRequest();
  commit.setIno(ino);
  auto e = commit.initExtents(1)[0];
  e.setFileOffset(0);
  e.setLength(1000);
  e.setBlock(placement.getBlock());
  e.setBlockSize(1000);
  auto nodes = e.initNodes(2);
  nodes.set(0, placement.getReplicas()[0].getNodeId());
  nodes.set(1, placement.getReplicas()[1].getNodeId());
  auto committed = commit.send().wait(waitScope);
  ASSERT_EQ(committed.getErr(), 0);
  EXPECT_EQ(committed.getAttr().getSize(), 1000u);

  auto extents = allExtents(session, ino);
  ASSERT_EQ(extents.getErr(), 0);
  ASSERT_EQ(extents.getExtents().size(), 1u);
  auto ext = extents.getExtents()[0];
  EXPECT_EQ(ext.getLength(), 1000u);
  ASSERT_EQ(ext.getReplicas().size(), 2u);
  EXPECT_EQ(ext.getReplicas()[0].getNodeId(), placement.getReplicas()[0].getNodeId());

  auto status = master.adminRequest().send().getAdmin().statusRequest().send().wait(waitScope);
  EXPECT_EQ(status.getNodes().size(), 3u);
  EXPECT_EQ(status.getNodes()[0].getHealth(), wire::NodeHealth::HEALTHY);
  ASSERT_EQ(status.getVolumes().size(), 1u);
  EXPECT_EQ(status.getVolumes()[0].getUsedBytes(), 1000u);
  EXPECT_EQ(status.getVolumes()[0].getInodes(), 2u);
  EXPECT_EQ(status.getMounts().size(), 1u);

  // Unlink, let the grace period pass, run GC: the heartbeat hands out the deletions.
  auto rm = session.unlinkRequest();
  rm.setParent(rootIno);
  rm.setName(data("file"));
  ASSERT_EQ(rm.send().wait(waitScope).getErr(), 0);
  clock.advance(core.config.gcGraceNs);
  EXPECT_EQ(core.gc.runPass(), 1u);
  auto holder = placement.getReplicas()[0].getNodeId();
  auto hbNode = holder == 1 ? n1 : holder == 2 ? n2 : n3;
  auto hb = hbNode.heartbeatRequest();
  hb.setCapacityBytes(1ull << 40);
  auto hbReply = hb.send().wait(waitScope);  // the readers below point into it
  auto deletes = hbReply.getDeleteBlocks();
  ASSERT_EQ(deletes.size(), 1u);
  EXPECT_EQ(deletes[0].getLo(), placement.getBlock().getLo());

  // Nodes go suspect, then dead, without heartbeats; dead nodes get no new blocks.
  timer.advanceTo(timer.now() + 4 * kj::SECONDS);
  status = master.adminRequest().send().getAdmin().statusRequest().send().wait(waitScope);
  EXPECT_EQ(status.getNodes()[0].getHealth(), wire::NodeHealth::SUSPECT);
  timer.advanceTo(timer.now() + 10 * kj::SECONDS);
  auto alloc2 = session.allocateBlocksRequest();
  alloc2.setCount(1);
  EXPECT_EQ(alloc2.send().wait(waitScope).getErr(), ENOSPC);

  // Dropping the session removes the mount.
  session = nullptr;
  loop.run();
  status = master.adminRequest().send().getAdmin().statusRequest().send().wait(waitScope);
  EXPECT_EQ(status.getMounts().size(), 0u);
}

// A mount writing a file sends the chmod/chown/utimes it made meanwhile with the commit:
// applied after the data (an explicit mtime wins over the write time), ctime the time of
// the change (bounded by the master's clock, never moving back); noXattrs follows xattrs.
TEST_F(ServiceRpcTest, CommitCarriesAttributeChanges) {
  auto session = mountDefault();
  auto node = registerNode("127.0.0.1:9501");
  auto created = createFile(session, "f", 0600);
  uint64_t ino = created.getAttr().getIno();
  EXPECT_TRUE(created.getAttr().getNoXattrs());
  int64_t made = created.getAttr().getCtimeNs();

  clock.advance(1'000'000'000);
  auto alloc = session.allocateBlocksRequest();
  alloc.setCount(1);
  auto blocks = alloc.send().wait(waitScope);
  ASSERT_EQ(blocks.getErr(), 0);
  auto commit = session.commitRequest();
  commit.setIno(ino);
  auto e = commit.initExtents(1)[0];
  e.setLength(100);
  e.setBlock(blocks.getBlocks()[0].getBlock());
  e.setBlockSize(100);
  e.initNodes(1).set(0, blocks.getBlocks()[0].getReplicas()[0].getNodeId());
  commit.setWriteTimeNs(made + 100);
  auto attrs = commit.initAttrs();
  attrs.setIno(12345);  // ignored: the commit's inode
  attrs.setSetMode(true);
  attrs.setMode(S_IFDIR | 04644);  // type bits are not the caller's to change
  attrs.setSetUid(true);
  attrs.setUid(77);
  attrs.setSetMtime(true);
  attrs.setMtimeNs(5'000'000'000);
  attrs.setSetSize(true);  // ignored: sizes go with data
  attrs.setSize(1);
  attrs.setCtimeNs(made + 200);
  auto committed = commit.send().wait(waitScope);
  ASSERT_EQ(committed.getErr(), 0);
  auto a = committed.getAttr();
  EXPECT_EQ(a.getIno(), ino);
  EXPECT_EQ(a.getMode(), uint32_t(S_IFREG | 04644));
  EXPECT_EQ(a.getUid(), 77u);
  EXPECT_EQ(a.getSize(), 100u);
  EXPECT_EQ(a.getMtimeNs(), 5'000'000'000);
  EXPECT_EQ(a.getCtimeNs(), made + 200);

  // A change time in the future is the master's now; one before the ctime changes nothing.
  auto later = session.setAttrRequest();
  later.initReq().setIno(ino);
  later.getReq().setSetGid(true);
  later.getReq().setGid(88);
  later.getReq().setCtimeNs(clock.nowNs() + 1'000'000'000);
  auto r1 = later.send().wait(waitScope);
  ASSERT_EQ(r1.getErr(), 0);
  EXPECT_EQ(r1.getAttr().getCtimeNs(), clock.nowNs());
  int64_t ctime = r1.getAttr().getCtimeNs();
  clock.advance(1'000'000'000);
  auto earlier = session.setAttrRequest();
  earlier.initReq().setIno(ino);
  earlier.getReq().setCtimeNs(made);
  EXPECT_EQ(earlier.send().wait(waitScope).getAttr().getCtimeNs(), ctime);

  auto set = session.setXattrRequest();
  set.setIno(ino);
  set.setName(data("user.k"));
  set.setValue(data("v"));
  auto withXattr = set.send().wait(waitScope);
  ASSERT_EQ(withXattr.getErr(), 0);
  EXPECT_FALSE(withXattr.getAttr().getNoXattrs());
  auto get = session.getAttrRequest();
  get.setIno(ino);
  EXPECT_FALSE(get.send().wait(waitScope).getAttr().getNoXattrs());
}

// Copies an upload left late that landed after the commit are recorded on their block;
// unknown nodes are ignored, blocks not committed (yet) are listed back, and a deletion
// queued for the copy is dropped.
TEST_F(ServiceRpcTest, LateCopiesAreRecorded) {
  auto session = mountDefault();
  auto n1 = registerNode("127.0.0.1:9501");
  auto n2 = registerNode("127.0.0.1:9502");
  kj::Vector<uint64_t> ids;
  for (auto& entry : core.nodes.all()) ids.add(entry.first);
  ASSERT_EQ(ids.size(), 2u);
  uint64_t ino = createFile(session, "f").getAttr().getIno();
  auto alloc = session.allocateBlocksRequest();
  alloc.setCount(1);
  auto blocks = alloc.send().wait(waitScope);
  ASSERT_EQ(blocks.getErr(), 0);
  auto block = BlockId::fromWire(blocks.getBlocks()[0].getBlock());
  auto commit = session.commitRequest();
  commit.setIno(ino);
  auto e = commit.initExtents(1)[0];
  e.setLength(100);
  block.toWire(e.initBlock());
  e.setBlockSize(100);
  e.initNodes(1).set(0, ids[0]);
  ASSERT_EQ(commit.send().wait(waitScope).getErr(), 0);
  core.nodes.queueDelete(ids[1], block);  // e.g. a block report saw it before the commit

  auto add = session.addCopiesRequest();
  auto list = add.initCopies(3);
  block.toWire(list[0].initBlock());
  list[0].setNode(ids[1]);
  BlockId::random().toWire(list[1].initBlock());  // never committed
  list[1].setNode(ids[1]);
  block.toWire(list[2].initBlock());
  list[2].setNode(999);  // no such node
  auto added = add.send().wait(waitScope);
  ASSERT_EQ(added.getUnknown().size(), 1u);  // to try again after its commit
  EXPECT_EQ(added.getUnknown()[0], 1u);
  auto rec = KJ_ASSERT_NONNULL(loadBlock(*store, block));
  EXPECT_EQ(rec.nodes.size(), 2u);
  EXPECT_TRUE(rec.hasNode(ids[0]));
  EXPECT_TRUE(rec.hasNode(ids[1]));
  EXPECT_EQ(core.nodes.takeDeletes(ids[1], 100).size(), 0u);
}

TEST_F(ServiceRpcTest, FallocateAndCopyRange) {
  auto session = mountDefault();
  auto node = registerNode("127.0.0.1:9501");
  uint64_t inos[2];
  for (int i = 0; i < 2; ++i) {
    inos[i] = createFile(session, i == 0 ? "a" : "b").getAttr().getIno();
  }
  auto alloc = session.allocateBlocksRequest();
  alloc.setCount(1);
  auto blocks = alloc.send().wait(waitScope);
  ASSERT_EQ(blocks.getErr(), 0);
  auto commit = session.commitRequest();
  commit.setIno(inos[0]);
  auto e = commit.initExtents(1)[0];
  e.setLength(1000);
  e.setBlock(blocks.getBlocks()[0].getBlock());
  e.setBlockSize(1000);
  e.initNodes(1).set(0, blocks.getBlocks()[0].getReplicas()[0].getNodeId());
  auto committed = commit.send().wait(waitScope);
  ASSERT_EQ(committed.getErr(), 0);
  EXPECT_EQ(committed.getAttr().getAllocatedBytes(), 1000u);

  auto punch = session.fallocateRequest();
  punch.setIno(inos[0]);
  punch.setMode(0x03);  // PUNCH_HOLE | KEEP_SIZE
  punch.setOffset(100);
  punch.setLength(200);
  auto punched = punch.send().wait(waitScope);
  ASSERT_EQ(punched.getErr(), 0);
  EXPECT_EQ(punched.getAttr().getSize(), 1000u);
  EXPECT_EQ(punched.getAttr().getAllocatedBytes(), 800u);
  auto collapse = session.fallocateRequest();
  collapse.setIno(inos[0]);
  collapse.setMode(0x08);
  collapse.setLength(100);
  EXPECT_EQ(collapse.send().wait(waitScope).getErr(), EOPNOTSUPP);

  auto copy = session.copyRangeRequest();
  copy.setInoIn(inos[0]);
  copy.setInoOut(inos[1]);
  copy.setOffsetOut(5);
  copy.setLength(5000);
  auto copied = copy.send().wait(waitScope);
  ASSERT_EQ(copied.getErr(), 0);
  EXPECT_EQ(copied.getCopied(), 1000u);
  EXPECT_EQ(copied.getAttr().getIno(), inos[1]);
  EXPECT_EQ(copied.getAttr().getSize(), 1005u);
  EXPECT_EQ(copied.getAttr().getAllocatedBytes(), 800u);
  auto same = session.copyRangeRequest();
  same.setInoIn(inos[1]);
  same.setInoOut(inos[1]);
  same.setOffsetOut(10);
  same.setLength(100);
  EXPECT_EQ(same.send().wait(waitScope).getErr(), EINVAL);
}

// A small file's bytes committed inline: no block, no chunk server needed (none is
// registered), read back from getExtents; a copy keeps them below 64 KiB and is refused
// past it; malformed inline extents are rejected and change nothing.
TEST_F(ServiceRpcTest, InlineDataIsCommittedReadAndCopied) {
  auto session = mountDefault();
  {
    auto mounted = master.mountRequest();
    mounted.setVolume("default");
    EXPECT_EQ(mounted.send().wait(waitScope).getInlineMax(), kMaxInlineBytes);
  }
  uint64_t ino = createFile(session, "small").getAttr().getIno();
  uint64_t dst = createFile(session, "copy").getAttr().getIno();
  auto commitInline = [&](uint64_t file, uint64_t offset, kj::StringPtr text) {
    auto req = session.commitRequest();
    req.setIno(file);
    auto e = req.initExtents(1)[0];
    e.setFileOffset(offset);
    e.setLength(text.size());
    e.setBlockSize(text.size());
    e.setInlineData(text.asBytes());
    return req.send().wait(waitScope);
  };
  auto extentsOf = [&](uint64_t file) { return allExtents(session, file); };
  auto committed = commitInline(ino, 0, "hello, inline world");
  ASSERT_EQ(committed.getErr(), 0);
  EXPECT_EQ(committed.getAttr().getSize(), 19u);
  EXPECT_EQ(committed.getAttr().getAllocatedBytes(), 19u);
  ASSERT_EQ(commitInline(ino, 7, "INLINE").getErr(), 0);  // splits the first piece
  auto extents = extentsOf(ino);
  ASSERT_EQ(extents.getErr(), 0);
  kj::Vector<kj::String> got;
  for (auto e : extents.getExtents()) {
    EXPECT_EQ(e.getReplicas().size(), 0u);
    EXPECT_EQ(e.getBlock().getLo(), 0u);
    got.add(kj::str(e.getFileOffset(), ":", e.getInlineData().asChars()));
  }
  EXPECT_EQ(kj::strArray(got, " "), "0:hello,  7:INLINE 13: world");

  // Copies: inline bytes below 64 KiB in the destination, EOPNOTSUPP past it.
  auto copy = session.copyRangeRequest();
  copy.setInoIn(ino);
  copy.setInoOut(dst);
  copy.setOffsetIn(3);
  copy.setOffsetOut(100);
  copy.setLength(10);
  ASSERT_EQ(copy.send().wait(waitScope).getErr(), 0);
  got.clear();
  auto copied = extentsOf(dst);  // the readers below point into it
  for (auto e : copied.getExtents()) {
    got.add(kj::str(e.getFileOffset(), ":", e.getInlineData().asChars()));
  }
  EXPECT_EQ(kj::strArray(got, " "), "100:lo,  104:INLINE");
  auto far = session.copyRangeRequest();
  far.setInoIn(ino);
  far.setInoOut(dst);
  far.setOffsetOut(kMaxInlineBytes - 5);
  far.setLength(10);
  EXPECT_EQ(far.send().wait(waitScope).getErr(), EOPNOTSUPP);
  EXPECT_EQ(extentsOf(dst).getAttr().getSize(), 110u);  // the refused copy changed nothing
  // A range starting with a hole: copied short, up to the inline bytes.
  uint64_t holed = createFile(session, "holed").getAttr().getIno();
  ASSERT_EQ(commitInline(holed, 10, "0123456789").getErr(), 0);
  auto shortCopy = session.copyRangeRequest();
  shortCopy.setInoIn(holed);
  shortCopy.setInoOut(dst);
  shortCopy.setOffsetOut(kMaxInlineBytes - 5);
  shortCopy.setLength(20);
  auto shorter = shortCopy.send().wait(waitScope);
  ASSERT_EQ(shorter.getErr(), 0);
  EXPECT_EQ(shorter.getCopied(), 10u);
  EXPECT_EQ(shorter.getAttr().getSize(), kMaxInlineBytes + 5);

  // Malformed: past 64 KiB, bytes not the length, with a block, with nodes.
  std::string big(100, 'b');
  EXPECT_ANY_THROW(commitInline(ino, kMaxInlineBytes - 50, big.c_str()));
  // One inline extent of "abc" with `spoil` applied to it must be refused.
  auto refused = [&](kj::Function<void(wire::CommitExtent::Builder)> spoil) {
    auto req = session.commitRequest();
    req.setIno(ino);
    auto e = req.initExtents(1)[0];
    e.setLength(3);
    e.setBlockSize(3);
    e.setInlineData(kj::StringPtr("abc").asBytes());
    spoil(e);
    EXPECT_ANY_THROW(req.send().wait(waitScope));
  };
  refused([](wire::CommitExtent::Builder e) { e.setLength(5); });
  refused([](wire::CommitExtent::Builder e) { e.initBlock().setLo(9); });
  refused([](wire::CommitExtent::Builder e) { e.initNodes(1).set(0, 1); });
  refused([](wire::CommitExtent::Builder e) { e.setBlockOffset(1); });
  {
    // More inline bytes than one commit may carry (overlapping pieces).
    auto req = session.commitRequest();
    req.setIno(ino);
    std::string piece(kMaxInlineBytes, 'p');
    auto list = req.initExtents(kMaxInlineBytesPerCommit / kMaxInlineBytes + 1);
    for (auto e : list) {
      e.setLength(piece.size());
      e.setBlockSize(piece.size());
      e.setInlineData(kj::StringPtr(piece.c_str()).asBytes());
    }
    EXPECT_ANY_THROW(req.send().wait(waitScope));
  }
  EXPECT_EQ(extentsOf(ino).getAttr().getSize(), 19u);

  // Unlinking leaves nothing for the block GC.
  auto rm = session.unlinkRequest();
  rm.setParent(rootIno);
  rm.setName(data("small"));
  ASSERT_EQ(rm.send().wait(waitScope).getErr(), 0);
  clock.advance(core.config.gcGraceNs);
  EXPECT_EQ(core.gc.runPass(), 0u);
}

// A mount that gave up on its session (a call passed its deadline) mounts again naming
// it: what the old session still sends (a commit that was on its way) is refused, so it
// cannot undo what the new session committed meanwhile.
TEST_F(ServiceRpcTest, ReplacedSessionChangesNothing) {
  auto mountNaming = [&](uint64_t boot, uint64_t sessionId) {
    auto req = master.mountRequest();
    req.setVolume("default");
    req.setClientName("test");
    req.setReplacesBoot(boot);
    req.setReplacesSession(sessionId);
    return req.send().wait(waitScope);
  };
  auto first = mountNaming(0, 0);
  ASSERT_EQ(first.getErr(), 0);
  rootIno = first.getVolume().getRootIno();
  auto old = first.getSession();
  uint64_t ino = createFile(old, "f").getAttr().getIno();
  auto commitInline = [&](wire::Session::Client& session, kj::StringPtr text) {
    auto req = session.commitRequest();
    req.setIno(ino);
    auto e = req.initExtents(1)[0];
    e.setLength(text.size());
    e.setBlockSize(text.size());
    e.setInlineData(text.asBytes());
    return req.send();
  };
  ASSERT_EQ(commitInline(old, "one").wait(waitScope).getErr(), 0);

  // A mount of another run's session, or of an unknown one, fences nothing.
  ASSERT_EQ(mountNaming(first.getBoot() + 1, first.getSessionId()).getErr(), 0);
  ASSERT_EQ(mountNaming(first.getBoot(), first.getSessionId() + 100).getErr(), 0);
  ASSERT_EQ(commitInline(old, "two").wait(waitScope).getErr(), 0);

  auto second = mountNaming(first.getBoot(), first.getSessionId());
  ASSERT_EQ(second.getErr(), 0);
  auto fresh = second.getSession();
  ASSERT_EQ(commitInline(fresh, "new").wait(waitScope).getErr(), 0);
  // The late commit of the replaced session, and any other call of it, fail.
  auto late = commitInline(old, "old").then(
      [](auto&&) { return std::string("applied"); },
      [](kj::Exception&& e) {
        return std::string(e.getType() == kj::Exception::Type::DISCONNECTED ? "refused" : "other");
      });
  EXPECT_EQ(late.wait(waitScope), "refused");
  auto stat = old.getAttrRequest();
  stat.setIno(ino);
  EXPECT_ANY_THROW(stat.send().wait(waitScope));

  auto extents = allExtents(fresh, ino);
  ASSERT_EQ(extents.getErr(), 0);
  ASSERT_EQ(extents.getExtents().size(), 1u);
  auto bytes = extents.getExtents()[0].getInlineData();
  EXPECT_EQ(std::string(bytes.asChars().begin(), bytes.size()), "new");
}

TEST_F(ServiceRpcTest, MalformedInputIsRejectedAndServerKeepsServing) {
  auto session = mountDefault();
  {
    auto req = session.mknodRequest();
    req.setParent(rootIno);
    std::string name(300, 'n');
    req.setName(data(name.c_str()));
    req.setMode(S_IFREG | 0644);
    EXPECT_EQ(req.send().wait(waitScope).getErr(), ENAMETOOLONG);
  }
  {
    auto req = session.readdirRequest();
    req.setIno(rootIno);
    req.setMaxEntries(0);
    EXPECT_ANY_THROW(req.send().wait(waitScope));
  }
  {
    auto mk = session.mknodRequest();
    mk.setParent(rootIno);
    mk.setName(data("f"));
    mk.setMode(S_IFREG | 0644);
    uint64_t ino = mk.send().wait(waitScope).getAttr().getIno();
    auto req = session.commitRequest();
    req.setIno(ino);
    auto e = req.initExtents(1)[0];
    e.setLength(100);
    e.setBlockOffset(4000);
    e.setBlockSize(4096);
    e.initBlock().setLo(1);
    EXPECT_ANY_THROW(req.send().wait(waitScope));
    auto tooBig = session.commitRequest();
    tooBig.setIno(ino);
    tooBig.initExtents(kMaxCommitExtents + 1);
    EXPECT_ANY_THROW(tooBig.send().wait(waitScope));
  }
  {
    auto req = session.allocateBlocksRequest();
    req.setCount(kMaxAllocateBlocks + 1);
    EXPECT_ANY_THROW(req.send().wait(waitScope));
  }
  {
    auto req = master.registerNodeRequest();
    req.setAddress("not an address");
    EXPECT_ANY_THROW(req.send().wait(waitScope));
  }
  {
    auto req = session.getAttrRequest();
    req.setIno(123456789);
    EXPECT_EQ(req.send().wait(waitScope).getErr(), ENOENT);
  }
  {
    auto req = master.adminRequest().send().getAdmin().createVolumeRequest();
    req.setName("bad name!");
    EXPECT_EQ(req.send().wait(waitScope).getErr(), EINVAL);
    auto ok = master.adminRequest().send().getAdmin().createVolumeRequest();
    ok.setName("second");
    ok.setReplicas(1);
    auto resp = ok.send().wait(waitScope);
    EXPECT_EQ(resp.getErr(), 0);
    EXPECT_EQ(resp.getVolume().getReplicas(), 1u);
  }
  session.pingRequest().send().wait(waitScope);
  auto req = session.readdirRequest();
  req.setIno(rootIno);
  req.setMaxEntries(10);
  auto resp = req.send().wait(waitScope);
  EXPECT_EQ(resp.getErr(), 0);
  EXPECT_EQ(resp.getEntries().size(), 1u);
  EXPECT_TRUE(resp.getEof());
}

}  // namespace
}  // namespace dfs
