// FileData: write buffering into blocks, background uploads, commits, and reads.
#include "file_data.h"

#include <kj/debug.h>
#include <cstring>
#include "client/io/segment_fetcher.h"
#include "common/base/limits.h"

namespace dfs {

FileData::~FileData() noexcept(false) {
  if (dirty()) KJ_LOG(WARNING, "file closed with uncommitted data (lost)", ino);
}

kj::Maybe<kj::Exception> FileData::takeError() {
  KJ_IF_MAYBE(e, refusedCommit) {
    auto out = kj::mv(*e);
    refusedCommit = nullptr;
    // The master refused a commit of this file: what is buffered cannot be saved in
    // order any more; drop it all.
    drops++;
    pending.clear();
    pendingPieces = 0;
    buffer.clear();
    bufferPieces.clear();
    uncommittedEnd = 0;
    bufferTimeNs = 0;
    return kj::mv(out);
  }
  return nullptr;
}

kj::Maybe<int64_t> FileData::dirtyTimeNs() const {
  if (!dirty()) return nullptr;
  return lastWriteNs;
}

uint64_t FileData::bufferedBytes() const {
  uint64_t n = buffer.size();
  for (auto& p : pending) n += p->data->get().size();
  return n;
}

kj::Promise<void> FileData::write(uint64_t offset, kj::Array<kj::byte> data, int64_t timeNs) {
  // Known at once (the write may wait behind others): a stat after this write returns
  // shows its time.
  lastWriteNs = kj::max(lastWriteNs, timeNs);
  attrs.dropMtime();
  sentAttrs.dropMtime();  // a commit on its way sets it, but this write's time wins
  auto op = [this, offset, data = kj::mv(data), timeNs]() mutable {
    return writeLocked(offset, kj::mv(data), timeNs);
  };
  return serial.run(kj::mv(op));
}

bool FileData::bufferFitsInline() const {
  uint64_t limit = ctx.inlineData ? ctx.master.inlineMax() : 0;
  if (buffer.size() > limit) return false;
  // Within what one commit may carry, with the inline buffers still waiting (commits
  // that keep failing leave them pending).
  uint64_t waiting = buffer.size();
  for (auto& p : pending) {
    if (p->inlined) waiting += p->data->get().size();
  }
  if (waiting > kMaxInlineBytesPerCommit) return false;
  for (auto& piece : bufferPieces) {
    if (piece.fileOffset + piece.length > limit) return false;
  }
  return true;
}

void FileData::seal() {
  if (buffer.size() == 0) return;
  bool inlined = bufferFitsInline();
  auto p = kj::heap<Pending>();
  p->pieces = kj::mv(bufferPieces);
  bufferPieces = kj::Vector<Piece>();
  pendingPieces += p->pieces.size();
  p->writeTimeNs = bufferTimeNs;
  bufferTimeNs = 0;
  p->data = kj::refcounted<BlockBytes>(buffer.releaseAsArray());
  buffer = kj::Vector<kj::byte>();
  if (inlined) {
    p->inlined = true;
    p->result = UploadedBlock{BlockId(), p->data->get().size(), {}};
    p->done = kj::Promise<void>(kj::READY_NOW).fork();
    pending.add(kj::mv(p));
    return;
  }
  startUpload(*p);
  pending.add(kj::mv(p));
}

void FileData::startUpload(Pending& p) {
  Pending* raw = &p;
  raw->failure = nullptr;
  raw->done = uploadBlock(ctx, kj::addRef(*raw->data))
                  .then([raw](UploadedBlock b) { raw->result = kj::mv(b); },
                        [raw](kj::Exception&& e) { raw->failure = kj::mv(e); })
                  .fork();
}

bool FileData::anyUploadFailed() const {
  for (auto& p : pending) {
    if (p->failure != nullptr) return true;
  }
  return false;
}

kj::Promise<void> FileData::redoFailedUploads(size_t count) {
  count = kj::min(count, pending.size());
  kj::Vector<kj::Promise<void>> redone;
  for (size_t i = 0; i < count; i++) {
    Pending& p = *pending[i];
    if (p.failure == nullptr) continue;
    startUpload(p);
    redone.add(KJ_ASSERT_NONNULL(p.done).addBranch());
  }
  if (redone.empty()) return kj::READY_NOW;
  uint64_t dropsBefore = drops;
  return kj::joinPromises(redone.releaseAsArray()).then([this, count, dropsBefore]() {
    if (drops != dropsBefore) return;  // dropped meanwhile (refused): nothing to report here
    for (size_t i = 0; i < kj::min(count, pending.size()); i++) {
      KJ_IF_MAYBE(e, pending[i]->failure) kj::throwFatalException(kj::cp(*e));
    }
  });
}

kj::Promise<void> FileData::writeAfter(kj::Promise<void> first, uint64_t offset,
                                       kj::Array<kj::byte> data, int64_t timeNs) {
  return first.then([this, offset, data = kj::mv(data), timeNs]() mutable {
    return writeLocked(offset, kj::mv(data), timeNs);
  });
}

kj::Promise<void> FileData::writeLocked(uint64_t offset, kj::Array<kj::byte> data,
                                        int64_t timeNs) {
  if (committingInBackground && refusedCommit != nullptr) {
    // Dropping the data (takeError) must wait until the commit under way is done with it.
    return writeAfter(afterBackgroundCommit(), offset, kj::mv(data), timeNs);
  }
  KJ_IF_MAYBE(e, takeError()) return kj::mv(*e);
  KJ_IF_MAYBE(e, backgroundFailure) {
    auto out = kj::mv(*e);
    backgroundFailure = nullptr;
    return kj::mv(out);
  }
  if (anyUploadFailed()) {
    // Blocks this file could not upload are sent again before more data is taken: if
    // that fails too, this write fails (EIO) and takes nothing; the blocks stay.
    auto redone = afterBackgroundCommit().then([this]() { return redoFailedUploads(); });
    return writeAfter(kj::mv(redone), offset, kj::mv(data), timeNs);
  }
  kj::ArrayPtr<const kj::byte> rest = data;
  uint64_t at = offset;
  while (rest.size() > 0) {
    if (buffer.size() >= kMaxBlockSize) seal();
    if (buffer.size() == 0) buffer.reserve(kMaxBlockSize);
    size_t take = kj::min(rest.size(), kMaxBlockSize - buffer.size());
    uint64_t blockOffset = buffer.size();
    buffer.addAll(rest.slice(0, take));
    bufferTimeNs = kj::max(bufferTimeNs, timeNs);
    // A write that continues the previous one in the file and in the block extends its
    // piece, so sequential writes make one piece per block.
    if (bufferPieces.size() > 0) {
      Piece& last = bufferPieces.back();
      if (last.fileOffset + last.length == at && last.blockOffset + last.length == blockOffset) {
        last.length += take;
        take = 0;
      }
    }
    if (take > 0) bufferPieces.add(Piece{at, take, blockOffset});
    size_t written = buffer.size() - blockOffset;
    at += written;
    rest = rest.slice(written, rest.size());
  }
  uncommittedEnd = kj::max(uncommittedEnd, offset + data.size());

  // Bound memory: wait for the oldest uploads beyond the in-flight limit, and commit
  // every kCommitEveryBlocks blocks so long writes become visible and durable as they go
  // (in the background: commitFilled).
  if (pending.size() - committingBlocks >= kCommitEveryBlocks ||
      pendingPieces - committingPieces + bufferPieces.size() >= kMaxPiecesPerCommit) {
    seal();
    return commitFilled();
  }
  if (pending.size() >= kMaxUploadsPerFile) {
    auto& oldest = pending[pending.size() - kMaxUploadsPerFile];
    return KJ_ASSERT_NONNULL(oldest->done).addBranch();
  }
  return kj::READY_NOW;
}

kj::Promise<void> FileData::flush() {
  return serial.run([this]() {
    seal();
    return afterBackgroundCommit().then([this]() {
      // A background commit that failed is retried here with the rest.
      backgroundFailure = nullptr;
      return commitLocked();
    });
  });
}

kj::Promise<void> FileData::afterBackgroundCommit() {
  if (!committingInBackground) return kj::READY_NOW;
  return KJ_ASSERT_NONNULL(backgroundCommit).addBranch();
}

kj::Promise<void> FileData::commitFilled() {
  return afterBackgroundCommit().then([this]() -> kj::Promise<void> {
    // The write that got here is buffered already: it succeeds, and a failure of the
    // commit waited for goes to the next write, before that one's data is taken. (A
    // write that fails must not change the file later.) Its blocks are committed again.
    // Attribute changes go with the data, in order: then the writer waits as before.
    if (!attrs.nothingToSend() || !sentAttrs.nothingToSend()) return commitLocked();
    if (pending.size() == 0) return kj::READY_NOW;
    committingBlocks = pending.size();
    for (auto& p : pending) committingPieces += p->pieces.size();
    uint64_t dropsBefore = drops;
    backgroundCommit =
        commitLocked(committingBlocks, true)
            .catch_([this, dropsBefore](kj::Exception&& e) {
              // A refusal waits in refusedCommit, and data a writer dropped
              // was reported to it; anything else (the master unreachable) fails the next
              // write, and the data waits for the next commit.
              if (refusedCommit == nullptr && drops == dropsBefore) backgroundFailure = kj::mv(e);
            })
            .then([this]() {
              // The fork stays until the next one replaces it: dropping it here would
              // destroy the promise that is running.
              committingBlocks = committingPieces = 0;
              committingInBackground = false;
            })
            .fork();
    committingInBackground = true;
    return kj::READY_NOW;
  });
}

PendingAttrs FileData::takeAttrsForSend() {
  sentAttrs = kj::mv(attrs);
  attrs = PendingAttrs();
  return sentAttrs;
}

void FileData::committed(wire::Attr::Reader attr) {
  sentAttrs = PendingAttrs();
  commitCount++;
  committedAttr = AttrCopy::of(attr);
  if (ctx.changed) ctx.changed(ino);
}

void FileData::attrsFailed(bool refused) {
  if (!refused) {
    auto newer = kj::mv(attrs);
    attrs = kj::mv(sentAttrs);
    attrs.merge(newer);
  }
  sentAttrs = PendingAttrs();
}

kj::Promise<void> FileData::sendKeptAttrs() {
  if (attrs.mtimeNs == nullptr) {
    return serial.run([this]() {
      return afterBackgroundCommit().then([this]() { return sendAttrsLocked(); });
    });
  }
  return flush().catch_([this](kj::Exception&& e) -> kj::Promise<void> {
    // Data the failure dropped (a refused commit) is reported by the
    // writer's own next flush (fsync, close); data kept for a retry is retried there.
    if (!dirty() && refusedCommit == nullptr) refusedCommit = kj::cp(e);
    return kj::mv(e);
  });
}

kj::Promise<void> FileData::sendAttrsLocked() {
  if (attrs.nothingToSend()) return kj::READY_NOW;
  auto sent = takeAttrsForSend();
  return ctx.master
      .call([this, sent](wire::Session::Client& s) {
        auto req = s.setAttrRequest();
        sent.toWire(ino, req.initReq());
        req.setRequestId(0);
        return req.send();
      })
      .then(
          [this](capnp::Response<wire::Session::SetAttrResults> r) -> kj::Promise<void> {
            if (r.getErr() != 0) {
              attrsFailed(true);
              return KJ_EXCEPTION(FAILED, "attribute change refused by the master",
                                  strerror(r.getErr()));
            }
            committed(r.getAttr());
            return kj::READY_NOW;
          },
          [this](kj::Exception&& e) -> kj::Promise<void> {
            attrsFailed(false);
            return kj::mv(e);
          });
}

kj::Promise<void> FileData::commitLocked(size_t count, bool background) {
  count = kj::min(count, pending.size());
  if (count == 0) {
    KJ_IF_MAYBE(e, takeError()) return kj::mv(*e);
    return sendAttrsLocked();
  }
  auto waits = kj::heapArrayBuilder<kj::Promise<void>>(count);
  for (size_t i = 0; i < count; i++) waits.add(KJ_ASSERT_NONNULL(pending[i]->done).addBranch());
  uint64_t dropsBefore = drops;
  // Writes may go on meanwhile (a background commit): they add blocks after these, or
  // drop them all (takeError, after a refused commit); then this commit has nothing left.
  auto stillThere = [this, dropsBefore, count]() {
    return drops == dropsBefore && pending.size() >= count;
  };
  return kj::joinPromises(waits.finish())
      .then([this, count, stillThere]() -> kj::Promise<void> {
        if (!stillThere()) return kj::READY_NOW;  // reported below
        return redoFailedUploads(count);
      })
      .then([this, count, background, stillThere]() -> kj::Promise<void> {
    if (!stillThere()) return KJ_EXCEPTION(FAILED, "this file's buffered data was dropped");
    if (background && refusedCommit != nullptr) {
      return KJ_EXCEPTION(FAILED, "a commit of this file was refused");
    }
    KJ_IF_MAYBE(e, takeError()) return kj::mv(*e);
    int64_t writeTimeNs = 0;
    for (size_t i = 0; i < count; i++) writeTimeNs = kj::max(writeTimeNs, pending[i]->writeTimeNs);
    // Attribute changes go with the data (the master applies them after it); those made
    // while a background commit waited for its uploads wait for the next one.
    auto withData = background ? PendingAttrs() : takeAttrsForSend();
    return ctx.master
        .call([this, writeTimeNs, withData, count](wire::Session::Client& s) {
          auto req = s.commitRequest();
          req.setIno(ino);
          req.setMinSize(0);
          req.setRequestId(0);
          req.setWriteTimeNs(writeTimeNs);
          if (!withData.nothingToSend()) withData.toWire(ino, req.initAttrs());
          size_t total = 0;
          for (size_t i = 0; i < count; i++) total += pending[i]->pieces.size();
          auto list = req.initExtents(total);
          size_t k = 0;
          for (size_t i = 0; i < count; i++) {
            auto& p = pending[i];
            auto& up = KJ_ASSERT_NONNULL(p->result);
            for (auto& piece : p->pieces) {
              auto e = list[k++];
              e.setFileOffset(piece.fileOffset);
              e.setLength(piece.length);
              if (p->inlined) {
                // No block: the bytes themselves (blockOffset 0, blockSize = length).
                e.setBlockSize(piece.length);
                e.setInlineData(p->data->get().slice(piece.blockOffset,
                                                     piece.blockOffset + piece.length));
                continue;
              }
              up.block.toWire(e.initBlock());
              e.setBlockOffset(piece.blockOffset);
              e.setBlockSize(up.size);
              auto nodes = e.initNodes(up.nodes.size());
              for (size_t j = 0; j < up.nodes.size(); j++) nodes.set(j, up.nodes[j]);
            }
          }
          return req.send();
        })
        .then([this, count, background, stillThere](
                  capnp::Response<wire::Session::CommitResults> r) -> kj::Promise<void> {
          window = nullptr;
          bool there = stillThere();
          auto dropCovered = [this, count]() {
            auto rest = kj::Vector<kj::Own<Pending>>();
            for (size_t i = 0; i < pending.size(); i++) {
              if (i < count) pendingPieces -= pending[i]->pieces.size();
              else rest.add(kj::mv(pending[i]));
            }
            pending = kj::mv(rest);
          };
          if (r.getErr() != 0) {
            if (there) dropCovered();
            if (!dirty()) uncommittedEnd = 0;
            attrsFailed(true);
            auto e = KJ_EXCEPTION(FAILED, "commit refused by the master", strerror(r.getErr()));
            // In the background: reported once by the writer's next call (takeError).
            if (background && refusedCommit == nullptr) refusedCommit = kj::cp(e);
            return kj::mv(e);
          }
          // Only what this commit covered is done; writes made meanwhile stay pending.
          if (there) dropCovered();
          committed(r.getAttr());
          // Everything is committed: the size the master reports is the whole truth again
          // (a later truncate must not be undone by the end of writes made before it).
          if (!dirty()) uncommittedEnd = 0;
          return kj::READY_NOW;
        }, [this](kj::Exception&& e) -> kj::Promise<void> {
          attrsFailed(false);  // the data stays pending too: both go with the next commit
          return kj::mv(e);
        });
  });
}

kj::Promise<ReadResult> FileData::read(uint64_t offset, uint64_t size) {
  if (dirty()) {
    return flush().then([this, offset, size]() { return readClean(offset, size); });
  }
  return readClean(offset, size);
}

kj::Promise<void> FileData::ensureWindow(uint64_t offset, uint64_t size) {
  KJ_IF_MAYBE(w, window) {
    if (offset >= w->begin && offset + size <= w->end) return kj::READY_NOW;
  }
  uint64_t length = kj::max(size, kExtentWindow);
  return ctx.master
      .call([this, offset, length](wire::Session::Client& s) {
        auto req = s.getExtentsRequest();
        req.setIno(ino);
        req.setOffset(offset);
        req.setLength(length);
        return req.send();
      })
      .then([this, offset, length](capnp::Response<wire::Session::GetExtentsResults> r)
                -> kj::Promise<void> {
        if (r.getErr() != 0) {
          return KJ_EXCEPTION(FAILED, "getExtents failed", strerror(r.getErr()));
        }
        auto list = r.getExtents();
        auto extents = kj::heapArrayBuilder<CachedExtent>(list.size());
        for (auto e : list) {
          auto reps = kj::heapArrayBuilder<kj::String>(e.getReplicas().size());
          for (auto rep : e.getReplicas()) reps.add(kj::str(rep.getAddress()));
          auto bytes = kj::heapArray<kj::byte>(e.getInlineData());
          KJ_REQUIRE(bytes.size() == 0 || bytes.size() == e.getLength(),
                     "inline extent of the wrong size", bytes.size(), e.getLength());
          extents.add(CachedExtent{e.getFileOffset(), e.getLength(), BlockId::fromWire(e.getBlock()),
                                   e.getBlockOffset(), e.getBlockSize(), reps.finish(),
                                   kj::mv(bytes)});
        }
        window = Window{offset, offset + length, r.getAttr().getSize(), extents.finish()};
        return kj::READY_NOW;
      });
}

kj::Promise<ReadResult> FileData::readClean(uint64_t offset, uint64_t size) {
  // The extent window also covers what readahead asks for, so prefetching needs no RPC.
  auto ahead = readahead.onRead(offset, size);
  uint64_t need = ahead.empty() ? size : kj::max(offset + size, ahead.end) - offset;
  return ensureWindow(offset, need).then([this, offset, size, ahead]() {
    auto& w = KJ_ASSERT_NONNULL(window);
    uint64_t end = kj::min(offset + size, w.fileSize);
    auto result = kj::heap<ReadResult>();
    if (offset >= end) return kj::Promise<ReadResult>(kj::mv(*result));
    ReadResult& out = *result;
    kj::Vector<kj::Promise<void>> fetches;
    bool dropBehind = ctx.dropBehind && readahead.sequential();
    // The window's extents are in file order; the gaps between them are holes.
    uint64_t pos = offset;
    for (auto& e : w.extents) {
      uint64_t s = kj::max(offset, e.fileOffset);
      uint64_t t = kj::min(end, e.fileOffset + e.length);
      if (s >= t) continue;
      KJ_REQUIRE(s >= pos, "extents out of order", s, pos);
      out.addZeros(s - pos);
      pos = t;
      // Inline pieces: the master sent their bytes with the extent map.
      if (e.inlineData.size() > 0) {
        out.addCopy(e.inlineData.slice(s - e.fileOffset, t - e.fileOffset));
        continue;
      }
      forEachSegmentOf(e, s, t, [&](const SegmentSpan& span) {
        uint64_t segStart = span.segment * kSegmentSize;
        // A sequential reader that reached the segment's end is done with it (DataContext).
        kj::Maybe<SegmentKey> done;
        if (dropBehind && span.to == kj::min(segStart + kSegmentSize, e.blockSize)) {
          done = SegmentKey{e.block, span.segment};
        }
        size_t place = out.addLater(span.to - span.from);
        uint64_t at = span.from - segStart;
        fetches.add(ctx.fetcher.fetch(e.block, e.blockSize, span.segment, copyReplicas(e))
                        .then([this, &out, place, at, done](kj::Own<SharedBytes> bytes) {
                          out.fill(place, kj::mv(bytes), at);
                          KJ_IF_MAYBE(key, done) ctx.cache.erase(*key);
                        }));
        return true;
      });
    }
    out.addZeros(end - pos);
    if (!ahead.empty()) prefetch(ahead.begin, ahead.end);
    // The fetches refer to `out`: the result outlives them (they go first).
    return kj::joinPromises(fetches.releaseAsArray())
        .then([result = kj::mv(result)]() mutable { return kj::mv(*result); });
  });
}

void FileData::prefetch(uint64_t begin, uint64_t end) {
  auto& w = KJ_ASSERT_NONNULL(window);
  end = kj::min(end, kj::min(w.end, w.fileSize));
  forEachSegment(w, begin, end, [&](const CachedExtent& e, const SegmentSpan& span) {
    if (ctx.fetcher.prefetch(e.block, e.blockSize, span.segment, copyReplicas(e))) return true;
    // Too much in flight: a later read asks for the rest again.
    readahead.stoppedAt(span.fileOffset);
    return false;
  });
}

kj::Array<kj::String> FileData::copyReplicas(const CachedExtent& e) {
  auto reps = kj::heapArrayBuilder<kj::String>(e.replicas.size());
  for (auto& r : e.replicas) reps.add(kj::str(r));
  return reps.finish();
}

void FileData::forEachSegment(
    const Window& w, uint64_t begin, uint64_t end,
    kj::FunctionParam<bool(const CachedExtent&, const SegmentSpan&)> visit) {
  for (auto& e : w.extents) {
    if (e.inlineData.size() > 0) continue;
    uint64_t s = kj::max(begin, e.fileOffset);
    uint64_t t = kj::min(end, e.fileOffset + e.length);
    if (s >= t) continue;
    if (!forEachSegmentOf(e, s, t, [&](const SegmentSpan& span) { return visit(e, span); })) {
      return;
    }
  }
}

bool FileData::forEachSegmentOf(const CachedExtent& e, uint64_t s, uint64_t t,
                                kj::FunctionParam<bool(const SegmentSpan&)> visit) {
  uint64_t bStart = e.blockOffset + (s - e.fileOffset);
  uint64_t bEnd = bStart + (t - s);
  for (uint64_t seg = bStart / kSegmentSize; seg * kSegmentSize < bEnd; seg++) {
    uint64_t from = kj::max(bStart, seg * kSegmentSize);
    uint64_t to = kj::min(bEnd, (seg + 1) * kSegmentSize);
    if (!visit(SegmentSpan{seg, from, to, e.fileOffset + (from - e.blockOffset)})) return false;
  }
  return true;
}

}  // namespace dfs
