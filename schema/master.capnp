# The metadata master's RPC interface: mounts, namespace, extents, chunk servers, admin.
@0xd9291464057da2e2;

using Cxx = import "/capnp/c++.capnp";
$Cxx.namespace("dfs::wire");

using Common = import "common.capnp";
using Chunk = import "chunk.capnp";

# Expected failures of namespace calls come back as `err`, a POSIX errno value
# (ENOENT, EEXIST, ENOTEMPTY, ENOTDIR, EISDIR, ENAMETOOLONG, EINVAL, ...); 0 = success.
# Unexpected failures (bad input, store errors) are exceptions.

interface Master {
  # Bootstrap interface of dfs-master.

  mount @0 (volume :Text, clientName :Text, chooseConsistency :Bool,
            consistency :Common.Consistency, cacheClient :CacheClient,
            replacesBoot :UInt64, replacesSession :UInt64, reclaims :UInt32)
      -> (err :Int32, session :Session, volume :Common.VolumeInfo,
          consistency :Common.Consistency, invalidates :Bool,
          boot :UInt64, sessionId :UInt64, lockGraceMs :UInt64, inlineMax :UInt32);
  # Opens a session on a volume (ENOENT if it does not exist). The session lives as long
  # as the client holds the capability. The mount runs at `consistency` if it chose one,
  # else at the volume's default; the result says which (dfsctl status shows it).
  # `invalidates`: the master will call `cacheClient` (if given) whenever names or
  # attributes this session was handed change through another session. For a quorum
  # mount it waits for the reply (at most --invalidate-timeout-ms) before acknowledging
  # that change, so the mount may cache names and attributes long; an eventual mount is
  # told without waiting (its caches are fresh again soon after a change, and its cache
  # times still bound them). Not for strong mounts.
  # `boot` names this run of the master (random at each start) and `sessionId` the new
  # session within it. A client whose earlier session is gone passes that session's
  # (boot, sessionId) as replacesBoot/replacesSession: if it is of this run, its locks
  # are dropped at once (the client knows the old connection is dead even if the master
  # has not noticed yet), so the new session can reclaim them (Session.setLock reclaim).
  # `lockGraceMs`: how long the master's lock grace period still lasts (0: none); lock
  # calls may wait that long before they are served, and the client allows for it.
  # `reclaims`: how many locks the client will reclaim on the new session. Once every
  # lock holder of the master's previous run is back (named by replacesBoot/Session) and
  # has sent that many reclaims, the grace period ends early.
  # `inlineMax`: a piece of a file's data ending at or before this many bytes may be
  # committed inline (CommitExtent.inlineData) instead of as a block; 0: never
  # (the master's --inline-max, at most kMaxInlineBytes).

  admin @1 () -> (admin :Admin);

  registerNode @2 (nodeId :UInt64, address :Text, capacityBytes :UInt64, usedBytes :UInt64,
                   chunk :Chunk.ChunkServer)
      -> (nodeId :UInt64, node :NodeSession, reportGraceMs :UInt64);
  # A chunk server announces itself. nodeId 0 = first start: the master assigns one,
  # which the server keeps on disk and sends from then on. `chunk` is the server's own
  # ChunkServer interface, which the master calls back over this connection (copyBlockTo
  # for re-replication). The node is `joining` until its block report is reconciled:
  # after registering it sends NodeSession.reportBlocks pages. Blocks the master does
  # not know that are at least reportGraceMs old are deleted by the master's reply.
  # A node that was removed by an admin fails with an exception.
}

