// Tests for namespace xattrs: values and errnos, ACL <-> mode, inheritance and umask at
// create, deletion with the inode (unlink, rmdir, rename over, orphan purge).
#include "tests/unit/master/namespace_fixture.h"
#include "common/acl/posix_acl.h"
#include "server/master/store/keys.h"
#include <sys/xattr.h>

namespace dfs {
namespace {

constexpr uint32_t kNone = 0xffffffff;

template <typename T>
class XattrTest : public NamespaceTest<T> {
protected:
  int set(uint64_t ino, kj::StringPtr name, kj::StringPtr value, uint32_t flags = 0) {
    Inode out;
    return this->ns->setXattr(ino, b(name), b(value), flags, out);
  }
  int setBytes(uint64_t ino, kj::StringPtr name, BytesPtr value) {
    Inode out;
    return this->ns->setXattr(ino, b(name), value, 0, out);
  }
  kj::String get(uint64_t ino, kj::StringPtr name) {
    Bytes v;
    int err = this->ns->getXattr(ino, b(name), v);
    if (err != 0) return kj::str("errno ", err);
    return kj::heapString(reinterpret_cast<const char*>(v.begin()), v.size());
  }
  int remove(uint64_t ino, kj::StringPtr name) {
    Inode out;
    return this->ns->removeXattr(ino, b(name), out);
  }
  kj::String names(uint64_t ino) {
    kj::Vector<Bytes> list;
    EXPECT_EQ(this->ns->listXattr(ino, list), 0);
    kj::Vector<kj::String> parts;
    for (auto& n : list) parts.add(kj::heapString(reinterpret_cast<const char*>(n.begin()), n.size()));
    return kj::strArray(parts, ",");
  }
  // Number of 'X' keys of `ino` in the store.
  size_t storedXattrs(uint64_t ino) {
    auto prefix = keys::xattrPrefix(ino);
    auto it = this->store->newIterator();
    size_t n = 0;
    for (it->seek(prefix); it->valid() && keys::hasPrefix(it->key(), prefix); it->next()) ++n;
    return n;
  }
  static Acl acl(std::initializer_list<AclEntry> entries) {
    return kj::heapArray<AclEntry>(entries);
  }
};
TYPED_TEST_SUITE(XattrTest, StoreKinds);

TYPED_TEST(XattrTest, SetGetListRemove) {
  uint64_t f = this->file(this->root, "f");
  EXPECT_EQ(this->get(f, "user.a"), "errno 61");  // ENODATA
  EXPECT_EQ(this->set(f, "user.b", "2"), 0);
  EXPECT_EQ(this->set(f, "user.a", "1"), 0);
  EXPECT_EQ(this->set(f, "trusted.t", "t"), 0);
  EXPECT_EQ(this->set(f, "security.s", "s"), 0);
  EXPECT_EQ(this->get(f, "user.a"), "1");
  EXPECT_EQ(this->names(f), "security.s,trusted.t,user.a,user.b");
  EXPECT_EQ(this->remove(f, "user.a"), 0);
  EXPECT_EQ(this->remove(f, "user.a"), ENODATA);
  EXPECT_EQ(this->names(f), "security.s,trusted.t,user.b");
  Bytes v;
  EXPECT_EQ(this->ns->getXattr(12345, b("user.a"), v), ENOENT);
  kj::Vector<Bytes> list;
  EXPECT_EQ(this->ns->listXattr(12345, list), ENOENT);
}

TYPED_TEST(XattrTest, Errnos) {
  uint64_t f = this->file(this->root, "f");
  EXPECT_EQ(this->set(f, "user.a", "1", XATTR_REPLACE), ENODATA);
  EXPECT_EQ(this->set(f, "user.a", "1", XATTR_CREATE), 0);
  EXPECT_EQ(this->set(f, "user.a", "2", XATTR_CREATE), EEXIST);
  EXPECT_EQ(this->set(f, "user.a", "3", XATTR_REPLACE), 0);
  EXPECT_EQ(this->get(f, "user.a"), "3");
  EXPECT_EQ(this->set(f, "user.a", "4", XATTR_CREATE | XATTR_REPLACE), EINVAL);
  EXPECT_EQ(this->set(f, "user.a", "4", 8), EINVAL);
  EXPECT_EQ(this->set(f, "", "x"), ERANGE);
  EXPECT_EQ(this->set(f, kj::str("user.", kj::repeat('n', 251)), "x"), ERANGE);
  EXPECT_EQ(this->set(f, kj::str("user.", kj::repeat('n', 250)), "x"), 0);
  EXPECT_EQ(this->set(f, "user.", "x"), EINVAL);
  EXPECT_EQ(this->set(f, "foo.bar", "x"), EOPNOTSUPP);
  EXPECT_EQ(this->set(f, "system.foo", "x"), EOPNOTSUPP);
  EXPECT_EQ(this->get(f, "system.foo"), kj::str("errno ", EOPNOTSUPP));
  auto big = kj::heapArray<kj::byte>(65537);
  memset(big.begin(), 'v', big.size());
  EXPECT_EQ(this->setBytes(f, "user.big", big), E2BIG);
  EXPECT_EQ(this->setBytes(f, "user.big", big.slice(0, 65536)), 0);
  EXPECT_EQ(this->set(12345, "user.a", "1"), ENOENT);
}

TYPED_TEST(XattrTest, NamesListIsBounded) {
  uint64_t f = this->file(this->root, "f");
  // 256 names of 255 bytes (+NUL) fill XATTR_LIST_MAX (65536 bytes) exactly.
  for (int i = 0; i < 256; ++i) {
    auto name = kj::str("user.", kj::repeat('a', 244), 100000 + i);  // 255 bytes
    ASSERT_EQ(this->set(f, name, "v"), 0) << i;
  }
  EXPECT_EQ(this->set(f, "user.x", "v"), ENOSPC);
  EXPECT_EQ(this->set(f, kj::str("user.", kj::repeat('a', 244), 100000), "new value"), 0);
}

TYPED_TEST(XattrTest, UserNamespaceOnlyOnFilesAndDirs) {
  Inode out;
  ASSERT_EQ(this->ns->symlink(this->root, b("l"), b("target"), 0, 0, out), 0);
  uint64_t l = out.ino;
  ASSERT_EQ(this->ns->mknod(this->root, b("p"), S_IFIFO | 0644, 0, 0, 0, true, out), 0);
  uint64_t p = out.ino;
  uint64_t d = this->dirAt(this->root, "d");
  EXPECT_EQ(this->set(l, "user.a", "1"), EPERM);
  EXPECT_EQ(this->set(p, "user.a", "1"), EPERM);
  EXPECT_EQ(this->get(p, "user.a"), kj::str("errno ", ENODATA));
  EXPECT_EQ(this->remove(p, "user.a"), EPERM);
  EXPECT_EQ(this->set(p, "trusted.a", "1"), 0);
  EXPECT_EQ(this->set(d, "user.a", "1"), 0);
}

TYPED_TEST(XattrTest, ChangesMoveCtime) {
  uint64_t f = this->file(this->root, "f");
  int64_t t0 = this->attr(f).ctimeNs;
  this->clock.advance(1000);
  ASSERT_EQ(this->set(f, "user.a", "1"), 0);
  int64_t t1 = this->attr(f).ctimeNs;
  EXPECT_GT(t1, t0);
  this->clock.advance(1000);
  ASSERT_EQ(this->remove(f, "user.a"), 0);
  EXPECT_GT(this->attr(f).ctimeNs, t1);
}

TYPED_TEST(XattrTest, AccessAclSetsModeAndChmodSetsAcl) {
  uint64_t f = this->file(this->root, "f");  // 0644
  auto full = this->acl({{ACL_TAG_USER_OBJ, 6, kNone}, {ACL_TAG_USER, 6, 1000},
                         {ACL_TAG_GROUP_OBJ, 4, kNone}, {ACL_TAG_MASK, 6, kNone},
                         {ACL_TAG_OTHER, 0, kNone}});
  ASSERT_EQ(this->setBytes(f, "system.posix_acl_access", encodeAcl(full)), 0);
  EXPECT_EQ(this->attr(f).mode, uint32_t(S_IFREG | 0660));
  EXPECT_EQ(this->storedXattrs(f), 1u);
  // chmod 0600: mask ---.
  SetAttrArgs chmod;
  chmod.ino = f;
  chmod.mode = 0600u;
  Inode out;
  ASSERT_EQ(this->ns->setAttr(chmod, out), 0);
  Bytes value;
  ASSERT_EQ(this->ns->getXattr(f, b("system.posix_acl_access"), value), 0);
  Acl stored;
  ASSERT_EQ(decodeAcl(value, stored), 0);
  EXPECT_EQ(stored[3].tag, ACL_TAG_MASK);
  EXPECT_EQ(stored[3].perm, 0);
  EXPECT_EQ(stored[1].perm, 6);
  // A minimal ACL is only the mode: the stored one goes away.
  auto minimal = this->acl({{ACL_TAG_USER_OBJ, 7, kNone}, {ACL_TAG_GROUP_OBJ, 5, kNone},
                            {ACL_TAG_OTHER, 1, kNone}});
  ASSERT_EQ(this->setBytes(f, "system.posix_acl_access", encodeAcl(minimal)), 0);
  EXPECT_EQ(this->attr(f).mode, uint32_t(S_IFREG | 0751));
  EXPECT_EQ(this->storedXattrs(f), 0u);
  // Removing an absent ACL is fine; invalid blobs are EINVAL.
  EXPECT_EQ(this->remove(f, "system.posix_acl_access"), 0);
  EXPECT_EQ(this->set(f, "system.posix_acl_access", "junk"), EINVAL);
  // Default ACLs only on directories; none on symlinks.
  EXPECT_EQ(this->setBytes(f, "system.posix_acl_default", encodeAcl(full)), EACCES);
  ASSERT_EQ(this->ns->symlink(this->root, b("l"), b("f"), 0, 0, out), 0);
  EXPECT_EQ(this->setBytes(out.ino, "system.posix_acl_access", encodeAcl(full)), EOPNOTSUPP);
}

TYPED_TEST(XattrTest, AccessAclClearsSetgidOutsideTheGroup) {
  auto& ns = *this->ns;
  Inode out;
  ASSERT_EQ(ns.mknod(this->root, b("f"), S_IFREG | 02755, 0, 1000, 1234, true, out), 0);
  uint64_t f = out.ino;
  auto acl = encodeAcl(this->acl({{ACL_TAG_USER_OBJ, 7, kNone}, {ACL_TAG_USER, 4, 1001},
                                  {ACL_TAG_GROUP_OBJ, 5, kNone}, {ACL_TAG_MASK, 5, kNone},
                                  {ACL_TAG_OTHER, 5, kNone}}));
  const uint32_t inGroup[] = {1000, 1234};
  ASSERT_EQ(ns.setXattr(f, b("system.posix_acl_access"), acl, 0, out,
                        kj::ArrayPtr<const uint32_t>(inGroup, 2)), 0);
  EXPECT_EQ(out.mode, uint32_t(S_IFREG | 02755));
  ASSERT_EQ(ns.setXattr(f, b("system.posix_acl_access"), acl, 0, out), 0);  // privileged
  EXPECT_EQ(out.mode, uint32_t(S_IFREG | 02755));
  const uint32_t outside[] = {1000};
  ASSERT_EQ(ns.setXattr(f, b("system.posix_acl_access"), acl, 0, out,
                        kj::ArrayPtr<const uint32_t>(outside, 1)), 0);
  EXPECT_EQ(out.mode, uint32_t(S_IFREG | 0755));
}

TYPED_TEST(XattrTest, CreateInheritsDefaultAclOrAppliesUmask) {
  auto& ns = *this->ns;
  Inode out;
  // No default ACL: the umask applies (when given).
  ASSERT_EQ(ns.mknod(this->root, b("u"), S_IFREG | 0666, 0, 0, 0, true, out, 022u), 0);
  EXPECT_EQ(out.mode, uint32_t(S_IFREG | 0644));
  ASSERT_EQ(ns.mkdir(this->root, b("ud"), 0777, 0, 0, out, 077u), 0);
  EXPECT_EQ(out.mode, uint32_t(S_IFDIR | 0700));
  ASSERT_EQ(ns.mknod(this->root, b("n"), S_IFREG | 0666, 0, 0, 0, true, out), 0);
  EXPECT_EQ(out.mode, uint32_t(S_IFREG | 0666));  // no umask given: mode as sent

  uint64_t d = this->dirAt(this->root, "d");
  auto dflt = this->acl({{ACL_TAG_USER_OBJ, 7, kNone}, {ACL_TAG_USER, 7, 1000},
                         {ACL_TAG_GROUP_OBJ, 5, kNone}, {ACL_TAG_MASK, 7, kNone},
                         {ACL_TAG_OTHER, 0, kNone}});
  ASSERT_EQ(this->setBytes(d, "system.posix_acl_default", encodeAcl(dflt)), 0);
  ASSERT_EQ(ns.mknod(d, b("f"), S_IFREG | 0666, 0, 0, 0, true, out, 077u), 0);
  EXPECT_EQ(out.mode, uint32_t(S_IFREG | 0660));  // umask ignored, masked by the ACL
  EXPECT_EQ(this->names(out.ino), "system.posix_acl_access");
  ASSERT_EQ(ns.mkdir(d, b("sub"), 0777, 0, 0, out, 077u), 0);
  EXPECT_EQ(out.mode, uint32_t(S_IFDIR | 0770));
  EXPECT_EQ(this->names(out.ino), "system.posix_acl_access,system.posix_acl_default");
  Bytes inherited;
  ASSERT_EQ(ns.getXattr(out.ino, b("system.posix_acl_default"), inherited), 0);
  EXPECT_EQ(inherited.asPtr(), encodeAcl(dflt).asPtr());
  ASSERT_EQ(ns.symlink(d, b("l"), b("f"), 0, 0, out), 0);
  EXPECT_EQ(this->names(out.ino), "");
}

TYPED_TEST(XattrTest, DeletedWithTheInode) {
  auto& ns = *this->ns;
  uint64_t f = this->file(this->root, "f");
  uint64_t d = this->dirAt(this->root, "d");
  uint64_t g = this->file(this->root, "g");
  ASSERT_EQ(this->set(f, "user.a", "1"), 0);
  ASSERT_EQ(this->set(f, "trusted.b", "2"), 0);
  ASSERT_EQ(this->set(d, "user.a", "1"), 0);
  ASSERT_EQ(this->set(g, "user.a", "1"), 0);
  EXPECT_TRUE(this->attr(f).hasXattrs);  // kept in the inode record: removal scans then
  Inode out;
  ASSERT_EQ(ns.link(f, this->root, b("f2"), out), 0);
  ASSERT_EQ(ns.unlink(this->root, b("f")), 0);
  EXPECT_EQ(this->storedXattrs(f), 2u);  // still linked as f2
  ASSERT_EQ(ns.unlink(this->root, b("f2")), 0);
  EXPECT_EQ(this->storedXattrs(f), 0u);
  ASSERT_EQ(ns.rmdir(this->root, b("d")), 0);
  EXPECT_EQ(this->storedXattrs(d), 0u);
  uint64_t h = this->file(this->root, "h");
  ASSERT_EQ(ns.rename(this->root, b("h"), this->root, b("g"), 0), 0);
  EXPECT_EQ(this->storedXattrs(g), 0u);
  EXPECT_EQ(this->names(h), "");
  EXPECT_FALSE(this->attr(h).hasXattrs);
}

TYPED_TEST(XattrTest, OrphanKeepsXattrsUntilDropped) {
  OpenFiles open;
  Namespace ns(*this->store, this->clock, this->attr(this->root).volumeId, this->root,
               this->kGraceNs, &open);
  uint64_t f = this->file(this->root, "f");
  Inode out;
  ASSERT_EQ(ns.setXattr(f, b("user.a"), b("1"), 0, out), 0);
  open.open(f);
  ASSERT_EQ(ns.unlink(this->root, b("f")), 0);
  Bytes v;
  EXPECT_EQ(ns.getXattr(f, b("user.a"), v), 0);  // fgetxattr on the open file
  EXPECT_TRUE(open.release(f));
  ns.releaseOrphan(f);
  EXPECT_EQ(this->storedXattrs(f), 0u);

  // Purged at master start: orphans left by a crash lose their xattrs too.
  uint64_t g = this->file(this->root, "g");
  ASSERT_EQ(ns.setXattr(g, b("user.a"), b("1"), 0, out), 0);
  open.open(g);
  ASSERT_EQ(ns.unlink(this->root, b("g")), 0);
  EXPECT_EQ(this->storedXattrs(g), 1u);
  Namespace::purgeOrphans(*this->store, this->clock, this->kGraceNs);
  EXPECT_EQ(this->storedXattrs(g), 0u);
}

}  // namespace
}  // namespace dfs
