// FileData: the data path of one open file in a mount. Writes are appended to a block
// buffer like a log (up to 4 MiB); each write becomes a piece (file range -> range of the
// block), so random small writes fill one block instead of making one block each. Full
// buffers are uploaded in the background (a few in flight) and committed to the master
// (pieces in write order; later ones win) on flush/fsync/close, every kCommitEveryBlocks
// blocks, or when the pieces would not fit in one commit (those two in the background
// while the writer goes on: commitFilled), with the time of the last
// write they hold (mtime is when data was written, not when it reached the master), and
// with the attribute changes made meanwhile (PendingAttrs). A small block whose pieces
// all lie below the master's inline limit (a small file) is not uploaded: its bytes go
// to the master inline, in the commit (one round trip, no chunk server). Reads resolve the
// extent map (cached per open, close-to-open) and fetch block segments through the cache;
// sequential reads also prefetch the segments ahead of them (Readahead) in the background.
#pragma once

#include <kj/async.h>
#include <kj/function.h>
#include <kj/vector.h>
#include "client/io/async_serializer.h"
#include "client/io/block_upload.h"
#include "client/io/data_context.h"
#include "client/io/pending_attrs.h"
#include "client/io/read_result.h"
#include "client/io/readahead.h"

namespace dfs {

class FileData {
public:
  FileData(DataContext& ctx, uint64_t ino)
      : ctx(ctx), ino(ino), readahead(ctx.readaheadMax) {}
  ~FileData() noexcept(false);
  KJ_DISALLOW_COPY(FileData);

  // Buffers `data` at `offset`, written at `timeNs` (wall clock, ns since the epoch).
  // Blocks whose background upload failed are uploaded again first; if that fails, or an
  // earlier background commit failed, this write fails (EIO upstream) and takes nothing
  // (the blocks stay buffered). A commit the master refused is reported once and the
  // data it covered is dropped.
  kj::Promise<void> write(uint64_t offset, kj::Array<kj::byte> data, int64_t timeNs);

  // Reads up to `size` bytes at `offset` (short at end of file; holes are zeros). Sees
  // every write made through this object (uncommitted data is committed first). The
  // result holds the cached segments it refers to until it is destroyed.
  kj::Promise<ReadResult> read(uint64_t offset, uint64_t size);

  // Uploads everything buffered and commits it; resolves when the master has it.
  kj::Promise<void> flush();
  // Sends the attribute changes kept for the commit now, and waits for those on their
  // way: alone when no explicit mtime is among them, else with the data written before
  // them (flush(): sent alone, that data's commit would move the mtime again). If that
  // flush fails and drops data, the error stays for the next flush() to report.
  kj::Promise<void> sendKeptAttrs();

  // Forgets the cached extent map (on open, after truncate): the next read asks the master.
  void invalidateExtents() { window = nullptr; }

  bool dirty() const { return buffer.size() > 0 || pending.size() > 0; }
  // Attribute changes made while writing, sent with the next commit (the next flush()
  // sends them alone if no data is left). A later write drops a pending mtime.
  void deferAttrs(const PendingAttrs& change) { attrs.merge(change); }
  // The write being made is by a caller without CAP_FSETID: the commit of its data clears
  // the file's set-id bits (PendingAttrs::killSuidgid).
  void killSuidgidWithData() { attrs.killSuidgid = true; }
  // Another mount changed the file; the master's attributes are now `current` (see
  // PendingAttrs::reconcile). Changes already on their way are not affected.
  void reconcileAttrs(const AttrCopy& current) { attrs.reconcile(current); }
  // Another mount set these fields later (PendingAttrs::dropSetElsewhere).
  void dropAttrsSetElsewhere(wire::FieldsSet::Reader set) {
    attrs.dropSetElsewhere(set);
    sentAttrs.dropSetElsewhere(set);  // not sent again should their call fail
  }
  bool attrsWaiting() const { return !attrs.empty(); }
  // The changes not yet applied by the master: those on their way (shown until the
  // master answers; kept for the next flush if the call fails) and those waiting.
  PendingAttrs pendingAttrs() const {
    PendingAttrs all = sentAttrs;
    all.merge(attrs);
    return all;
  }
  // Something for flush() to send: data or attribute changes.
  bool unflushed() const { return dirty() || attrsWaiting(); }
  // All flush() would do is send attribute changes alone: no data, no call under way, no
  // upload error left to report.
  bool onlyAttrsToSend() const {
    return !dirty() && attrsWaiting() && refusedCommit == nullptr && serial.idle();
  }
  // A flush or write is queued or under way (it uses this object until it is done).
  bool busy() const { return !serial.idle() || committingInBackground; }
  // The master's attributes returned by the last commit or attribute change sent, once
  // (null: none since the last call).
  kj::Maybe<AttrCopy> takeCommittedAttr() {
    auto out = kj::mv(committedAttr);
    committedAttr = nullptr;
    return out;
  }
  // Bytes written here and not committed yet (a range written twice counts twice).
  uint64_t bufferedBytes() const;
  // End of the furthest uncommitted byte; 0 when clean.
  uint64_t dirtyEnd() const { return dirty() ? uncommittedEnd : 0; }
  // Commits (and attribute changes sent alone) this object made so far: each changed
  // the master's attributes.
  uint64_t commits() const { return commitCount; }
  // Time of the last write not committed yet (what mtime/ctime are once it is); null
  // when clean.
  kj::Maybe<int64_t> dirtyTimeNs() const;

private:
  struct Piece {
    uint64_t fileOffset, length, blockOffset;
  };
  struct Pending {
    kj::Vector<Piece> pieces;
    int64_t writeTimeNs;              // the last write into this block
    kj::Own<BlockBytes> data;         // declared before `done`: outlives the upload
    bool inlined = false;             // not uploaded: the commit carries the bytes
    kj::Maybe<UploadedBlock> result;
    kj::Maybe<kj::Exception> failure;  // the last upload failed (the data is kept)
    kj::Maybe<kj::ForkedPromise<void>> done;
  };
  struct CachedExtent {
    uint64_t fileOffset, length;
    BlockId block;
    uint64_t blockOffset, blockSize;
    kj::Array<kj::String> replicas;
    kj::Array<kj::byte> inlineData;  // an inline piece's bytes (`length` of them); else empty
  };
  struct Window {
    uint64_t begin, end;  // file range the extents were fetched for
    uint64_t fileSize;
    kj::Array<CachedExtent> extents;
  };

