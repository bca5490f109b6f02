// SessionImpl: request decoding, Namespace calls, reply encoding.
#include "server/master/service/session_impl.h"
#include "server/master/store/block_record.h"
#include "server/master/service/master_metrics.h"
#include "server/master/store/keys.h"
#include "server/master/store/records.h"
#include "common/base/limits.h"
#include <cerrno>
#include <kj/debug.h>

namespace dfs {

SessionImpl::SessionImpl(MasterCore& core, Volume volumeIn, kj::StringPtr clientName,
                         wire::Consistency consistency,
                         kj::Maybe<wire::CacheClient::Client> cacheClient)
    : core(core), volume(kj::mv(volumeIn)),
      ns(core.store, core.clock, volume.id, volume.rootIno, core.config.gcGraceNs,
         &core.openFiles),
      sessionId(core.sessions.add(clientName, volume.name, core.clock.nowNs(), consistency)) {
  // Quorum mounts are waited for; eventual ones are told without waiting.
  KJ_IF_MAYBE(c, cacheClient) {
    watcher = core.cacheWatch.add(sessionId, kj::mv(*c),
                                  consistency == wire::Consistency::QUORUM);
  }
}

SessionImpl::~SessionImpl() noexcept(false) {
  core.sessions.remove(sessionId);
  core.leases.ended(sessionId);
  core.locks.releaseSession(sessionId);  // wakes whoever waited for this mount's locks
  if (!core.stopping) {  // the client's doing: no need to wait for it after a restart
    KJ_IF_MAYBE(e, kj::runCatchingExceptions([&]() { core.lockHolders.ended(sessionId); })) {
      KJ_LOG(ERROR, "could not drop the lock holder record of an ended session", *e);
    }
  }
  auto held = kj::mv(opens);
  if (!core.stopping) {
    // The mount may be back in a moment (a lost connection) with the same files open.
    core.releaseOpensLater(volume.id, volume.rootIno, kj::mv(held));
    return;
  }
  // Going down: orphans stay for the next run, whose mounts may register them again (it
  // deletes those nobody opened once its grace ends).
  for (auto& entry : held) {
    for (uint32_t i = 0; i < entry.second; ++i) core.openFiles.release(entry.first);
  }
}

kj::StringPtr SessionImpl::clientName() const {
  auto& all = core.sessions.all();
  auto it = all.find(sessionId);
  return it == all.end() ? kj::StringPtr("") : it->second.clientName.asPtr();
}

kj::Promise<void> SessionImpl::open(OpenContext context) {
  auto rpcScope = callScope(RpcMethod::OPEN);
  uint64_t ino = context.getParams().getIno();
  Inode node;
  int err = ns.getAttr(ino, node);
  if (err == 0) {
    registerOpen(ino);
    seen(ino);
  }
  auto results = context.getResults();
  results.setErr(err);
  if (err == 0) node.toWire(results.initAttr());
  return kj::READY_NOW;
}

kj::Promise<void> SessionImpl::release(ReleaseContext context) {
  auto rpcScope = callScope(RpcMethod::RELEASE);
  auto p = context.getParams();
  auto more = p.getMore();
  KJ_REQUIRE(more.size() <= kMaxReleaseBatch, "too many inodes in one release", more.size());
  releaseOne(p.getIno());
  for (auto ino : more) releaseOne(ino);
  return kj::READY_NOW;
}

void SessionImpl::registerOpen(uint64_t ino) {
  ++opens[ino];
  core.openFiles.open(ino);
}

RpcScope SessionImpl::callScope(RpcMethod method) {
  KJ_IF_MAYBE(w, watcher) (*w)->startCall();
  return RpcScope(core.rpcMetrics, method);
}

void SessionImpl::seen(uint64_t ino) {
  KJ_IF_MAYBE(w, watcher) (*w)->attrs(ino);
}

void SessionImpl::seenNames(uint64_t dir) {
  KJ_IF_MAYBE(w, watcher) (*w)->names(dir);
}

kj::Promise<void> SessionImpl::changed(const CacheChange& change) {
  return core.cacheWatch.changed(sessionId, change);
}

void SessionImpl::releaseOne(uint64_t ino) {
  auto it = opens.find(ino);
  if (it == opens.end()) return;
  if (--it->second == 0) opens.erase(it);
  if (core.openFiles.release(ino)) ns.releaseOrphan(ino);
}

// Sets err and, on success, the attr of a reply that has both.
template <typename Results>
static void reply(Results results, int err, const Inode& node) {
  results.setErr(err);
  if (err == 0) node.toWire(results.initAttr());
}

template <typename Results>
void SessionImpl::replyParent(Results results, int err, uint64_t parent) {
  if (err != 0) return;
  Inode dir;
  if (ns.getAttr(parent, dir) != 0) return;
  dir.toWire(results.initParentAttr());
  seen(parent);  // the mount may keep it: changes by others must reach it
}

kj::Promise<void> SessionImpl::lookup(LookupContext context) {
  auto rpcScope = callScope(RpcMethod::LOOKUP);
  auto p = context.getParams();
  Inode node;
  int err = ns.lookup(p.getParent(), p.getName(), node);
  if (err == 0 && node.isDir()) {
    // The mount may cache the directory's attributes from now on: its lease goes first.
    KJ_IF_MAYBE(recalled, core.leases.recall(sessionId, kj::arrayPtr(&node.ino, 1))) {
      return recalled->then([this, context]() mutable { return lookup(context); });
    }
  }
  seenNames(p.getParent());
  if (err == 0) seen(node.ino);
  reply(context.getResults(), err, node);
  return kj::READY_NOW;
}

kj::Promise<void> SessionImpl::getAttr(GetAttrContext context) {
  auto rpcScope = callScope(RpcMethod::GET_ATTR);
  Inode node;
  int err = ns.getAttr(context.getParams().getIno(), node);
  if (err == 0) seen(node.ino);
  reply(context.getResults(), err, node);
  return kj::READY_NOW;
}

// A wire SetAttrRequest as the namespace's arguments.
static SetAttrArgs setAttrArgsOf(wire::SetAttrRequest::Reader r) {
  SetAttrArgs args;
  args.ino = r.getIno();
  if (r.getSetMode()) args.mode = r.getMode();
  if (r.getSetUid()) args.uid = r.getUid();
  if (r.getSetGid()) args.gid = r.getGid();
  if (r.getSetSize()) args.size = r.getSize();
  args.setAtime = r.getSetAtime() || r.getAtimeNow();
  args.atimeNow = r.getAtimeNow();
  args.atimeNs = r.getAtimeNs();
  args.setMtime = r.getSetMtime() || r.getMtimeNow();
  args.mtimeNow = r.getMtimeNow();
  args.mtimeNs = r.getMtimeNs();
  args.ctimeNs = r.getCtimeNs();
  args.killSuidgid = r.getKillSuidgid();
  return args;
}

// The attributes a SetAttrArgs sets explicitly (other mounts drop their older changes).
static FieldsSet fieldsSetBy(uint64_t ino, const SetAttrArgs& args) {
  FieldsSet f;
  f.ino = ino;
  f.mode = args.mode != nullptr;
  f.uid = args.uid != nullptr;
  f.gid = args.gid != nullptr;
  f.atime = args.setAtime;
  f.mtime = args.setMtime;
  return f;
}

kj::Promise<void> SessionImpl::setAttr(SetAttrContext context) {
  auto rpcScope = callScope(RpcMethod::SET_ATTR);
  SetAttrArgs args = setAttrArgsOf(context.getParams().getReq());
  Inode node;
  int err = ns.setAttr(args, node);
  reply(context.getResults(), err, node);
  if (err != 0) return kj::READY_NOW;
  seen(node.ino);
  CacheChange change;
  if (args.size != nullptr) change.contents(node.ino);
  else change.attr(node.ino);
  return changed(change.fields(fieldsSetBy(node.ino, args)));
}

// The umask field of mknod/mkdir: 0xffffffff (its default) means none.
static kj::Maybe<uint32_t> umaskOf(uint32_t field) {
  if (field == 0xffffffff) return nullptr;
  return field;
}

kj::Promise<void> SessionImpl::mknod(MknodContext context) {
  auto rpcScope = callScope(RpcMethod::MKNOD);
  auto p = context.getParams();
  Inode node;
  ClientChoice choice;
  bool async = p.getIno() != 0;
  int err = asyncAllowed(async, p.getParent());
  if (err == 0 && async) {
    choice.ino = p.getIno();
    choice.timeNs = p.getTimeNs();
    if (!takeReserved(choice.ino)) err = EINVAL;
  }
  if (err == 0) {
    err = ns.mknod(p.getParent(), p.getName(), p.getMode(), p.getRdev(), p.getUid(),
                   p.getGid(), p.getExclusive(), node, umaskOf(p.getUmask()), choice);
  }
  if (err == 0 && p.getOpen()) registerOpen(node.ino);
  auto results = context.getResults();
  reply(results, err, node);
  if (!async) replyParent(results, err, p.getParent());  // (the mount did not wait)
  if (err == 0 && p.getWantLease()) {
    results.setLeased(core.leases.grant(sessionId, p.getParent()));
  }
  auto done = created(p.getParent(), p.getName(), err, node);
  if (!async) return done;
  return done.then([this]() { return asyncReply(); });
}

kj::Promise<void> SessionImpl::mkdir(MkdirContext context) {
  auto rpcScope = callScope(RpcMethod::MKDIR);
  auto p = context.getParams();
  Inode node;
  int err = ns.mkdir(p.getParent(), p.getName(), p.getMode(), p.getUid(), p.getGid(), node,
                     umaskOf(p.getUmask()));
  reply(context.getResults(), err, node);
  replyParent(context.getResults(), err, p.getParent());
  if (err == 0 && p.getWantLease()) {
    context.getResults().setLeased(core.leases.grant(sessionId, node.ino));
  }
  return created(p.getParent(), p.getName(), err, node);
}

kj::Promise<void> SessionImpl::symlink(SymlinkContext context) {
  auto rpcScope = callScope(RpcMethod::SYMLINK);
  auto p = context.getParams();
  Inode node;
  int err = ns.symlink(p.getParent(), p.getName(), p.getTarget(), p.getUid(), p.getGid(), node);
  reply(context.getResults(), err, node);
  replyParent(context.getResults(), err, p.getParent());
  return created(p.getParent(), p.getName(), err, node);
}

kj::Promise<void> SessionImpl::readlink(ReadlinkContext context) {
  auto rpcScope = callScope(RpcMethod::READLINK);
  Bytes target;
  int err = ns.readlink(context.getParams().getIno(), target);
  auto results = context.getResults();
  results.setErr(err);
  if (err == 0) results.setTarget(target);
  return kj::READY_NOW;
}

kj::Promise<void> SessionImpl::link(LinkContext context) {
  auto rpcScope = callScope(RpcMethod::LINK);
  auto p = context.getParams();
  Inode node;
  int err = ns.link(p.getIno(), p.getNewParent(), p.getNewName(), node);
  reply(context.getResults(), err, node);
  replyParent(context.getResults(), err, p.getNewParent());
  return created(p.getNewParent(), p.getNewName(), err, node);
}

kj::Promise<void> SessionImpl::unlink(UnlinkContext context) {
  auto rpcScope = callScope(RpcMethod::UNLINK);
  auto p = context.getParams();
  uint64_t ino = 0;
  int err = asyncAllowed(p.getAsync(), p.getParent());
  ClientChoice choice;
  if (p.getAsync()) choice.timeNs = p.getTimeNs();
  if (err == 0) err = ns.unlink(p.getParent(), p.getName(), &ino, choice);
  auto results = context.getResults();
  results.setErr(err);
  if (err == 0) results.setIno(ino);
  if (!p.getAsync()) replyParent(results, err, p.getParent());
  if (err == 0 && p.getWantLease()) {
    results.setLeased(core.leases.grant(sessionId, p.getParent()));
  }
  auto done = removed(p.getParent(), p.getName(), err, ino);
  if (!p.getAsync()) return done;
  return done.then([this]() { return asyncReply(); });
}

kj::Promise<void> SessionImpl::rmdir(RmdirContext context) {
  auto rpcScope = callScope(RpcMethod::RMDIR);
  auto p = context.getParams();
  uint64_t ino = 0;
  int err = ns.rmdir(p.getParent(), p.getName(), &ino);
  if (err == 0) core.leases.removed(ino);
  context.getResults().setErr(err);
  if (err == 0) context.getResults().setIno(ino);
  replyParent(context.getResults(), err, p.getParent());
  return removed(p.getParent(), p.getName(), err, ino);
}

kj::Promise<void> SessionImpl::rename(RenameContext context) {
  auto rpcScope = callScope(RpcMethod::RENAME);
  auto p = context.getParams();
  uint64_t source = 0, target = 0;
  int err = ns.rename(p.getParent(), p.getName(), p.getNewParent(), p.getNewName(), p.getFlags(),
                      &source, &target);
  auto results = context.getResults();
  results.setErr(err);
  if (err != 0) return kj::READY_NOW;
  results.setIno(source);
  results.setReplacedIno(target);
  // A directory renamed over is gone (with RENAME_EXCHANGE it lives on elsewhere).
  if (target != 0 && (p.getFlags() & kRenameExchange) == 0) core.leases.removed(target);
  CacheChange change;
  change.entry(p.getParent(), p.getName()).entry(p.getNewParent(), p.getNewName());
  change.attr(p.getParent()).attr(p.getNewParent());
  if (source != 0) change.attr(source);
  if (target != 0) change.attr(target);
  return changed(change);
}

kj::Promise<void> SessionImpl::readdir(ReaddirContext context) {
  auto rpcScope = callScope(RpcMethod::READDIR);
  auto p = context.getParams();
  kj::Vector<DirEntryOut> entries;
  bool eof = true;
  int err = ns.readdir(p.getIno(), p.getAfter(), p.getMaxEntries(), entries, eof);
  auto results = context.getResults();
  results.setErr(err);
  if (err != 0) return kj::READY_NOW;
  auto list = results.initEntries(entries.size());
  seenNames(p.getIno());  // the mount may keep the listing (client DirCache)
  for (uint i = 0; i < entries.size(); ++i) {
    list[i].setName(entries[i].name);
    entries[i].inode.toWire(list[i].initAttr());
    seen(entries[i].inode.ino);
  }
  results.setEof(eof);
  return kj::READY_NOW;
}

void SessionImpl::usableSpace(uint64_t& total, uint64_t& free) {
  total = 0;
  free = 0;
  for (auto& entry : core.nodes.all()) {
    auto& node = entry.second;
    if (core.nodes.health(node) == wire::NodeHealth::DEAD) continue;
    total += node.capacityBytes;
    free += node.capacityBytes > node.usedBytes ? node.capacityBytes - node.usedBytes : 0;
  }
  // Raw cluster space divided by the volume's replica count: what files can still use.
  uint32_t copies = kj::max(volume.replicas, 1u);
  total /= copies;
  free /= copies;
}

kj::Promise<void> SessionImpl::statfs(StatfsContext context) {
  auto rpcScope = callScope(RpcMethod::STATFS);
  uint64_t total, free;
  usableSpace(total, free);
  auto stat = context.getResults().initStat();
  stat.setTotalBytes(total);
  stat.setFreeBytes(free);
  stat.setFiles(ns.inodeCount());
  stat.setFreeFiles(uint64_t(1) << 32);
  return kj::READY_NOW;
}

kj::Promise<void> SessionImpl::getExtents(GetExtentsContext context) {
  auto rpcScope = callScope(RpcMethod::GET_EXTENTS);
  auto p = context.getParams();
  Inode node;
  kj::Vector<ExtentPiece> pieces;
  int err = ns.getExtents(p.getIno(), p.getOffset(), p.getLength(), node, pieces);
  auto results = context.getResults();
  results.setErr(err);
  if (err != 0) return kj::READY_NOW;
  seen(node.ino);
  node.toWire(results.initAttr());
  auto list = results.initExtents(pieces.size());
  for (uint i = 0; i < pieces.size(); ++i) {
    auto& piece = pieces[i];
    auto e = list[i];
    e.setFileOffset(piece.fileOffset);
    e.setLength(piece.length);
    piece.block.toWire(e.initBlock());
    e.setBlockOffset(piece.blockOffset);
    e.setBlockSize(piece.blockSize);
    if (piece.isInline()) {
      e.setInlineData(*piece.inlineData);
      continue;
    }
    kj::Vector<uint64_t> ids;
    KJ_IF_MAYBE(rec, loadBlock(core.store, piece.block)) { ids = kj::mv(rec->nodes); }
    auto ordered = core.nodes.orderReplicas(ids);
    auto replicas = e.initReplicas(ordered.size());
    for (uint j = 0; j < ordered.size(); ++j) {
      replicas[j].setNodeId(ordered[j]->id);
      replicas[j].setAddress(ordered[j]->address);
    }
  }
  return kj::READY_NOW;
}

kj::Promise<void> SessionImpl::allocateBlocks(AllocateBlocksContext context) {
  auto rpcScope = callScope(RpcMethod::ALLOCATE_BLOCKS);
  auto p = context.getParams();
  uint32_t count = p.getCount();
  KJ_REQUIRE(count > 0 && count <= kMaxAllocateBlocks, "allocateBlocks count out of range",
             count);
  auto excludeList = p.getExcludeNodes();
  KJ_REQUIRE(excludeList.size() <= 1024, "too many excluded nodes", excludeList.size());
  kj::Vector<uint64_t> exclude;
  for (auto id : excludeList) exclude.add(id);

  uint32_t want = currentReplicas();
  kj::Vector<std::pair<BlockId, kj::Array<uint64_t>>> placed;
  for (uint32_t i = 0; i < count; ++i) {
    auto nodes = core.placement.place(want, exclude, kMaxBlockSize);
    if (nodes.size() == 0) {
      context.getResults().setErr(ENOSPC);
      return kj::READY_NOW;
    }
    if (nodes.size() < want && i == 0) {
      KJ_LOG(WARNING, "fewer live chunk servers than replicas; placing fewer copies",
             volume.name, want, nodes.size());
    }
    placed.add(BlockId::random(), kj::mv(nodes));
  }
  auto results = context.getResults();
  results.setErr(0);
  results.setReplicas(want);
  auto list = results.initBlocks(placed.size());
  for (uint i = 0; i < placed.size(); ++i) {
    placed[i].first.toWire(list[i].initBlock());
    auto replicas = list[i].initReplicas(placed[i].second.size());
    for (uint j = 0; j < placed[i].second.size(); ++j) {
      uint64_t id = placed[i].second[j];
      replicas[j].setNodeId(id);
      KJ_IF_MAYBE(node, core.nodes.find(id)) { replicas[j].setAddress(node->address); }
    }
  }
  return kj::READY_NOW;
}

kj::Promise<void> SessionImpl::commit(CommitContext context) {
  auto rpcScope = callScope(RpcMethod::COMMIT);
  auto p = context.getParams();
  auto list = p.getExtents();
  KJ_REQUIRE(list.size() <= kMaxCommitExtents, "too many extents in one commit", list.size());
  uint64_t inlineBytes = 0;
  for (auto e : list) inlineBytes += e.getInlineData().size();
  KJ_REQUIRE(inlineBytes <= kMaxInlineBytesPerCommit, "too many inline bytes in one commit",
             inlineBytes);
  auto pieces = kj::heapArrayBuilder<CommitPiece>(list.size());
  for (auto e : list) {
    auto nodeList = e.getNodes();
    KJ_REQUIRE(nodeList.size() <= kMaxReplicas, "too many nodes for one block");
    auto nodes = kj::heapArray<uint64_t>(nodeList.size());
    for (uint i = 0; i < nodeList.size(); ++i) nodes[i] = nodeList[i];
    ExtentPiece piece{e.getFileOffset(), e.getLength(), BlockId::fromWire(e.getBlock()),
                      e.getBlockOffset(), e.getBlockSize()};
    if (e.hasInlineData()) piece.inlineData = makeInlineBytes(e.getInlineData());
    pieces.add(CommitPiece{kj::mv(piece), kj::mv(nodes)});
  }
  auto committed = pieces.finish();
  Inode node;
  // Attribute changes made while the data was written go right after it, in one step.
  kj::Maybe<SetAttrArgs> attrs;
  if (p.hasAttrs()) attrs = setAttrArgsOf(p.getAttrs());
  int err = ns.commit(p.getIno(), committed, p.getMinSize(), node, p.getWriteTimeNs(),
                      attrs == nullptr ? nullptr : &KJ_ASSERT_NONNULL(attrs));
  reply(context.getResults(), err, node);
  if (err != 0) return kj::READY_NOW;
  seen(node.ino);
  {
    // Blocks written with fewer copies than the volume wants (quorum or eventual mounts,
    // or servers down) are completed by the master now rather than at its next scan.
    uint32_t want = currentReplicas();
    for (auto& piece : committed) {
      if (!piece.piece.isInline() && piece.nodes.size() < want) {
        core.replication.checkSoon(piece.piece.block, static_cast<uint32_t>(piece.nodes.size()));
      }
    }
  }
  CacheChange change;
  change.contents(node.ino);
  KJ_IF_MAYBE(a, attrs) change.fields(fieldsSetBy(node.ino, *a));
  return changed(change);
}

kj::Promise<void> SessionImpl::created(uint64_t parent, BytesPtr name, int err,
                                       const Inode& node) {
  if (err != 0) return kj::READY_NOW;
  seen(node.ino);
  seenNames(parent);  // the kernel caches the new name
  // The mount keeps a (so far empty) listing of a directory it made (client DirCache).
  if (S_ISDIR(node.mode)) seenNames(node.ino);
  return changed(CacheChange().entry(parent, name).attr(parent).attr(node.ino));
}

kj::Promise<void> SessionImpl::removed(uint64_t parent, BytesPtr name, int err, uint64_t ino) {
  if (err != 0) return kj::READY_NOW;
  CacheChange change;
  change.entry(parent, name).attr(parent);
  if (ino != 0) change.attr(ino);
  return changed(change);
}

kj::Promise<void> SessionImpl::fallocate(FallocateContext context) {
  auto rpcScope = callScope(RpcMethod::FALLOCATE);
  auto p = context.getParams();
  Inode node;
  int err = 0;
  bool inRange = p.getOffset() <= kMaxFileSize && p.getLength() <= kMaxFileSize - p.getOffset();
  if (!(p.getMode() & kFallocPunchHole) && p.getLength() > 0 && inRange) {
    // An allocating mode must fail with ENOSPC up front, as on a local file system, when
    // the cluster cannot hold the range's unwritten bytes (nothing is reserved: the
    // range stays a hole until written, so this is a check, not a guarantee).
    kj::Vector<ExtentPiece> pieces;
    if (ns.getExtents(p.getIno(), p.getOffset(), p.getLength(), node, pieces) == 0) {
      uint64_t end = p.getOffset() + p.getLength();
      uint64_t written = 0;
      for (auto& piece : pieces) {
        uint64_t b = kj::max(piece.fileOffset, p.getOffset()), e = kj::min(piece.end(), end);
        if (e > b) written += e - b;
      }
      uint64_t total, free;
      usableSpace(total, free);
      if (end - p.getOffset() - kj::min(written, end - p.getOffset()) > free) err = ENOSPC;
    }
  }
  if (err == 0) err = ns.fallocate(p.getIno(), p.getMode(), p.getOffset(), p.getLength(),
                                     p.getKillSuidgid(), node);
  reply(context.getResults(), err, node);
  if (err != 0) return kj::READY_NOW;
  seen(node.ino);
  // A punch or zeroed range changes the contents, mode 0 may change the size: other
  // mounts drop the file's cached pages. KEEP_SIZE alone only moved ctime.
  bool contents = (p.getMode() & (kFallocPunchHole | kFallocZeroRange)) ||
                  !(p.getMode() & kFallocKeepSize);
  return changed(contents ? CacheChange().contents(node.ino) : CacheChange().attr(node.ino));
}

kj::Promise<void> SessionImpl::copyRange(CopyRangeContext context) {
  auto rpcScope = callScope(RpcMethod::COPY_RANGE);
  auto p = context.getParams();
  Inode node;
  uint64_t copied = 0;
  int err = ns.copyRange(p.getInoIn(), p.getOffsetIn(), p.getInoOut(), p.getOffsetOut(),
                         p.getLength(), p.getKillSuidgid(), copied, node);
  auto results = context.getResults();
  results.setCopied(copied);
  reply(results, err, node);
  if (err != 0) return kj::READY_NOW;
  seen(node.ino);
  if (copied == 0) return kj::READY_NOW;
  return changed(CacheChange().contents(node.ino));  // other mounts drop its cached pages
}

uint32_t SessionImpl::currentReplicas() {
  KJ_IF_MAYBE(v, core.volumes.find(volume.name)) { return v->replicas; }
  return volume.replicas;
}

kj::Promise<void> SessionImpl::sync(SyncContext context) {
  auto rpcScope = callScope(RpcMethod::SYNC);
  core.store.sync();
  return kj::READY_NOW;
}

kj::Promise<void> SessionImpl::ping(PingContext context) {
  auto rpcScope = callScope(RpcMethod::PING);
  return kj::READY_NOW;
}

}  // namespace dfs