struct SetAttrRequest {
  ino @0 :UInt64;
  setMode @1 :Bool;   mode @2 :UInt32;
  setUid @3 :Bool;    uid @4 :UInt32;
  setGid @5 :Bool;    gid @6 :UInt32;
  setSize @7 :Bool;   size @8 :UInt64;
  setAtime @9 :Bool;  atimeNs @10 :Int64;   # atimeNow: use the master's clock
  atimeNow @11 :Bool;
  setMtime @12 :Bool; mtimeNs @13 :Int64;
  mtimeNow @14 :Bool;
  ctimeNs @15 :Int64;
  # When the change was made, if not now (a mount sending changes it kept for a commit;
  # its clock): ctime becomes the later of the current ctime and this, never later than
  # the master's clock. 0 = now.
  killSuidgid @16 :Bool;
  # After the fields above: a non-directory loses S_ISUID, and S_ISGID if group-execute is
  # set (a write or truncate by a caller without CAP_FSETID, any chown: the mount handles
  # FUSE_HANDLE_KILLPRIV_V2). Alone in a commit's attrs (a write's), it moves no time
  # where no bit is set.
}

struct DirEntry {
  name @0 :Data;
  attr @1 :Common.Attr;
}

struct BlockPlacement {
  block @0 :Common.BlockId;
  replicas @1 :List(Common.NodeAddress);
}

struct StatFs {
  totalBytes @0 :UInt64;
  freeBytes @1 :UInt64;
  files @2 :UInt64;
  freeFiles @3 :UInt64;
}

interface Session {
  # One mount of one volume. Inode numbers are the master's; names are raw bytes.
  # Mutating calls carry `requestId`, unique per session; reserved for at-most-once retry.

  lookup @0 (parent :UInt64, name :Data) -> (err :Int32, attr :Common.Attr);
  getAttr @1 (ino :UInt64) -> (err :Int32, attr :Common.Attr);
  setAttr @2 (req :SetAttrRequest, requestId :UInt64) -> (err :Int32, attr :Common.Attr);
  # setSize truncates or extends (holes read as zeros).

  mknod @3 (parent :UInt64, name :Data, mode :UInt32, rdev :UInt64, uid :UInt32, gid :UInt32,
            exclusive :Bool, requestId :UInt64, open :Bool, umask :UInt32 = 0xffffffff,
            ino :UInt64, timeNs :Int64, wantLease :Bool)
      -> (err :Int32, attr :Common.Attr, parentAttr :Common.Attr, leased :Bool);
  # Creates a regular file or special file (mode carries the type). open=true also does
  # open() on the result for this session (create-and-open in one round trip). With exclusive=false
  # an existing regular file is returned instead of EEXIST (open O_CREAT without O_EXCL).
  # umask: the caller's umask, not yet applied to `mode`; the master applies it unless the
  # parent directory has a default ACL, which the new inode inherits instead (POSIX.1e).
  # 0xffffffff (the default, what clients that apply the umask themselves send) = none.
  # Asynchronous directory operations (a mount holding the parent's lease, see wantLease):
  # `ino` != 0 is a number from this session's reserveInodes, used for the new inode, and
  # `timeNs` its times and the parent's new mtime (what the mount already showed). Such a
  # call fails with ESTALE unless the session holds the lease on `parent`; the mount has
  # answered the caller already and did not wait for the reply.
  # wantLease: grant this session the lease on `parent` if nobody else may cache it
  # (`leased` says whether it holds it now).
  mkdir @4 (parent :UInt64, name :Data, mode :UInt32, uid :UInt32, gid :UInt32,
            requestId :UInt64, umask :UInt32 = 0xffffffff, wantLease :Bool)
      -> (err :Int32, attr :Common.Attr, parentAttr :Common.Attr, leased :Bool);
  # umask as for mknod; a new directory also inherits the parent's default ACL as its own.
  # wantLease: the lease on the new directory (`leased`: granted), as for mknod.
  symlink @5 (parent :UInt64, name :Data, target :Data, uid :UInt32, gid :UInt32,
              requestId :UInt64) -> (err :Int32, attr :Common.Attr, parentAttr :Common.Attr);
  readlink @6 (ino :UInt64) -> (err :Int32, target :Data);
  link @7 (ino :UInt64, newParent :UInt64, newName :Data, requestId :UInt64)
      -> (err :Int32, attr :Common.Attr, parentAttr :Common.Attr);
  unlink @8 (parent :UInt64, name :Data, requestId :UInt64, async :Bool, timeNs :Int64,
             wantLease :Bool)
      -> (err :Int32, ino :UInt64, parentAttr :Common.Attr, leased :Bool);
  # async, timeNs, wantLease, leased: as for mknod (async: sent under the parent's lease,
  # ESTALE without it; timeNs: the parent's new mtime and the inode's new ctime).
  rmdir @9 (parent :UInt64, name :Data, requestId :UInt64)
      -> (err :Int32, ino :UInt64, parentAttr :Common.Attr);
  # mknod, mkdir, symlink, link, unlink and rmdir also return the (new) parent directory's
  # attributes after the change, so a mount need not ask for them (its mtime moved).
  # `ino`: the inode the name referred to (its nlink and ctime moved).
  rename @10 (parent :UInt64, name :Data, newParent :UInt64, newName :Data, flags :UInt32,
              requestId :UInt64) -> (err :Int32, ino :UInt64, replacedIno :UInt64);
  # flags: RENAME_NOREPLACE (1) / RENAME_EXCHANGE (2) as in renameat2. `ino`: the inode
  # moved; `replacedIno`: the one newName referred to before (0 if none).
  # Clients caching attributes use them to drop those inodes' cached attributes.

