# The chunk server's RPC interface: immutable blocks, streamed writes, range reads.
@0xbb566e55dde8b044;

using Cxx = import "/capnp/c++.capnp";
$Cxx.namespace("dfs::wire");

using Common = import "common.capnp";

interface ChunkServer {
  # Bootstrap interface of dfs-chunkserver. Blocks are immutable: a block id is written
  # once and never changes content.

  writeBlock @0 (block :Common.BlockId, size :UInt64, deferSync :Bool)
      -> (writer :BlockWriter);
  # Starts a new block of exactly `size` bytes (1 .. 4 MiB). Data follows through
  # writer.write() calls; writer.finish() makes it visible and durable (fsync + rename) —
  # with deferSync, durable only by the next sync() or within the server's --data-sync
  # interval (it survives a crash of the server process at once, not one of its machine).
  # A writer dropped without finish() leaves nothing behind.

  readBlock @1 (block :Common.BlockId, offset :UInt64, length :UInt64) -> (data :Data);
  # Returns bytes [offset, offset+length) of the block, clipped at the block's end.
  # Checksums of every chunk touched are verified; a corrupt copy throws (never returns
  # wrong bytes). An unknown block throws.

  statBlock @2 (block :Common.BlockId) -> (exists :Bool, size :UInt64);

  deleteBlocks @3 (blocks :List(Common.BlockId)) -> (deleted :UInt32);
  # Removes the blocks that exist; unknown ids are ignored.

  copyBlockTo @4 (block :Common.BlockId, target :Text) -> ();
  # Replicates a local block to the chunk server at `target` ("host:port"): peer
  # replication used by re-replication and resync.

  sync @5 () -> ();
  # Returns once every block finished before the call is durable; fails if one of them
  # could not be made so (that copy is dropped, as a corrupt one would be).

  putBlock @6 (block :Common.BlockId, data :Data, deferSync :Bool) -> ();
  # writeBlock, one write() and finish() in one call, for a block of 1 .. 1 MiB (the
  # write() piece limit): a small file's copy costs one message each way instead of three.
}

interface BlockWriter {
  write @0 (data :Data) -> stream;
  # Appends the next piece (at most 1 MiB) of the block.
  finish @1 () -> ();
  # Verifies the length and stores the block (durably unless deferSync); fails if the size
  # is wrong.
}
