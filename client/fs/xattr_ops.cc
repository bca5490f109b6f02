// Filesystem: extended attribute operations (setxattr, getxattr, listxattr, removexattr),
// each one master RPC. The kernel has checked the caller's rights (trusted.* needs
// CAP_SYS_ADMIN, user.* the file's permissions); listxattr hides trusted.* names from
// callers other than root, as ext4 does. The absence of security.capability, which the
// kernel asks for before each write(), is remembered for a second (see AbsentXattrs);
// an inode the master says has no xattrs at all is answered here while its attributes are
// current. An access ACL that only restates the mode of a file this mount is writing is
// kept as a chmod for its commit (aclAsChmod).
#include "filesystem.h"
#include "common/acl/posix_acl.h"

#include <algorithm>
#include <sys/xattr.h>

#include <kj/debug.h>
#include <cstring>
#include <cerrno>

namespace dfs {
namespace {

kj::Array<kj::byte> bytesOf(const char* s, size_t size) {
  return kj::heapArray<kj::byte>(reinterpret_cast<const kj::byte*>(s), size);
}

constexpr char kCapability[] = "security.capability";

bool isTrusted(capnp::Data::Reader name) {
  return name.size() >= 8 && memcmp(name.begin(), "trusted.", 8) == 0;
}

// Replies a value (or list) of `size` bytes to a request that offered `room` bytes:
// size 0 asks for the size only; a value that does not fit is ERANGE.
void replySized(fuse_req_t req, kj::ArrayPtr<const kj::byte> data, size_t room) {
  if (room == 0) return (void)fuse_reply_xattr(req, data.size());
  if (data.size() > room) return (void)fuse_reply_err(req, ERANGE);
  fuse_reply_buf(req, reinterpret_cast<const char*>(data.begin()), data.size());
}

// The caller's gid and supplementary groups (empty if the kernel cannot tell them).
kj::Array<uint32_t> callerGroups(fuse_req_t req) {
  kj::Vector<gid_t> list(64);
  list.resize(64);
  int n = fuse_req_getgroups(req, static_cast<int>(list.size()), list.begin());
  if (n > static_cast<int>(list.size())) {
    list.resize(n);
    n = fuse_req_getgroups(req, n, list.begin());
  }
  kj::Vector<uint32_t> out;
  out.add(fuse_req_ctx(req)->gid);
  for (int k = 0; k < n && k < static_cast<int>(list.size()); ++k) out.add(list[k]);
  return out.releaseAsArray();
}

}  // namespace

bool Filesystem::aclAsChmod(fuse_req_t req, uint64_t ino, const char* value, size_t size,
                            int flags) {
  if ((flags & XATTR_REPLACE) != 0) return false;  // ENODATA: the master says so
  OpenFile* file = nullptr;
  KJ_IF_MAYBE(f, attrWriteBack(ino)) { file = f; } else { return false; }
  Acl acl;
  if (decodeAcl(kj::arrayPtr(reinterpret_cast<const kj::byte*>(value), size), acl) != 0) {
    return false;  // EINVAL: the master says so
  }
  AttrCopy shown = KJ_ASSERT_NONNULL(freshAttr(ino));
  file->data->pendingAttrs().applyTo(shown);
  uint32_t mode = shown.mode;
  if (acl.size() > 0 && !aclToMode(acl, mode)) return false;  // a real ACL: stored
  // As posix_acl_update_mode(): outside the file's group, S_ISGID does not survive.
  if (fuse_req_ctx(req)->uid != 0) {
    auto groups = callerGroups(req);
    if (std::find(groups.begin(), groups.end(), shown.gid) == groups.end()) {
      mode &= ~uint32_t(S_ISGID);
    }
  }
  PendingAttrs change;  // ctime moves even when the mode stays
  if (mode != shown.mode) change.mode = mode;
  deferAttrs(*file, kj::mv(change), wallClock.nowNs());
  fuse_reply_err(req, 0);
  return true;
}

kj::Promise<void> Filesystem::sendPendingAttrs(uint64_t ino) {
  KJ_IF_MAYBE(f, findOpen(ino)) {
    if (!f->data->pendingAttrs().empty()) return f->data->flush();
  }
  return kj::READY_NOW;
}

void Filesystem::setxattr(fuse_req_t req, fuse_ino_t ino, const char* nameC,
                          const char* value, size_t size, int flags) {
  uint64_t i = toMaster(ino);
  if (strcmp(nameC, kCapability) == 0) noCapability.forget(i);
  bool accessAcl = strcmp(nameC, kAclAccessXattr.cStr()) == 0;
  // An access ACL that only restates the mode is a chmod (cp -a, tar --acls): kept with
  // the other changes of a file this mount is writing.
  if (accessAcl && aclAsChmod(req, i, value, size, flags)) return;
  auto name = bytesOf(nameC, strlen(nameC));
  auto data = bytesOf(value, size);
  // Setting an access ACL may clear S_ISGID: the master needs the caller's groups.
  bool privileged = fuse_req_ctx(req)->uid == 0;
  auto groups = !privileged && accessAcl ? callerGroups(req) : kj::Array<uint32_t>();
  run(req, sendPendingAttrs(i).then([this, i, name = kj::mv(name), data = kj::mv(data),
                                     flags, privileged, groups = kj::mv(groups)]() mutable {
             return master.call([i, name = kj::mv(name), data = kj::mv(data), flags,
                                 privileged, groups = kj::mv(groups)](wire::Session::Client& s) {
                 auto r = s.setXattrRequest();
                 r.setIno(i);
                 r.setName(name);
                 r.setValue(data);
                 r.setFlags(static_cast<uint32_t>(flags));
                 r.setPrivileged(privileged);
                 r.setGroups(groups);
                 r.setRequestId(0);
                 return r.send();
               });
           }).then(changedReply(req, i)));
}

void Filesystem::getxattr(fuse_req_t req, fuse_ino_t ino, const char* nameC, size_t size) {
  uint64_t i = toMaster(ino);
  bool capability = strcmp(nameC, kCapability) == 0;
  if (capability && noCapability.absent(i, timer.now())) return (void)fuse_reply_err(req, ENODATA);
  if (knownWithoutXattrs(i)) return (void)fuse_reply_err(req, ENODATA);
  auto name = bytesOf(nameC, strlen(nameC));
  run(req, master
               .call([i, name = kj::mv(name)](wire::Session::Client& s) {
                 auto r = s.getXattrRequest();
                 r.setIno(i);
                 r.setName(name);
                 return r.send();
               })
               .then([this, req, i, size, capability](
                         capnp::Response<wire::Session::GetXattrResults> r) {
                 if (capability && r.getErr() == ENODATA) noCapability.remember(i, timer.now());
                 if (r.getErr() != 0) return (void)fuse_reply_err(req, r.getErr());
                 replySized(req, r.getValue(), size);
               }));
}

void Filesystem::listxattr(fuse_req_t req, fuse_ino_t ino, size_t size) {
  uint64_t i = toMaster(ino);
  bool privileged = fuse_req_ctx(req)->uid == 0;
  if (knownWithoutXattrs(i)) return replySized(req, nullptr, size);
  run(req, master
               .call([i](wire::Session::Client& s) {
                 auto r = s.listXattrRequest();
                 r.setIno(i);
                 return r.send();
               })
               .then([req, size, privileged](
                         capnp::Response<wire::Session::ListXattrResults> r) {
                 if (r.getErr() != 0) return (void)fuse_reply_err(req, r.getErr());
                 kj::Vector<kj::byte> list;
                 for (auto name : r.getNames()) {
                   if (!privileged && isTrusted(name)) continue;
                   list.addAll(name);
                   list.add(0);
                 }
                 replySized(req, list.asPtr(), size);
               }));
}

void Filesystem::removexattr(fuse_req_t req, fuse_ino_t ino, const char* nameC) {
  uint64_t i = toMaster(ino);
  if (strcmp(nameC, kCapability) == 0) noCapability.forget(i);
  auto name = bytesOf(nameC, strlen(nameC));
  run(req, sendPendingAttrs(i)
               .then([this, i, name = kj::mv(name)]() mutable {
                 return master.call([i, name = kj::mv(name)](wire::Session::Client& s) {
                   auto r = s.removeXattrRequest();
                   r.setIno(i);
                   r.setName(name);
                   r.setRequestId(0);
                   return r.send();
                 });
               })
               .then(changedReply(req, i)));
}

}  // namespace dfs
