// FuseWire: the mount's reads and writes of /dev/fuse (libfuse's custom io), for the parts
// of the FUSE protocol that Debian's libfuse 3.14 does not know.
//
// FUSE_HANDLE_KILLPRIV_V2 (kernel 5.11, protocol 7.33): the file system clears the
// set-user-ID and set-group-ID bits itself on write, truncate and chown, and the kernel
// marks the super block SB_NOSEC. A file then found without security.capability is not
// asked again before each write until its attributes are refreshed: without it every
// write(2) costs a GETXATTR round trip before the WRITE. libfuse 3.14 neither offers the
// flag nor passes on the requests' kill flags, so:
//   - read() notes the kernel's INIT flags and, for each request, whether it asks to kill
//     (WRITE's FUSE_WRITE_KILL_SUIDGID, SETATTR's FATTR_KILL_SUIDGID, or a SETATTR that
//     sets no field: the kernel's removal of privileges, and chown(-1, -1));
//   - writev() adds FUSE_HANDLE_KILLPRIV_V2 to the INIT reply when the kernel offers it
//     and the mount wants it.
// libfuse calls the operation for a request before it reads the next one, so the
// operation asks killSuidgid() about the request it is serving.
//
// It also counts the requests still waiting for their answer (unanswered()): the loop
// that reads /dev/fuse keeps polling while the mount is about to answer one.
#pragma once

#include <sys/types.h>
#include <sys/uio.h>
#include <array>
#include <cstddef>
#include <cstdint>

namespace dfs {

class FuseWire {
public:
  explicit FuseWire(bool handleKillPriv) : wantKillPriv(handleKillPriv) {}

  // The custom io's calls (same contracts as read(2) and writev(2)). A reply writev(2)
  // refuses with EINVAL (libfuse frees the request whatever the outcome) is answered
  // with EIO instead, so its caller does not wait forever.
  ssize_t read(int fd, void* buf, size_t size);
  ssize_t writev(int fd, struct iovec* iov, int count);
  // Replies refused and answered with EIO instead.
  uint64_t refused() const { return refusedReplies; }

  // What read() and writev() do besides the system call (public for tests).
  void noteRequest(const void* request, size_t size);
  void noteReply(const struct iovec* iov, int count);
  void amendReply(struct iovec* iov, int count);
  void answerRefusedReply(int fd, const struct iovec* iov, int count);

  // Requests read that expect an answer (all but FORGET, BATCH_FORGET and INTERRUPT) and
  // have not had it yet.
  uint64_t unanswered() const { return waiting; }
  // Answers written so far.
  uint64_t answered() const { return answers; }

  // The request being served asks to clear S_ISUID, and S_ISGID where group-execute is
  // set (the caller lacks CAP_FSETID, or chowns a non-directory).
  bool killSuidgid() const { return currentKill; }
  // The kernel took FUSE_HANDLE_KILLPRIV_V2: it no longer clears those bits itself on
  // write, truncate and chown (nor on fallocate and copy_file_range).
  bool handlesKillPriv() const { return killPrivTaken; }

  // Requests read with this opcode (FUSE_LOOKUP, ...), for the mount's metrics.
  uint64_t requests(uint32_t opcode) const {
    return opcode < counts.size() ? counts[opcode] : 0;
  }
  static constexpr uint32_t kOpcodes = 64;  // opcodes counted: 0 .. kOpcodes-1
  // The operation's name in lower case ("getxattr"), null for opcodes not known here.
  static const char* opcodeName(uint32_t opcode);

private:
  bool wantKillPriv;
  uint64_t initUnique = 0;  // the INIT request whose reply is still to come
  bool kernelOffersKillPriv = false;
  bool killPrivTaken = false;
  bool currentKill = false;
  uint64_t waiting = 0;
  uint64_t answers = 0;
  uint64_t refusedReplies = 0;
  std::array<uint64_t, kOpcodes> counts{};
};

}  // namespace dfs
