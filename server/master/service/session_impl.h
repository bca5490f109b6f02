// SessionImpl: one mount of one volume — the wire face of Namespace, allocation, statfs.
#pragma once

#include "server/master/namespace/namespace.h"
#include "server/master/service/master_core.h"
#include "server/master/service/master_metrics.h"
#include <master.capnp.h>
#include <unordered_map>

namespace dfs {

class SessionImpl final : public wire::Session::Server {
public:
  // Registers the mount in core.sessions; the destructor (the client dropped the
  // capability or the connection) removes it.
  // With a cacheClient (quorum mounts), the session's cached names and attributes are
  // tracked and invalidated when other sessions change them (CacheWatch).
  SessionImpl(MasterCore& core, Volume volume, kj::StringPtr clientName,
              wire::Consistency consistency,
              kj::Maybe<wire::CacheClient::Client> cacheClient = nullptr);
  ~SessionImpl() noexcept(false);

  // requestId is accepted but not yet remembered: at-most-once retry dedup is future work.
  kj::Promise<void> lookup(LookupContext context) override;
  kj::Promise<void> getAttr(GetAttrContext context) override;
  kj::Promise<void> setAttr(SetAttrContext context) override;
  kj::Promise<void> mknod(MknodContext context) override;
  kj::Promise<void> mkdir(MkdirContext context) override;
  kj::Promise<void> symlink(SymlinkContext context) override;
  kj::Promise<void> readlink(ReadlinkContext context) override;
  kj::Promise<void> link(LinkContext context) override;
  kj::Promise<void> unlink(UnlinkContext context) override;
  kj::Promise<void> rmdir(RmdirContext context) override;
  kj::Promise<void> rename(RenameContext context) override;
  kj::Promise<void> readdir(ReaddirContext context) override;
  kj::Promise<void> statfs(StatfsContext context) override;
  kj::Promise<void> getExtents(GetExtentsContext context) override;
  kj::Promise<void> allocateBlocks(AllocateBlocksContext context) override;
  kj::Promise<void> commit(CommitContext context) override;
  kj::Promise<void> ping(PingContext context) override;
  kj::Promise<void> open(OpenContext context) override;
  kj::Promise<void> release(ReleaseContext context) override;
  kj::Promise<void> sync(SyncContext context) override;
  kj::Promise<void> fallocate(FallocateContext context) override;
  kj::Promise<void> copyRange(CopyRangeContext context) override;
  kj::Promise<void> setXattr(SetXattrContext context) override;
  kj::Promise<void> getXattr(GetXattrContext context) override;
  kj::Promise<void> listXattr(ListXattrContext context) override;
  kj::Promise<void> removeXattr(RemoveXattrContext context) override;
  // File locks (session_locks.cc), held in core.locks under (sessionId, owner).
  kj::Promise<void> getLock(GetLockContext context) override;
  kj::Promise<void> setLock(SetLockContext context) override;
  kj::Promise<void> releaseLocks(ReleaseLocksContext context) override;
  kj::Promise<void> touchAtime(TouchAtimeContext context) override;
  kj::Promise<void> addCopies(AddCopiesContext context) override;
  kj::Promise<void> reserveInodes(ReserveInodesContext context) override;

  // Every call (session_leases.cc): one that touches a directory another session holds
  // the lease on waits for the lease's recall (DirLeases), then runs; the others run as
  // they arrive, so this session's asynchronous operations apply in the order sent.
  // Once a newer session of the same mount replaced this one, every call (also one that
  // was waiting for a recall) fails with DISCONNECTED and changes nothing.
  DispatchCallResult dispatchCall(
      uint64_t interfaceId, uint16_t methodId,
      capnp::CallContext<capnp::AnyPointer, capnp::AnyPointer> context) override;

  uint64_t id() const { return sessionId; }

private:
  MasterCore& core;
  Volume volume;
  Namespace ns;
  uint64_t sessionId;
  kj::StringPtr clientName() const;  // as registered in core.sessions
  std::unordered_map<uint64_t, uint32_t> opens;  // this session's opens, released at its end
  void registerOpen(uint64_t ino);
  // The volume's replica count now (an admin may have changed it since the mount).
  uint32_t currentReplicas();
  void releaseOne(uint64_t ino);
  // Bytes the volume's files can use in all / still (live nodes' space / replicas).
  void usableSpace(uint64_t& total, uint64_t& free);

  // Directory leases (session_leases.cc). The directories whose entries or attributes
  // call `methodId` reads or changes (those whose leases it must recall first).
  kj::Vector<uint64_t> leaseDirsOf(uint16_t methodId, capnp::AnyPointer::Reader params);
  // The recall call `methodId` needs before it runs (null: none).
  kj::Maybe<kj::Promise<void>> recallFor(
      uint16_t methodId, capnp::CallContext<capnp::AnyPointer, capnp::AnyPointer>& context);
  // The exception a call of a superseded session fails with (null: not superseded).
  kj::Maybe<kj::Exception> refusedAsStale(uint16_t methodId);
  // Runs the call once `recalled` resolved and no other recall is needed.
  kj::Promise<void> afterRecall(kj::Promise<void> recalled, uint64_t interfaceId,
                                uint16_t methodId,
                                capnp::CallContext<capnp::AnyPointer, capnp::AnyPointer> context);
  struct InodeRange {
    uint64_t next;
    uint64_t end;
  };
  kj::Vector<InodeRange> reserved;  // from reserveInodes, not used yet
  static constexpr size_t kMaxReservedRanges = 16;
  // Takes `ino` from the reserved ranges (false: not in one, or below one already used).
  bool takeReserved(uint64_t ino);
  // 0 for a synchronous call; for an asynchronous one ESTALE unless this session holds
  // `dir`'s lease.
  int asyncAllowed(bool async, uint64_t dir) const;
  // Resolves when the replies of this session's asynchronous calls go: together, at most
  // kAsyncReplyDelay after the first of them was applied. Nobody waits for them, and one
  // wakeup of the mount per batch instead of per call keeps a busy mount on its callers'
  // CPU (on a small machine, a wakeup across CPUs costs more than the call).
  kj::Promise<void> asyncReply();
  kj::Maybe<kj::ForkedPromise<void>> replyBatch;
  kj::TimePoint replyBatchDue = kj::origin<kj::TimePoint>();
  static constexpr kj::Duration kAsyncReplyDelay = 5 * kj::MILLISECONDS;

  kj::Maybe<kj::Own<CacheWatch::Watcher>> watcher;
  // Records that this session was handed `ino`'s attributes / names of `dir`.
  void seen(uint64_t ino);
  void seenNames(uint64_t dir);
  // Starts serving one call: counts it (RpcScope) and, if this session's CacheWatch
  // records went past the limit, forgets them before anything of this call is recorded.
  RpcScope callScope(RpcMethod method);
  // Invalidates `change` in the other sessions' caches; resolves when they dropped it.
  kj::Promise<void> changed(const CacheChange& change);
  // After a name was created (mknod, mkdir, symlink, link) or removed (unlink, rmdir):
  // records and invalidates what it changed.
  kj::Promise<void> created(uint64_t parent, BytesPtr name, int err, const Inode& node);
  kj::Promise<void> removed(uint64_t parent, BytesPtr name, int err, uint64_t ino);
  // Sets results.parentAttr to directory `parent` as it is now (after a successful change
  // of its entries) and records that this session was handed it.
  template <typename Results>
  void replyParent(Results results, int err, uint64_t parent);
};

}  // namespace dfs
