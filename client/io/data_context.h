// DataContext: the services the data path of every file shares in one mount.
#pragma once

#include <kj/timer.h>
#include <functional>
#include "client/cache/block_cache.h"
#include "client/rpc/chunk_pool.h"
#include "client/io/late_copies.h"
#include "client/io/placement_pool.h"
#include "client/io/unsynced_blocks.h"
#include "client/rpc/master_link.h"

namespace dfs {

class SegmentFetcher;

struct DataContext {
  MasterLink& master;
  ChunkPool& chunks;
  BlockCache& cache;
  SegmentFetcher& fetcher;
  kj::Timer& timer;
  UnsyncedBlocks& unsynced;   // copies uploaded with deferred fsync (not strong mounts)
  PlacementPool& placements;  // where new blocks go
  LateCopies& late;           // replica writes an upload stopped waiting for
  uint64_t readaheadMax = 0;  // largest readahead window per open file; 0 = off
  bool inlineData = true;     // small files' data may go inline (MasterLink::inlineMax)
  // Drop-behind: a segment a sequential reader has read to its end leaves the memory cache
  // at once. Set where the kernel keeps read data in its page cache (not strong mounts),
  // so the mount does not hold a second copy of a stream, and a stream reuses a few
  // segments' memory instead of filling the cache with new pages.
  bool dropBehind = false;
  // Called after every commit or attribute change a file's data path made (also those not
  // asked for by the file system: a read flushing first, a long write committing as it
  // goes), with the inode: what the mount cached of its attributes is stale.
  std::function<void(uint64_t ino)> changed;
};

// Reads are served from the cache in segments of this many bytes of a block.
constexpr uint64_t kSegmentSize = 256u << 10;
// Uploads in flight per file before a write waits.
constexpr size_t kMaxUploadsPerFile = 4;
// Blocks uploaded before the writer commits without waiting for close.
constexpr size_t kCommitEveryBlocks = 16;
// Pieces (separate writes) committed at most in one commit (the master takes 4096).
constexpr size_t kMaxPiecesPerCommit = 2048;
// Once a block has the copies its level needs, the other writes get a few times the time
// those took, within these bounds, before the upload goes on without them.
constexpr kj::Duration kMinLateGrace = 200 * kj::MILLISECONDS;
constexpr kj::Duration kMaxLateGrace = 2 * kj::SECONDS;
// How long a chunk server that missed the grace, or failed a write, is left out of new
// placements.
constexpr kj::Duration kAvoidLateServer = 5 * kj::SECONDS;
// Bytes of extent map fetched per getExtents call.
constexpr uint64_t kExtentWindow = 256ull << 20;

}  // namespace dfs