  readdir @11 (ino :UInt64, after :Data, maxEntries :UInt32)
      -> (err :Int32, entries :List(DirEntry), eof :Bool);
  # Entries sorted by name, strictly after `after` (empty = from the start); "." and ".."
  # are not included. Page through large directories by passing the last name back.

  statfs @12 () -> (stat :StatFs);

  getExtents @13 (ino :UInt64, offset :UInt64, length :UInt64)
      -> (err :Int32, attr :Common.Attr, extents :List(Common.Extent));
  # Extents overlapping [offset, offset+length), in file order; gaps are holes.

  allocateBlocks @14 (count :UInt32, excludeNodes :List(UInt64))
      -> (err :Int32, blocks :List(BlockPlacement), replicas :UInt32);
  # New block ids, each placed on up to `replicas` (the volume's target count) distinct
  # live chunk servers (never on excludeNodes); fewer when fewer are live, which a strong
  # mount refuses. ENOSPC when no server is live.

  commit @15 (ino :UInt64, extents :List(CommitExtent), minSize :UInt64, requestId :UInt64,
              writeTimeNs :Int64, attrs :SetAttrRequest)
      -> (err :Int32, attr :Common.Attr);
  # Atomically points the given file ranges at newly written blocks (later entries win
  # over earlier ones), grows the size to at least minSize, sets mtime/ctime. An extent
  # with inlineData stores those bytes in the master instead (a small file's data).
  # writeTimeNs: when the client's last write() of these extents happened (ns since the
  # epoch, client clock; 0 = unknown). The master sets mtime to it (ctime to it unless
  # ctime is later), bounded by its own clock (never in the future); 0 or a negative
  # value means its own time, as before the field existed.
  # attrs (if set): a setAttr of the same inode applied right after the extents, in the
  # same step (chmod/chown/utimes a mount made while writing the file, sent with its data;
  # an explicit mtime there wins over writeTimeNs). Its size fields are ignored.

  ping @16 () -> ();

  open @17 (ino :UInt64) -> (err :Int32, attr :Common.Attr);
  # Registers that this session holds file `ino` open and returns its current attributes.
  # A file unlinked while any session holds it open keeps its data (nlink 0) until the
  # last release, or until the session ends.
  release @18 (ino :UInt64, more :List(UInt64)) -> ();
  # Ends one open() of `ino` by this session (unknown inos are ignored), and one of each
  # inode in `more` (a mount batches its releases; an inode may appear more than once).
  # At most kMaxReleaseBatch inodes in `more`.

  sync @19 () -> ();
  # Makes every change the master acknowledged so far durable against a crash of its
  # machine (fsync of the metadata log). The client calls it for fsync()/fsyncdir() and
  # after each write of a strong mount; other changes become durable within the master's
  # --metadata-sync interval.

