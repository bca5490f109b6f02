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
}

enum NodeHealth {
  healthy @0;
  suspect @1;    # heartbeats late
  dead @2;       # heartbeats missing past the dead timeout
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
}

struct MountInfo {
  sessionId @0 :UInt64;
  clientName @1 :Text;   # host and pid of the client
  volume @2 :Text;
  connectedNs @3 :Int64;
}
