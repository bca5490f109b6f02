# Types shared by every dfs wire interface: block ids, attributes, extents, node info.
@0xc56f75885a3ead0f;

using Cxx = import "/capnp/c++.capnp";
$Cxx.namespace("dfs::wire");

struct BlockId {
  # A random 128-bit block id (or, later, a content hash prefix on dedup volumes).
  hi @0 :UInt64;
  lo @1 :UInt64;
}

struct Attr {
  # POSIX attributes of one inode. Times are nanoseconds since the Unix epoch.
  ino @0 :UInt64;
  mode @1 :UInt32;       # file type bits and permission bits, as in st_mode
  nlink @2 :UInt32;
  uid @3 :UInt32;
  gid @4 :UInt32;
  rdev @5 :UInt64;
  size @6 :UInt64;
  atimeNs @7 :Int64;
  mtimeNs @8 :Int64;
  ctimeNs @9 :Int64;
  generation @10 :UInt64;  # bumped when an inode number is reused (never, today)
  allocatedBytes @11 :UInt64 = 0xffffffffffffffff;
  # Regular files: bytes mapped to blocks (holes excluded), for st_blocks. All ones =
  # unknown (a record from before this field; an older master): use the size.
  noXattrs @12 :Bool;
  # True: the inode has no extended attributes (and so no ACL), so a client may answer
  # listxattr/getxattr itself while these attributes are current. False: it may have some.
}

struct NodeAddress {
  # Where a chunk server listens.
  nodeId @0 :UInt64;
  address @1 :Text;       # "host:port"
}

struct Extent {
  # One piece of a file's extent map: file bytes [fileOffset, fileOffset+length) are
  # bytes [blockOffset, blockOffset+length) of block `block`.
  fileOffset @0 :UInt64;
  length @1 :UInt64;
  block @2 :BlockId;
  blockOffset @3 :UInt64;
  blockSize @4 :UInt64;          # full size of the block (for caching whole segments)
  replicas @5 :List(NodeAddress); # live chunk servers holding the block, best first
  inlineData @6 :Data;
  # Set for an inline piece: these are the `length` bytes themselves, held by the master
  # (a small file's data, docs/ARCHITECTURE.md "Inline data"); `block` is then the zero id,
  # blockOffset 0, blockSize = length and `replicas` empty.
}

enum Consistency {
  # What a mount promises (docs/ARCHITECTURE.md, "Consistency levels"). The first value
  # is the default of volumes that never set one.
  quorum @0;     # a majority of replicas ack; committed at close/fsync; close-to-open
  strong @1;     # every write acked by all replicas and committed before write() returns
  eventual @2;   # one replica acks, the master completes the rest; write-back; cache TTLs
}

struct VolumeInfo {
  name @0 :Text;
  id @1 :UInt64;
  rootIno @2 :UInt64;
  replicas @3 :UInt32;           # target replica count for new blocks
  createdNs @4 :Int64;
  usedBytes @5 :UInt64;          # logical bytes in files (sum of sizes)
  inodes @6 :UInt64;             # number of inodes
  quotaBytes @7 :UInt64;         # 0 = no quota (thin volume limited by the cluster)
  consistency @8 :Consistency;   # default level of mounts that do not choose one
}

enum NodeHealth {
  healthy @0;
  suspect @1;    # heartbeats late
  dead @2;       # heartbeats missing past the dead timeout
}

enum NodeState {
  # A chunk server's place in the cluster, as `dfsctl node list` shows it.
  joining @0;    # registered; its block report is not reconciled yet (no new blocks)
  healthy @1;
  suspect @2;    # heartbeats late: still read from, no new blocks
  dead @3;       # heartbeats missing past the dead timeout: its copies are re-replicated
  draining @4;   # admin asked to empty it: no new blocks, copies moved elsewhere
  removed @5;    # admin removed it: forgotten by every block, may not register again
}

struct DataDirStatus {
  path @0 :Text;
  capacityBytes @1 :UInt64;
  usedBytes @2 :UInt64;    # bytes of stored blocks
  freeBytes @3 :UInt64;    # free space the file system reports (statvfs)
  errors @4 :UInt64;
}

struct NodeLoad {
  # A chunk server's load over its last heartbeat interval.
  requestsInFlight @0 :UInt32;
  readBytesPerSec @1 :UInt64;
  writeBytesPerSec @2 :UInt64;
  avgLatencyUs @3 :UInt64;   # mean service time of the requests completed in the interval
  requestsPerSec @4 :UInt64;
}

struct NodeStatus {
  nodeId @0 :UInt64;
  address @1 :Text;
  health @2 :NodeHealth;
  capacityBytes @3 :UInt64;
  usedBytes @4 :UInt64;
  freeBytes @5 :UInt64;
  blocks @6 :UInt64;
  lastHeartbeatAgeMs @7 :UInt64;
  diskErrors @8 :UInt64;
  state @9 :NodeState;
  draining @10 :Bool;               # admin drain requested (state shows dead over draining)
  load @11 :NodeLoad;
  dataDirs @12 :List(DataDirStatus);
  listedBlocks @13 :UInt64;         # blocks the master's records place on it (last scan)
  checksumErrors @14 :UInt64;       # corrupt copies it reported since the master started
}

struct ReplicationStatus {
  # The replication manager's view, from its last full scan of block records.
  blocks @0 :UInt64;
  underReplicated @1 :UInt64;   # fewer live copies than the target (missing included)
  missing @2 :UInt64;           # no copy on any node that is alive
  overReplicated @3 :UInt64;
  repairsInFlight @4 :UInt32;
  repairQueue @5 :UInt64;       # blocks waiting for a copy
  repairedBlocks @6 :UInt64;    # copies made since the master started
  repairedBytes @7 :UInt64;
  trimmedCopies @8 :UInt64;     # surplus copies removed since the master started
  movedBlocks @9 :UInt64;       # rebalance moves done since the master started
  failedRepairs @10 :UInt64;
  scanCycles @11 :UInt64;       # full scans completed
  lastScanMs @12 :UInt64;       # how long the last full scan took
}

struct MountInfo {
  sessionId @0 :UInt64;
  clientName @1 :Text;   # host and pid of the client
  volume @2 :Text;
  connectedNs @3 :Int64;
  consistency @4 :Consistency;   # the level this mount runs at
}