  setXattr @20 (ino :UInt64, name :Data, value :Data, flags :UInt32, requestId :UInt64,
                privileged :Bool, groups :List(UInt32))
      -> (err :Int32, attr :Common.Attr);
  # Sets extended attribute `name` (user.*, trusted.*, security.*, system.posix_acl_access,
  # system.posix_acl_default; others EOPNOTSUPP). flags: XATTR_CREATE (1, EEXIST if it
  # exists) / XATTR_REPLACE (2, ENODATA if not). ERANGE for a name of 0 or > 255 bytes,
  # E2BIG for a value > 64 KiB, EINVAL for an invalid ACL. Setting the access ACL sets the
  # mode's permission bits, and clears the set-group-ID bit unless the caller is
  # `privileged` (root) or the file's group is among its `groups` (its gid and
  # supplementary groups), as the kernel's posix_acl_update_mode() does for local file
  # systems. `attr` is the inode afterwards (ctime moved).
  getXattr @21 (ino :UInt64, name :Data) -> (err :Int32, value :Data);
  # ENODATA if absent.
  listXattr @22 (ino :UInt64) -> (err :Int32, names :List(Data));
  # Every xattr name of the inode, in byte order (the client filters by caller privilege).
  removeXattr @23 (ino :UInt64, name :Data, requestId :UInt64) -> (err :Int32);
  # ENODATA if absent (removing an absent ACL succeeds, as on ext4).

  getLock @24 (lock :LockRequest) -> (conflict :HeldLock);
  # F_GETLK: the first lock held by another owner that would block `lock` (type read or
  # write), or conflict.type = unlock when `lock` could be granted now.
  setLock @25 (lock :LockRequest, wait :Bool, waitTag :UInt64, reclaim :Bool) -> (err :Int32);
  # F_SETLK(W) / flock(): sets or clears the range for (this session, lock.owner).
  # err: 0 granted; EAGAIN conflict and !wait; EDEADLK waiting would deadlock (fcntl
  # locks only); EINTR the wait was interrupted (releaseLocks with interruptTag). With
  # wait the call returns only once the lock is granted; cancelling the call withdraws
  # the request. waitTag (nonzero, unique in the session) names a wait for interrupting.
  # All locks and waits of a session end with the session.
  # reclaim: the client re-asserts a lock its processes held under an earlier session
  # (the master restarted, or the session was lost). Granted at once if nothing
  # conflicts, else EAGAIN (the lock is lost); never waits. After a restart that found
  # lock holders from its previous run, the master keeps a grace period
  # (--lock-grace-ms) in which only reclaims and unlocks are served: other setLock and
  # getLock calls wait until it ends (non-waiting ones too; keep the grace below the
  # clients' RPC deadline).
  releaseLocks @26 (ino :UInt64, owner :UInt64, allOwners :Bool, posix :Bool, flock :Bool,
                    interruptTag :UInt64) -> (interrupted :Bool);
  # Drops this session's locks on `ino` (fcntl ones if posix, flock ones if flock) held by
  # `owner`, or by any of its owners if allOwners: close() drops a process's fcntl locks
  # (FUSE flush), the last close of a file description its flock lock (FUSE release).
  # interruptTag != 0: also ends the session's pending setLock with that waitTag, which
  # returns EINTR (interrupted = true), unless it was granted first (interrupted = false).

  fallocate @27 (ino :UInt64, mode :UInt32, offset :UInt64, length :UInt64,
                 requestId :UInt64, killSuidgid :Bool) -> (err :Int32, attr :Common.Attr);
  # fallocate(2) on a regular file. mode 0: size = max(size, offset+length) (nothing is
  # reserved: holes read as zeros; ENOSPC, with nothing changed, when the range's unwritten
  # bytes exceed the volume's free space as statfs reports it — also for KEEP_SIZE and
  # ZERO_RANGE); KEEP_SIZE (1): no change; PUNCH_HOLE|KEEP_SIZE (3):
  # the range becomes a hole (its extent pieces are cut, blocks lose references);
  # ZERO_RANGE (0x10, optionally |KEEP_SIZE): punch, then grow the size like mode 0.
  # Other modes: EOPNOTSUPP; length 0: EINVAL; end past the size limit: EFBIG.
  # killSuidgid: as SetAttrRequest's, once the range changed.

