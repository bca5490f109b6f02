// Tests for FuseWire: the INIT reply gains FUSE_HANDLE_KILLPRIV_V2 only when the kernel
// offers it and the mount wants it; WRITE and SETATTR kill flags are seen for the request
// being served (and only once the flag was taken); requests are counted by opcode, and
// those waiting for an answer; reads and writes go through a real descriptor.
#include "client/fuse/fuse_wire.h"
#include <gtest/gtest.h>
#include <linux/fuse.h>
#include <unistd.h>
#include <cerrno>
#include <cstring>
#include <vector>

namespace dfs {
namespace {

std::vector<char> request(uint32_t opcode, uint64_t unique, const void* arg, size_t size) {
  struct fuse_in_header in;
  memset(&in, 0, sizeof(in));
  in.len = static_cast<uint32_t>(sizeof(in) + size);
  in.opcode = opcode;
  in.unique = unique;
  in.nodeid = 1;
  std::vector<char> out(sizeof(in) + size);
  memcpy(out.data(), &in, sizeof(in));
  memcpy(out.data() + sizeof(in), arg, size);
  return out;
}

std::vector<char> init(uint64_t unique, uint32_t flags) {
  struct fuse_init_in arg;
  memset(&arg, 0, sizeof(arg));
  arg.major = 7;
  arg.minor = 38;
  arg.flags = flags;
  return request(FUSE_INIT, unique, &arg, sizeof(arg));
}

// The flags of the INIT reply (unique `unique`) as FuseWire leaves them.
uint32_t replyFlags(FuseWire& wire, uint64_t unique, int32_t error = 0) {
  struct fuse_out_header out;
  memset(&out, 0, sizeof(out));
  out.unique = unique;
  out.error = error;
  struct fuse_init_out body;
  memset(&body, 0, sizeof(body));
  body.flags = FUSE_ASYNC_READ;
  struct iovec iov[2] = {{&out, sizeof(out)}, {&body, sizeof(body)}};
  wire.amendReply(iov, 2);
  return body.flags;
}

TEST(FuseWire, InitReplyTakesKillPrivWhenOfferedAndWanted) {
  FuseWire wire(true);
  auto in = init(5, FUSE_ASYNC_READ | FUSE_HANDLE_KILLPRIV_V2);
  wire.noteRequest(in.data(), in.size());
  EXPECT_FALSE(wire.handlesKillPriv());
  EXPECT_EQ(replyFlags(wire, 4), uint32_t(FUSE_ASYNC_READ));  // another request's reply
  EXPECT_EQ(replyFlags(wire, 5), uint32_t(FUSE_ASYNC_READ | FUSE_HANDLE_KILLPRIV_V2));
  EXPECT_TRUE(wire.handlesKillPriv());
  EXPECT_EQ(replyFlags(wire, 5), uint32_t(FUSE_ASYNC_READ));  // only the one reply
  EXPECT_EQ(wire.requests(FUSE_INIT), 1u);
}

TEST(FuseWire, InitReplyUnchangedWhenNotOfferedOrNotWantedOrFailed) {
  FuseWire old(true);
  auto in = init(1, FUSE_ASYNC_READ);
  old.noteRequest(in.data(), in.size());
  EXPECT_EQ(replyFlags(old, 1), uint32_t(FUSE_ASYNC_READ));
  EXPECT_FALSE(old.handlesKillPriv());

  FuseWire off(false);
  auto offered = init(1, FUSE_HANDLE_KILLPRIV_V2);
  off.noteRequest(offered.data(), offered.size());
  EXPECT_EQ(replyFlags(off, 1), uint32_t(FUSE_ASYNC_READ));
  EXPECT_FALSE(off.handlesKillPriv());

  FuseWire failed(true);
  failed.noteRequest(offered.data(), offered.size());
  EXPECT_EQ(replyFlags(failed, 1, -EPROTO), uint32_t(FUSE_ASYNC_READ));
  EXPECT_FALSE(failed.handlesKillPriv());
}

TEST(FuseWire, KillFlagsOfTheRequestBeingServed) {
  FuseWire wire(true);
  struct fuse_write_in write;
  memset(&write, 0, sizeof(write));
  write.size = 1;
  write.write_flags = FUSE_WRITE_KILL_SUIDGID;
  auto killingWrite = request(FUSE_WRITE, 2, &write, sizeof(write));
  // Before the kernel took the flag, a kill bit means nothing (it clears bits itself).
  wire.noteRequest(killingWrite.data(), killingWrite.size());
  EXPECT_FALSE(wire.killSuidgid());

  auto in = init(1, FUSE_HANDLE_KILLPRIV_V2);
  wire.noteRequest(in.data(), in.size());
  replyFlags(wire, 1);
  ASSERT_TRUE(wire.handlesKillPriv());
  wire.noteRequest(killingWrite.data(), killingWrite.size());
  EXPECT_TRUE(wire.killSuidgid());
  write.write_flags = 0;
  auto plainWrite = request(FUSE_WRITE, 3, &write, sizeof(write));
  wire.noteRequest(plainWrite.data(), plainWrite.size());
  EXPECT_FALSE(wire.killSuidgid());

  struct fuse_setattr_in setattr;
  memset(&setattr, 0, sizeof(setattr));
  setattr.valid = FATTR_UID | FATTR_KILL_SUIDGID;
  auto chown = request(FUSE_SETATTR, 4, &setattr, sizeof(setattr));
  wire.noteRequest(chown.data(), chown.size());
  EXPECT_TRUE(wire.killSuidgid());
  setattr.valid = FATTR_FH;  // file_remove_privs, chown(-1, -1)
  auto sameOwner = request(FUSE_SETATTR, 5, &setattr, sizeof(setattr));
  wire.noteRequest(sameOwner.data(), sameOwner.size());
  EXPECT_TRUE(wire.killSuidgid());
  setattr.valid = FATTR_CTIME | FATTR_MODE;  // a chmod
  auto chmod = request(FUSE_SETATTR, 6, &setattr, sizeof(setattr));
  wire.noteRequest(chmod.data(), chmod.size());
  EXPECT_FALSE(wire.killSuidgid());
  auto getattr = request(FUSE_GETATTR, 5, &setattr, 16);
  wire.noteRequest(getattr.data(), getattr.size());
  EXPECT_FALSE(wire.killSuidgid());  // the next request has its own

  // Truncated requests are counted but not parsed.
  wire.noteRequest(killingWrite.data(), sizeof(struct fuse_in_header) + 8);
  EXPECT_FALSE(wire.killSuidgid());
  wire.noteRequest(killingWrite.data(), 10);
  EXPECT_EQ(wire.requests(FUSE_WRITE), 4u);
  EXPECT_EQ(wire.requests(FUSE_SETATTR), 3u);
  EXPECT_EQ(wire.requests(FUSE_GETATTR), 1u);
  EXPECT_STREQ(FuseWire::opcodeName(FUSE_GETXATTR), "getxattr");
  EXPECT_EQ(FuseWire::opcodeName(7), nullptr);  // no such opcode
}

TEST(FuseWire, CountsRequestsWaitingForTheirAnswer) {
  FuseWire wire(true);
  char none = 0;
  auto lookup = request(FUSE_LOOKUP, 7, &none, 1);
  auto forget = request(FUSE_FORGET, 8, &none, 1);
  auto interrupt = request(FUSE_INTERRUPT, 9, &none, 1);
  auto getattr = request(FUSE_GETATTR, 10, &none, 1);
  wire.noteRequest(lookup.data(), lookup.size());
  wire.noteRequest(forget.data(), forget.size());     // never answered
  wire.noteRequest(interrupt.data(), interrupt.size());  // never answered
  wire.noteRequest(getattr.data(), getattr.size());
  EXPECT_EQ(wire.unanswered(), 2u);
  EXPECT_EQ(wire.answered(), 0u);

  struct fuse_out_header out;
  memset(&out, 0, sizeof(out));
  out.len = sizeof(out);
  struct iovec iov = {&out, sizeof(out)};
  out.unique = 0;  // a notification is no answer
  wire.noteReply(&iov, 1);
  EXPECT_EQ(wire.unanswered(), 2u);
  out.unique = 7;
  out.error = -ENOENT;
  wire.noteReply(&iov, 1);
  EXPECT_EQ(wire.unanswered(), 1u);
  out.unique = 10;
  out.error = 0;
  wire.noteReply(&iov, 1);
  EXPECT_EQ(wire.unanswered(), 0u);
  EXPECT_EQ(wire.answered(), 2u);
  wire.noteReply(&iov, 1);  // never below zero
  EXPECT_EQ(wire.unanswered(), 0u);
}

TEST(FuseWire, ReadsAndWritesThroughADescriptor) {
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  FuseWire wire(true);
  auto in = init(9, FUSE_HANDLE_KILLPRIV_V2);
  ASSERT_EQ(::write(fds[1], in.data(), in.size()), ssize_t(in.size()));
  std::vector<char> buf(4096);
  ASSERT_EQ(wire.read(fds[0], buf.data(), buf.size()), ssize_t(in.size()));
  EXPECT_EQ(wire.requests(FUSE_INIT), 1u);

  struct fuse_out_header out;
  memset(&out, 0, sizeof(out));
  out.unique = 9;
  out.len = sizeof(out) + sizeof(struct fuse_init_out);
  struct fuse_init_out body;
  memset(&body, 0, sizeof(body));
  struct iovec iov[2] = {{&out, sizeof(out)}, {&body, sizeof(body)}};
  ASSERT_EQ(wire.writev(fds[1], iov, 2), ssize_t(out.len));
  struct {
    struct fuse_out_header out;
    struct fuse_init_out body;
  } sent;
  ASSERT_EQ(::read(fds[0], &sent, sizeof(sent)), ssize_t(sizeof(sent)));
  EXPECT_EQ(sent.body.flags, uint32_t(FUSE_HANDLE_KILLPRIV_V2));
  close(fds[0]);
  close(fds[1]);
}

// A reply writev(2) refuses (more pieces than IOV_MAX) is answered with EIO instead: the
// caller gets an error rather than waiting forever. Notifications are not.
TEST(FuseWire, RefusedReplyIsAnsweredWithEio) {
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  FuseWire wire(false);
  struct fuse_out_header out;
  memset(&out, 0, sizeof(out));
  out.unique = 77;
  char byte = 'x';
  std::vector<struct iovec> iov(2000, iovec{&byte, 1});
  iov[0] = iovec{&out, sizeof(out)};
  out.len = sizeof(out) + iov.size() - 1;
  errno = 0;
  EXPECT_EQ(wire.writev(fds[1], iov.data(), int(iov.size())), -1);
  EXPECT_EQ(errno, EINVAL);  // still the caller's to see
  EXPECT_EQ(wire.refused(), 1u);
  struct fuse_out_header sent;
  ASSERT_EQ(::read(fds[0], &sent, sizeof(sent)), ssize_t(sizeof(sent)));
  EXPECT_EQ(sent.unique, 77u);
  EXPECT_EQ(sent.error, -EIO);
  EXPECT_EQ(sent.len, sizeof(sent));

  out.unique = 0;  // a notification: nobody waits for it
  EXPECT_EQ(wire.writev(fds[1], iov.data(), int(iov.size())), -1);
  EXPECT_EQ(wire.refused(), 1u);
  close(fds[1]);
  EXPECT_EQ(::read(fds[0], &sent, sizeof(sent)), 0);
  close(fds[0]);
}

}  // namespace
}  // namespace dfs