  kj::Promise<void> writeLocked(uint64_t offset, kj::Array<kj::byte> data, int64_t timeNs);
  // writeLocked() from the start once `first` resolved (its failure fails this write).
  kj::Promise<void> writeAfter(kj::Promise<void> first, uint64_t offset,
                               kj::Array<kj::byte> data, int64_t timeNs);
  // Commits the first `count` pending blocks (all of them by default). In the background
  // (commitFilled) a refusal is left in refusedCommit for the writer's next call to report
  // (takeError), instead of being reported here.
  kj::Promise<void> commitLocked(size_t count = SIZE_MAX, bool background = false);
  // A writer that filled kCommitEveryBlocks blocks (or kMaxPiecesPerCommit pieces) goes on
  // writing while they are committed: the commit runs in the background (one at a time)
  // unless attribute changes wait to go with it. Everything else that calls the master for
  // this file (flush, attribute changes) first waits for it (afterBackgroundCommit).
  kj::Promise<void> commitFilled();
  kj::Promise<void> afterBackgroundCommit();
  // Sends the pending attribute changes alone (no data to commit).
  kj::Promise<void> sendAttrsLocked();
  void seal();
  // (Re)starts the upload of a pending block. A failed upload keeps the block: the next
  // write, flush or commit uploads it again first (redoFailedUploads), and fails with
  // EIO if that fails too. Nothing acknowledged is dropped while the master or the chunk
  // servers are away; new writes are refused meanwhile (memory stays bounded).
  void startUpload(Pending& p);
  // Uploads again the first `count` pending blocks whose upload failed; rejects if one
  // fails again.
  kj::Promise<void> redoFailedUploads(size_t count = SIZE_MAX);
  bool anyUploadFailed() const;
  // True if the buffer may go to the master inline instead of as a block.
  bool bufferFitsInline() const;
  kj::Promise<void> ensureWindow(uint64_t offset, uint64_t size);
  kj::Promise<ReadResult> readClean(uint64_t offset, uint64_t size);
  // Starts background fetches of the segments of [begin, end) (within the extent window).
  void prefetch(uint64_t begin, uint64_t end);

  // The part of one block segment that a file range covers.
  struct SegmentSpan {
    uint64_t segment;     // index of the segment in its block
    uint64_t from, to;    // covered byte range within the block
    uint64_t fileOffset;  // file offset of `from`
  };
  // Calls visit(extent, span) for every segment of `w`'s block extents (not the inline
  // ones) that overlaps file range [begin, end), in file order, until visit returns false.
  static void forEachSegment(const Window& w, uint64_t begin, uint64_t end,
                             kj::FunctionParam<bool(const CachedExtent&, const SegmentSpan&)> visit);
  // The same for file range [s, t) of block extent `e` (within it); false if visit did.
  static bool forEachSegmentOf(const CachedExtent& e, uint64_t s, uint64_t t,
                               kj::FunctionParam<bool(const SegmentSpan&)> visit);
  static kj::Array<kj::String> copyReplicas(const CachedExtent& e);
  kj::Maybe<kj::Exception> takeError();

  DataContext& ctx;
  uint64_t ino;
  AsyncSerializer serial;

  kj::Vector<kj::byte> buffer;       // the block being filled, in write order
  kj::Vector<Piece> bufferPieces;    // where each write landed in `buffer`
  size_t pendingPieces = 0;          // pieces of all Pending blocks
  uint64_t uncommittedEnd = 0;       // end of the writes made since the file was last clean
  uint64_t commitCount = 0;          // successful commits so far
  int64_t bufferTimeNs = 0;          // time of the last write into `buffer`
  int64_t lastWriteNs = 0;           // time of the last write accepted (dirty or not)
  kj::Vector<kj::Own<Pending>> pending;
  kj::Maybe<kj::Exception> refusedCommit;  // a refused commit, for takeError() to report
  uint64_t drops = 0;                // times takeError() dropped the unsaved data
  // The background commit (commitFilled) and the pending blocks and pieces it covers; its
  // failure, if the master did not refuse (the data then stays pending), goes to the next
  // write.
  kj::Maybe<kj::ForkedPromise<void>> backgroundCommit;
  bool committingInBackground = false;
  size_t committingBlocks = 0, committingPieces = 0;
  kj::Maybe<kj::Exception> backgroundFailure;
  PendingAttrs attrs;      // sent with the next commit
  PendingAttrs sentAttrs;  // in the commit or setAttr on its way
  // Takes the waiting changes for a call; committed/attrsFailed when it ends.
  PendingAttrs takeAttrsForSend();
  // A commit or attribute change the master applied, returning `attr`.
  void committed(wire::Attr::Reader attr);
  // A failed call: the changes wait for the next flush again (under newer ones), unless
  // the master refused them (`refused`).
  void attrsFailed(bool refused);
  kj::Maybe<AttrCopy> committedAttr;

  kj::Maybe<Window> window;
  Readahead readahead;
};

}  // namespace dfs