  copyRange @28 (inoIn :UInt64, offsetIn :UInt64, inoOut :UInt64, offsetOut :UInt64,
                 length :UInt64, requestId :UInt64, killSuidgid :Bool)
      -> (err :Int32, copied :UInt64, attr :Common.Attr);
  # copy_file_range(2) by sharing blocks: the destination range points at the source's
  # blocks (refcounts grow, no data moves); source holes stay holes. Copies
  # min(length, sizeIn - offsetIn) bytes (0 at or past the source's end), grows the
  # destination's size and sets its mtime/ctime. Overlapping ranges of one file: EINVAL.
  # attr is the destination's. killSuidgid: as SetAttrRequest's, for the destination when
  # bytes were copied.

  touchAtime @29 (ino :UInt64) -> (err :Int32, updated :Bool, attr :Common.Attr);
  # A read of `ino` under relatime rules: atime becomes now if it is not later than mtime
  # or ctime, or is a day old (updated = true); nothing else changes (not ctime).

  addCopies @30 (copies :List(BlockCopy)) -> (unknown :List(UInt32));
  # Copies the mount's uploads left behind (a slow server) and that landed: the master
  # records each on its block (then trims surplus as usual) instead of deleting it as
  # unknown at the server's next block report. Copies on nodes it does not know, or of
  # blocks already at kMaxReplicas copies, are ignored; those of blocks not committed
  # (yet: the writer commits later) are listed in `unknown` (indexes into `copies`), for
  # the mount to try again after its commit. At most kMaxAddCopies entries.

  reserveInodes @31 (count :UInt32) -> (first :UInt64, count :UInt32);
  # Inode numbers [first, first + count) for this session's asynchronous creations (mknod
  # with `ino`), used in increasing order; at most kMaxReservedInodes per call. They are
  # this session's only: numbers left unused are never given to anyone.
}

struct BlockCopy {
  block @0 :Common.BlockId;
  node @1 :UInt64;
}

interface CacheClient {
  # A mount's kernel caches, as the master sees them (see Master.mount).
  invalidate @0 (attrs :List(UInt64), data :List(UInt64), entries :List(EntryName),
                 forgotten :Bool, fieldsSet :List(FieldsSet)) -> ();
  # Drop the cached attributes of `attrs`, the cached attributes and file pages of
  # `data` (their contents changed), and the cached names (positive or negative)
  # `entries`. Returns once the kernel dropped them.
  # fieldsSet: of those inodes, the attributes another mount set explicitly (chmod, chown,
  # utimes; also to the value they had): a change this mount keeps unsent for one of
  # them is older and is dropped (client PendingAttrs).
  # forgotten: the master stopped recording what this mount caches (it recorded more
  # than its limit) and starts afresh: the mount drops every cache it keeps on the
  # master's word (directory listings, attributes); its kernel's copies last at most
  # their timeouts.

  recallLease @1 (dirs :List(UInt64)) -> ();
  # Another session is about to use directories this mount holds the lease on (see
  # Session.mknod wantLease): the mount stops sending asynchronous operations in them
  # and returns once those it sent were answered. Unanswered within the master's recall
  # timeout, the lease is revoked: its later asynchronous operations fail (ESTALE).
}

struct FieldsSet {
  # Which attributes of inode `ino` a call set (see CacheClient.invalidate).
  ino @0 :UInt64;
  mode @1 :Bool;
  uid @2 :Bool;
  gid @3 :Bool;
  atime @4 :Bool;
  mtime @5 :Bool;
}

