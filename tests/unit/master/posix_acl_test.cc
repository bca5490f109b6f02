// Tests for the POSIX ACL codec and the ACL <-> mode rules (setfacl, chmod, inheritance).
#include "common/acl/posix_acl.h"
#include <gtest/gtest.h>
#include <cerrno>
#include <initializer_list>
#include <sys/stat.h>

namespace dfs {
namespace {

constexpr uint32_t kNone = 0xffffffff;

Acl make(std::initializer_list<AclEntry> entries) { return kj::heapArray<AclEntry>(entries); }

// The ACL of `setfacl -m u:1000:rw` on a 0640 file.
Acl withUser() {
  return make({{ACL_TAG_USER_OBJ, 6, kNone}, {ACL_TAG_USER, 6, 1000},
               {ACL_TAG_GROUP_OBJ, 4, kNone}, {ACL_TAG_MASK, 6, kNone},
               {ACL_TAG_OTHER, 0, kNone}});
}

Acl minimal(uint16_t u, uint16_t g, uint16_t o) {
  return make({{ACL_TAG_USER_OBJ, u, kNone}, {ACL_TAG_GROUP_OBJ, g, kNone},
               {ACL_TAG_OTHER, o, kNone}});
}

void expectSame(kj::ArrayPtr<const AclEntry> want, kj::ArrayPtr<const AclEntry> got) {
  ASSERT_EQ(want.size(), got.size());
  for (size_t i = 0; i < want.size(); ++i) {
    EXPECT_EQ(want[i].tag, got[i].tag) << i;
    EXPECT_EQ(want[i].perm, got[i].perm) << i;
    EXPECT_EQ(want[i].id, got[i].id) << i;
  }
}

TEST(PosixAcl, RoundTripAndWireLayout) {
  auto value = encodeAcl(withUser());
  ASSERT_EQ(value.size(), 4u + 5 * 8);
  // Little-endian header version 2, then {tag, perm, id} of the first entry.
  EXPECT_EQ(value[0], 2); EXPECT_EQ(value[1], 0); EXPECT_EQ(value[2], 0); EXPECT_EQ(value[3], 0);
  EXPECT_EQ(value[4], 0x01); EXPECT_EQ(value[6], 6);
  EXPECT_EQ(value[8], 0xff);
  EXPECT_EQ(value[12], 0x02); EXPECT_EQ(value[16], 1000 & 0xff); EXPECT_EQ(value[17], 1000 >> 8);
  Acl back;
  ASSERT_EQ(decodeAcl(value, back), 0);
  expectSame(withUser(), back);
}

TEST(PosixAcl, HeaderOnlyIsEmpty) {
  Acl acl;
  ASSERT_EQ(decodeAcl(encodeAcl(nullptr), acl), 0);
  EXPECT_EQ(acl.size(), 0u);
}

TEST(PosixAcl, InvalidValuesAreEinval) {
  Acl acl;
  auto good = encodeAcl(withUser());
  EXPECT_EQ(decodeAcl(good.slice(0, 3), acl), EINVAL);               // short header
  EXPECT_EQ(decodeAcl(good.slice(0, good.size() - 1), acl), EINVAL);  // partial entry
  auto badVersion = kj::heapArray<kj::byte>(good.asPtr());
  badVersion[0] = 1;
  EXPECT_EQ(decodeAcl(badVersion, acl), EINVAL);
  auto badPerm = withUser();
  badPerm[1].perm = 8;
  EXPECT_EQ(decodeAcl(encodeAcl(badPerm), acl), EINVAL);
  auto badTag = withUser();
  badTag[1].tag = 0x40;
  EXPECT_EQ(decodeAcl(encodeAcl(badTag), acl), EINVAL);
  // A named entry needs a mask; the base entries are required and ordered.
  EXPECT_EQ(decodeAcl(encodeAcl(make({{ACL_TAG_USER_OBJ, 6, kNone}, {ACL_TAG_USER, 6, 1},
                                       {ACL_TAG_GROUP_OBJ, 4, kNone},
                                       {ACL_TAG_OTHER, 0, kNone}})), acl), EINVAL);
  EXPECT_EQ(decodeAcl(encodeAcl(make({{ACL_TAG_USER_OBJ, 6, kNone},
                                       {ACL_TAG_OTHER, 0, kNone}})), acl), EINVAL);
  EXPECT_EQ(decodeAcl(encodeAcl(make({{ACL_TAG_GROUP_OBJ, 6, kNone}, {ACL_TAG_USER_OBJ, 6, kNone},
                                       {ACL_TAG_OTHER, 0, kNone}})), acl), EINVAL);
  EXPECT_EQ(decodeAcl(encodeAcl(make({{ACL_TAG_USER_OBJ, 6, kNone},
                                       {ACL_TAG_GROUP_OBJ, 4, kNone}, {ACL_TAG_OTHER, 0, kNone},
                                       {ACL_TAG_OTHER, 0, kNone}})), acl), EINVAL);
  EXPECT_EQ(decodeAcl(encodeAcl(minimal(7, 5, 0)), acl), 0);
}

TEST(PosixAcl, ModeFromAcl) {
  uint32_t mode = S_IFREG | S_ISGID | 0777;
  EXPECT_FALSE(aclToMode(withUser(), mode));
  EXPECT_EQ(mode, uint32_t(S_IFREG | S_ISGID | 0660));  // group bits = mask
  EXPECT_TRUE(aclToMode(minimal(7, 5, 0), mode));
  EXPECT_EQ(mode, uint32_t(S_IFREG | S_ISGID | 0750));
}

TEST(PosixAcl, ChmodUpdatesOwnerMaskOther) {
  auto acl = withUser();
  aclChmod(acl, 0604);
  EXPECT_EQ(acl[0].perm, 6); EXPECT_EQ(acl[1].perm, 6);  // named entry untouched
  EXPECT_EQ(acl[2].perm, 4);                             // group entry untouched
  EXPECT_EQ(acl[3].perm, 0);                             // mask
  EXPECT_EQ(acl[4].perm, 4);
  auto base = minimal(7, 7, 7);
  aclChmod(base, 0751);
  EXPECT_EQ(base[0].perm, 7); EXPECT_EQ(base[1].perm, 5); EXPECT_EQ(base[2].perm, 1);
}

TEST(PosixAcl, CreateMasksAclAndMode) {
  // default: u::rwx u:1000:rwx g::r-x m::rwx o::---; create(0666) -> 0660 and mask rw-.
  auto dflt = make({{ACL_TAG_USER_OBJ, 7, kNone}, {ACL_TAG_USER, 7, 1000},
                    {ACL_TAG_GROUP_OBJ, 5, kNone}, {ACL_TAG_MASK, 7, kNone},
                    {ACL_TAG_OTHER, 0, kNone}});
  uint32_t mode = S_IFREG | 0666;
  Acl acl;
  ASSERT_TRUE(aclCreate(dflt, mode, acl));
  EXPECT_EQ(mode, uint32_t(S_IFREG | 0660));
  EXPECT_EQ(acl[0].perm, 6); EXPECT_EQ(acl[1].perm, 7); EXPECT_EQ(acl[2].perm, 5);
  EXPECT_EQ(acl[3].perm, 6); EXPECT_EQ(acl[4].perm, 0);
  // A minimal default ACL leaves only a mode: create(0777) under u::rwx g::r-x o::r-- -> 0754.
  mode = S_IFDIR | S_ISGID | 0777;
  Acl none;
  EXPECT_FALSE(aclCreate(minimal(7, 5, 4), mode, none));
  EXPECT_EQ(mode, uint32_t(S_IFDIR | S_ISGID | 0754));
  EXPECT_EQ(none.size(), 0u);
}

}  // namespace
}  // namespace dfs
