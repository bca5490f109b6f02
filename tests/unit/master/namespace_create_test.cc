// Tests for namespace creation/removal: mknod, mkdir, symlink, link, unlink, rmdir.
#include "tests/unit/master/namespace_fixture.h"
#include <cerrno>

namespace dfs {
namespace {

template <typename T>
class CreateTest : public NamespaceTest<T> {};
TYPED_TEST_SUITE(CreateTest, StoreKinds);

TYPED_TEST(CreateTest, CreateLookupUnlink) {
  auto& ns = *this->ns;
  uint64_t ino = this->file(this->root, "a");
  EXPECT_GT(ino, 1u);
  Inode out;
  ASSERT_EQ(ns.lookup(this->root, b("a"), out), 0);
  EXPECT_EQ(out.ino, ino);
  EXPECT_EQ(out.mode, static_cast<uint32_t>(S_IFREG | 0644));
  EXPECT_EQ(out.nlink, 1u);
  // Exclusive create of an existing name fails; non-exclusive opens the existing file.
  EXPECT_EQ(ns.mknod(this->root, b("a"), S_IFREG | 0644, 0, 0, 0, true, out), EEXIST);
  ASSERT_EQ(ns.mknod(this->root, b("a"), S_IFREG | 0600, 0, 0, 0, false, out), 0);
  EXPECT_EQ(out.ino, ino);
  EXPECT_EQ(ns.unlink(this->root, b("a")), 0);
  EXPECT_EQ(this->lookupErr(this->root, "a"), ENOENT);
  EXPECT_EQ(ns.getAttr(ino, out), ENOENT);
  EXPECT_EQ(ns.unlink(this->root, b("a")), ENOENT);
  EXPECT_EQ(ns.inodeCount(), 1u);  // only the root is left
}

TYPED_TEST(CreateTest, InodeNumbersAreUnique) {
  uint64_t a = this->file(this->root, "a");
  uint64_t d = this->dirAt(this->root, "d");
  uint64_t c = this->file(d, "c");
  EXPECT_NE(a, d);
  EXPECT_NE(d, c);
  EXPECT_NE(a, c);
}

TYPED_TEST(CreateTest, NameValidation) {
  auto& ns = *this->ns;
  Inode out;
  std::string longName(256, 'x');
  EXPECT_EQ(ns.mknod(this->root, b(longName.c_str()), S_IFREG, 0, 0, 0, true, out), ENAMETOOLONG);
  std::string maxName(255, 'x');
  EXPECT_EQ(ns.mknod(this->root, b(maxName.c_str()), S_IFREG, 0, 0, 0, true, out), 0);
  EXPECT_EQ(ns.mknod(this->root, b("a/b"), S_IFREG, 0, 0, 0, true, out), EINVAL);
  EXPECT_EQ(ns.mknod(this->root, b("."), S_IFREG, 0, 0, 0, true, out), EINVAL);
  EXPECT_EQ(ns.mkdir(this->root, b(".."), 0755, 0, 0, out), EINVAL);
  EXPECT_EQ(ns.mknod(this->root, BytesPtr(), S_IFREG, 0, 0, 0, true, out), EINVAL);
  const kj::byte withNul[] = {'a', 0, 'b'};
  EXPECT_EQ(ns.mknod(this->root, withNul, S_IFREG, 0, 0, 0, true, out), EINVAL);
  EXPECT_EQ(ns.mknod(999999, b("x"), S_IFREG, 0, 0, 0, true, out), ENOENT);
  uint64_t f = this->file(this->root, "f");
  EXPECT_EQ(ns.mknod(f, b("x"), S_IFREG, 0, 0, 0, true, out), ENOTDIR);
  EXPECT_EQ(ns.mknod(this->root, b("dir"), S_IFDIR | 0755, 0, 0, 0, true, out), EINVAL);
}

TYPED_TEST(CreateTest, SpecialFilesAndSymlinks) {
  auto& ns = *this->ns;
  Inode out;
  ASSERT_EQ(ns.mknod(this->root, b("fifo"), S_IFIFO | 0600, 0, 0, 0, true, out), 0);
  EXPECT_TRUE(S_ISFIFO(out.mode));
  ASSERT_EQ(ns.mknod(this->root, b("chr"), S_IFCHR | 0600, 0x0103, 0, 0, true, out), 0);
  EXPECT_EQ(out.rdev, 0x0103u);
  ASSERT_EQ(ns.mknod(this->root, b("sock"), S_IFSOCK | 0600, 0, 0, 0, true, out), 0);
  ASSERT_EQ(ns.symlink(this->root, b("ln"), b("some/target"), 1, 2, out), 0);
  EXPECT_TRUE(S_ISLNK(out.mode));
  EXPECT_EQ(out.size, 11u);  // length of "some/target"
  Bytes target;
  ASSERT_EQ(ns.readlink(out.ino, target), 0);
  EXPECT_EQ(kj::str(target.asChars()), "some/target");
  EXPECT_EQ(ns.readlink(this->root, target), EINVAL);
  std::string tooLong(4096, 't');
  EXPECT_EQ(ns.symlink(this->root, b("ln2"), b(tooLong.c_str()), 0, 0, out), ENAMETOOLONG);
  EXPECT_EQ(ns.symlink(this->root, b("ln3"), BytesPtr(), 0, 0, out), EINVAL);
}

TYPED_TEST(CreateTest, MkdirRmdir) {
  auto& ns = *this->ns;
  EXPECT_EQ(this->attr(this->root).nlink, 2u);
  uint64_t d = this->dirAt(this->root, "d");
  EXPECT_EQ(this->attr(this->root).nlink, 3u);
  EXPECT_EQ(this->attr(d).nlink, 2u);
  EXPECT_EQ(this->attr(d).mode, static_cast<uint32_t>(S_IFDIR | 0755));
  uint64_t e = this->dirAt(d, "e");
  EXPECT_EQ(this->attr(d).nlink, 3u);
  EXPECT_EQ(this->lookupIno(e, ".."), d);
  this->file(d, "f");
  EXPECT_EQ(ns.rmdir(this->root, b("d")), ENOTEMPTY);
  EXPECT_EQ(ns.rmdir(d, b("f")), ENOTDIR);
  EXPECT_EQ(ns.unlink(this->root, b("d")), EISDIR);
  EXPECT_EQ(ns.rmdir(d, b("e")), 0);
  EXPECT_EQ(ns.unlink(d, b("f")), 0);
  EXPECT_EQ(this->attr(d).nlink, 2u);
  EXPECT_EQ(ns.rmdir(this->root, b("d")), 0);
  EXPECT_EQ(this->attr(this->root).nlink, 2u);
  EXPECT_EQ(ns.rmdir(this->root, b("d")), ENOENT);
  Inode out;
  EXPECT_EQ(ns.mkdir(this->root, b("x"), 0755, 0, 0, out), 0);
  EXPECT_EQ(ns.mkdir(this->root, b("x"), 0755, 0, 0, out), EEXIST);
}

TYPED_TEST(CreateTest, LinkCounts) {
  auto& ns = *this->ns;
  uint64_t f = this->file(this->root, "f");
  uint64_t d = this->dirAt(this->root, "d");
  Inode out;
  ASSERT_EQ(ns.link(f, d, b("g"), out), 0);
  EXPECT_EQ(out.nlink, 2u);
  EXPECT_EQ(this->lookupIno(d, "g"), f);
  EXPECT_EQ(ns.link(f, d, b("g"), out), EEXIST);
  EXPECT_EQ(ns.link(d, this->root, b("d2"), out), EPERM);
  EXPECT_EQ(ns.link(999999, this->root, b("z"), out), ENOENT);
  EXPECT_EQ(ns.link(f, f, b("z"), out), ENOTDIR);
  ASSERT_EQ(ns.unlink(this->root, b("f")), 0);
  EXPECT_EQ(this->attr(f).nlink, 1u);
  ASSERT_EQ(ns.unlink(d, b("g")), 0);
  EXPECT_EQ(ns.getAttr(f, out), ENOENT);
}

TYPED_TEST(CreateTest, SetAttrModeOwnerTimes) {
  auto& ns = *this->ns;
  uint64_t f = this->file(this->root, "f");
  int64_t t0 = this->clock.nowNs();
  this->clock.advance(1000);
  SetAttrArgs args;
  args.ino = f;
  args.mode = S_IFDIR | 0600;  // type bits are ignored
  args.uid = 7;
  args.gid = 8;
  args.setAtime = true;
  args.atimeNs = 42;
  args.setMtime = true;
  args.mtimeNow = true;
  Inode out;
  ASSERT_EQ(ns.setAttr(args, out), 0);
  EXPECT_EQ(out.mode, static_cast<uint32_t>(S_IFREG | 0600));
  EXPECT_EQ(out.uid, 7u);
  EXPECT_EQ(out.gid, 8u);
  EXPECT_EQ(out.atimeNs, 42);
  EXPECT_EQ(out.mtimeNs, t0 + 1000);
  EXPECT_EQ(out.ctimeNs, t0 + 1000);
  EXPECT_EQ(this->attr(f).uid, 7u);
  SetAttrArgs sizeOfDir;
  sizeOfDir.ino = this->root;
  sizeOfDir.size = uint64_t(0);
  EXPECT_EQ(ns.setAttr(sizeOfDir, out), EISDIR);
  SetAttrArgs missing;
  missing.ino = 999999;
  EXPECT_EQ(ns.setAttr(missing, out), ENOENT);
}

// killSuidgid (FUSE_HANDLE_KILLPRIV_V2, the mount handles it): S_ISUID goes, S_ISGID only
// with group-execute, directories keep theirs; alone it moves ctime only if a bit went,
// and after an explicit mode in the same request it still applies (a later kill).
TYPED_TEST(CreateTest, SetAttrKillSuidgid) {
  auto& ns = *this->ns;
  uint64_t f = this->file(this->root, "f");
  auto setMode = [&](uint64_t ino, uint32_t mode) {
    SetAttrArgs args;
    args.ino = ino;
    args.mode = mode;
    Inode out;
    EXPECT_EQ(ns.setAttr(args, out), 0);
  };
  auto kill = [&](uint64_t ino) {
    SetAttrArgs args;
    args.ino = ino;
    args.killSuidgid = true;
    Inode out;
    EXPECT_EQ(ns.setAttr(args, out), 0);
    return out;
  };
  setMode(f, 06775);
  this->clock.advance(1000);
  Inode out = kill(f);
  EXPECT_EQ(out.mode, static_cast<uint32_t>(S_IFREG | 0775));
  EXPECT_EQ(out.ctimeNs, this->clock.nowNs());
  setMode(f, 02765);  // set-group-ID without group-execute: kept
  this->clock.advance(1000);
  out = kill(f);
  EXPECT_EQ(out.mode, static_cast<uint32_t>(S_IFREG | 02765));
  EXPECT_EQ(out.ctimeNs, this->clock.nowNs());  // a chown(-1, -1) still moves ctime
  Inode d;
  ASSERT_EQ(ns.mkdir(this->root, b("d"), 06775, 0, 0, d), 0);
  EXPECT_EQ(kill(d.ino).mode, static_cast<uint32_t>(S_IFDIR | 06775));
  // chown with a kill (the kernel's form of chown on a non-directory).
  setMode(f, 04755);
  SetAttrArgs chown;
  chown.ino = f;
  chown.uid = 5;
  chown.killSuidgid = true;
  ASSERT_EQ(ns.setAttr(chown, out), 0);
  EXPECT_EQ(out.mode, static_cast<uint32_t>(S_IFREG | 0755));
  EXPECT_EQ(out.uid, 5u);
  // With its data: a commit whose attributes are only a kill moves ctime only if a bit
  // goes (the data's time is the write's).
  setMode(f, 04755);
  SetAttrArgs withData;
  withData.killSuidgid = true;
  this->clock.advance(1000);
  ASSERT_EQ(ns.commit(f, {}, 10, out, this->clock.nowNs() - 500, &withData), 0);
  EXPECT_EQ(out.mode, static_cast<uint32_t>(S_IFREG | 0755));
  EXPECT_EQ(out.size, 10u);
  EXPECT_EQ(out.ctimeNs, this->clock.nowNs());
  this->clock.advance(1000);
  ASSERT_EQ(ns.commit(f, {}, 20, out, this->clock.nowNs() - 500, &withData), 0);
  EXPECT_EQ(out.mode, static_cast<uint32_t>(S_IFREG | 0755));
  EXPECT_EQ(out.ctimeNs, this->clock.nowNs() - 500);
}

TYPED_TEST(CreateTest, SetGidDirectoryPassesGroupAndBitOn) {
  auto& ns = *this->ns;
  Inode d;
  ASSERT_EQ(ns.mkdir(this->root, b("d"), 02775, 0, 77, d), 0);
  EXPECT_EQ(d.mode, static_cast<uint32_t>(S_IFDIR | 02775));
  Inode out;
  ASSERT_EQ(ns.mkdir(d.ino, b("sub"), 0755, 5, 6, out), 0);
  EXPECT_EQ(out.mode, static_cast<uint32_t>(S_IFDIR | 02755));  // S_ISGID inherited
  EXPECT_EQ(out.uid, 5u);
  EXPECT_EQ(out.gid, 77u);
  ASSERT_EQ(ns.mknod(d.ino, b("f"), S_IFREG | 0644, 0, 5, 6, true, out), 0);
  EXPECT_EQ(out.mode, static_cast<uint32_t>(S_IFREG | 0644));   // files do not get the bit
  EXPECT_EQ(out.gid, 77u);
  ASSERT_EQ(ns.symlink(d.ino, b("l"), b("target"), 5, 6, out), 0);
  EXPECT_EQ(out.gid, 77u);
  // Without S_ISGID the caller's group is used.
  ASSERT_EQ(ns.mkdir(this->root, b("plain"), 0755, 5, 6, out), 0);
  EXPECT_EQ(out.gid, 6u);
  ASSERT_EQ(ns.mknod(out.ino, b("f"), S_IFREG | 0644, 0, 5, 6, true, out), 0);
  EXPECT_EQ(out.gid, 6u);
}

TYPED_TEST(CreateTest, OtherVolumeIsInvisible) {
  Volume other;
  ASSERT_EQ(this->volumes->create("other", 1, other), 0);
  Namespace otherNs(*this->store, this->clock, other.id, other.rootIno, this->kGraceNs);
  uint64_t f = this->file(this->root, "f");
  Inode out;
  EXPECT_EQ(otherNs.getAttr(f, out), ENOENT);
  EXPECT_EQ(otherNs.lookup(this->root, b("f"), out), ENOENT);
  EXPECT_EQ(otherNs.mknod(this->root, b("g"), S_IFREG, 0, 0, 0, true, out), ENOENT);
  EXPECT_EQ(this->volumes->create("other", 1, other), EEXIST);
  EXPECT_EQ(this->volumes->create("bad/name", 1, other), EINVAL);
  EXPECT_EQ(this->volumes->create("", 1, other), EINVAL);
}

}  // namespace
}  // namespace dfs