struct EntryName {
  parent @0 :UInt64;
  name @1 :Data;
}

enum LockType {
  unlock @0;
  read @1;
  write @2;
}

struct LockRequest {
  # One fcntl (POSIX, incl. OFD) or flock lock request. Byte range [start, end], end
  # inclusive; end = 0xffffffffffffffff reaches past the end of the file. flock locks are
  # whole-file locks of their own class: they never conflict with fcntl locks.
  ino @0 :UInt64;
  owner @1 :UInt64;     # the kernel's lock owner id (per process, or per open file for OFD/flock)
  pid @2 :UInt32;       # the requesting process, reported by getLock to others
  type @3 :LockType;
  start @4 :UInt64;
  end @5 :UInt64;
  flock @6 :Bool;
}

struct HeldLock {
  type @0 :LockType;
  start @1 :UInt64;
  end @2 :UInt64;       # inclusive, as in LockRequest
  pid @3 :UInt32;
}

struct CommitExtent {
  fileOffset @0 :UInt64;
  length @1 :UInt64;
  block @2 :Common.BlockId;
  blockOffset @3 :UInt64;
  blockSize @4 :UInt64;
  nodes @5 :List(UInt64);   # chunk servers that acknowledged the block
  inlineData @6 :Data;
  # Set: the piece is inline, these `length` bytes are its data (no block: `block` is the
  # zero id, blockOffset 0, blockSize = length, `nodes` empty). It must end at or before
  # kMaxInlineBytes (64 KiB) in the file; mounts use it only below the mount result's
  # `inlineMax`. At most kMaxInlineBytesPerCommit (1 MiB) of inline bytes per commit.
}

interface NodeSession {
  # A registered chunk server's channel to the master.
  heartbeat @0 (capacityBytes :UInt64, usedBytes :UInt64, blocks :UInt64, diskErrors :UInt64,
                load :Common.NodeLoad, dataDirs :List(Common.DataDirStatus),
                corruptBlocks :List(Common.BlockId), checksumErrors :UInt64)
      -> (deleteBlocks :List(Common.BlockId));
  # Reports state; the reply carries blocks the server should delete (garbage or surplus).
  # corruptBlocks: copies found corrupt (by a read or the scrubber) since the last
  # heartbeat, already removed locally; the master re-replicates them from good copies.

  reportBlocks @1 (blocks :List(BlockReportEntry), last :Bool) -> ();
  # The server's full block list, sent in pages (at most 16384 entries each) after every
  # registration and then periodically; `last` marks the final page (possibly empty).
  # The list is a snapshot taken before the first page was sent.
}

struct BlockReportEntry {
  block @0 :Common.BlockId;
  size @1 :UInt64;
  ageMs @2 :UInt64;   # how long ago the server stored it
}

interface Admin {
  status @0 () -> (nodes :List(Common.NodeStatus), volumes :List(Common.VolumeInfo),
                   mounts :List(Common.MountInfo), replication :Common.ReplicationStatus);
  listVolumes @1 () -> (volumes :List(Common.VolumeInfo));
  createVolume @2 (name :Text, replicas :UInt32) -> (err :Int32, volume :Common.VolumeInfo);

  nodeAction @3 (nodeId :UInt64, action :NodeAction, force :Bool) -> (err :Int32, message :Text);
  # drain: no new blocks, every copy moved elsewhere (then `remove` is safe).
  # undrain: back to normal. remove: forget the node (its copies no longer count; it may
  # not register again). Refused (EBUSY) while the node holds the only live copy of some
  # block, unless force. ENOENT for an unknown node.

  setVolume @4 (name :Text, setReplicas :Bool, replicas :UInt32, setConsistency :Bool,
                consistency :Common.Consistency) -> (err :Int32, volume :Common.VolumeInfo);
  # Changes a volume's policies; a new replica count applies to existing blocks too; a
  # new default consistency applies to later mounts.
}

enum NodeAction {
  drain @0;
  undrain @1;
  remove @2;
}
