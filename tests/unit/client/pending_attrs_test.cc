// Tests for PendingAttrs: merging later changes, showing them over the master's
// attributes, and the setAttr request they become.
#include "client/io/pending_attrs.h"
#include <capnp/message.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

namespace dfs {
namespace {

TEST(PendingAttrs, LaterChangesWinFieldByField) {
  PendingAttrs a;
  EXPECT_TRUE(a.empty());
  PendingAttrs first;
  first.mode = 0600u;
  first.mtimeNs = int64_t(100);
  first.ctimeNs = 10;
  a.merge(first);
  PendingAttrs second;
  second.uid = 7u;
  second.mode = 0644u;
  second.ctimeNs = 20;
  a.merge(second);
  EXPECT_FALSE(a.empty());
  EXPECT_EQ(KJ_ASSERT_NONNULL(a.mode), 0644u);
  EXPECT_EQ(KJ_ASSERT_NONNULL(a.uid), 7u);
  EXPECT_EQ(KJ_ASSERT_NONNULL(a.mtimeNs), 100);
  EXPECT_EQ(a.gid, nullptr);
  EXPECT_EQ(a.ctimeNs, 20);
  a.dropMtime();  // a write after the utimes: its time is the mtime again
  EXPECT_EQ(a.mtimeNs, nullptr);
}

TEST(PendingAttrs, ShownOverTheMastersAttributes) {
  AttrCopy attr;
  attr.mode = S_IFREG | 0600;
  attr.uid = 1;
  attr.gid = 2;
  attr.atimeNs = 5;
  attr.mtimeNs = 6;
  attr.ctimeNs = 50;
  PendingAttrs p;
  p.mode = uint32_t(S_IFDIR | 04755);  // only the permission bits count
  p.gid = 9u;
  p.atimeNs = int64_t(1);
  p.ctimeNs = 40;  // earlier than the master's ctime: that one stays
  p.applyTo(attr);
  EXPECT_EQ(attr.mode, uint32_t(S_IFREG | 04755));
  EXPECT_EQ(attr.uid, 1u);
  EXPECT_EQ(attr.gid, 9u);
  EXPECT_EQ(attr.atimeNs, 1);
  EXPECT_EQ(attr.mtimeNs, 6);
  EXPECT_EQ(attr.ctimeNs, 50);
}

TEST(PendingAttrs, SentAsOneSetAttr) {
  PendingAttrs p;
  p.uid = 0u;  // chown to root is a change, not "unset"
  p.mtimeNs = int64_t(123);
  p.ctimeNs = 456;
  capnp::MallocMessageBuilder message;
  auto req = message.initRoot<wire::SetAttrRequest>();
  p.toWire(42, req);
  EXPECT_EQ(req.getIno(), 42u);
  EXPECT_TRUE(req.getSetUid());
  EXPECT_EQ(req.getUid(), 0u);
  EXPECT_FALSE(req.getSetMode());
  EXPECT_FALSE(req.getSetGid());
  EXPECT_FALSE(req.getSetAtime());
  EXPECT_FALSE(req.getSetSize());
  EXPECT_TRUE(req.getSetMtime());
  EXPECT_FALSE(req.getMtimeNow());
  EXPECT_EQ(req.getMtimeNs(), 123);
  EXPECT_EQ(req.getCtimeNs(), 456);
}

// Another mount's change seen through the master: a field whose value moved since this
// mount's change was made is dropped (comparing values), and so is one the master says was
// set, even to the value it had (the later chmod back to the old mode).
TEST(PendingAttrs, AnotherMountsLaterChangeWins) {
  AttrCopy base;
  base.mode = S_IFREG | 0640;
  base.uid = 1;
  base.gid = 2;
  base.mtimeNs = 6;
  PendingAttrs p;
  p.mode = 0600u;
  p.uid = 7u;
  p.mtimeNs = int64_t(100);
  p.ctimeNs = 40;
  p.base = base;
  AttrCopy now = base;
  now.uid = 3;  // another mount's chown
  p.reconcile(now);
  EXPECT_EQ(p.uid, nullptr);
  EXPECT_EQ(KJ_ASSERT_NONNULL(p.mode), 0600u);  // same value: not seen by comparing

  capnp::MallocMessageBuilder message;
  auto set = message.initRoot<wire::FieldsSet>();
  set.setMode(true);  // another mount's chmod back to 0640
  p.dropSetElsewhere(set.asReader());
  EXPECT_EQ(p.mode, nullptr);
  EXPECT_EQ(KJ_ASSERT_NONNULL(p.mtimeNs), 100);
  EXPECT_EQ(p.ctimeNs, 40);  // the utimes is still this mount's change
  set.setMode(false);
  set.setMtime(true);
  p.dropSetElsewhere(set.asReader());
  EXPECT_TRUE(p.empty());  // nothing of this mount's left, not even its change time
}

// A write's kill of the set-id bits (FUSE_HANDLE_KILLPRIV_V2) is not a field: alone it
// leaves the changes empty but still sendable; a later chmod wins over it, an earlier one
// is applied first (as the master does: fields, then the kill).
TEST(PendingAttrs, WriteKillOrdersWithChmod) {
  AttrCopy master;
  master.mode = S_IFREG | 06775;
  PendingAttrs p;
  PendingAttrs kill;
  kill.killSuidgid = true;
  p.merge(kill);
  EXPECT_TRUE(p.empty());
  EXPECT_FALSE(p.nothingToSend());
  AttrCopy shown = master;
  p.applyTo(shown);
  EXPECT_EQ(shown.mode, static_cast<uint32_t>(S_IFREG | 0775));
  capnp::MallocMessageBuilder message;
  auto req = message.initRoot<wire::SetAttrRequest>();
  p.toWire(9, req);
  EXPECT_TRUE(req.getKillSuidgid());
  EXPECT_FALSE(req.getSetMode());

  PendingAttrs chmod;
  chmod.mode = 04755u;
  p.merge(chmod);  // after the write: the bit stays
  EXPECT_FALSE(p.killSuidgid);
  shown = master;
  p.applyTo(shown);
  EXPECT_EQ(shown.mode, static_cast<uint32_t>(S_IFREG | 04755));

  p.merge(kill);  // another write after it: cleared again
  shown = master;
  p.applyTo(shown);
  EXPECT_EQ(shown.mode, static_cast<uint32_t>(S_IFREG | 0755));
  // Set-group-ID without group-execute stays.
  PendingAttrs only;
  only.killSuidgid = true;
  shown.mode = S_IFREG | 02745;
  only.applyTo(shown);
  EXPECT_EQ(shown.mode, static_cast<uint32_t>(S_IFREG | 02745));
}

}  // namespace
}  // namespace dfs
