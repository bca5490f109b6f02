# Records the master stores in its MetaStore (RocksDB values). Not sent on the wire.
@0xc364a6dfeb237e03;

using Cxx = import "/capnp/c++.capnp";
$Cxx.namespace("dfs::meta");

using Common = import "common.capnp";

struct InodeRecord {
  attr @0 :Common.Attr;
  volumeId @1 :UInt64;
  symlinkTarget @2 :Data;   # only for symlinks
  parent @3 :UInt64;        # directories only: the containing directory (root: itself);
                            # rename walks these up to refuse moving a dir into its subtree
  hasXattrs @4 :Bool;       # 'X' keys may exist for this inode (set when one is stored):
                            # deleting an inode without any skips the scan for them
}

struct VolumeRecord {
  info @0 :Common.VolumeInfo;
}

struct BlockRecord {
  # Reference count = number of extent pieces that point at the block.
  refs @0 :UInt64;
  size @1 :UInt64;
  nodes @2 :List(UInt64);   # chunk servers holding a copy
  volumeId @3 :UInt64;      # volume whose replica count applies (0 = master default)
  createdNs @4 :Int64;      # when the block was first committed
}

struct NodeRecord {
  nodeId @0 :UInt64;
  address @1 :Text;
  registeredNs @2 :Int64;
  draining @3 :Bool;
  removed @4 :Bool;
}

struct ExtentRecord {
  # Value of an extent key (inode, fileOffset): where those file bytes live.
  block @0 :Common.BlockId;
  blockOffset @1 :UInt64;
  length @2 :UInt64;
  blockSize @3 :UInt64;
  inlineData @4 :Data;      # set: an inline piece, these are its bytes (block is zero)
}
