// Command-line options of dfs-mount: MASTER[:PORT][/VOLUME] MOUNTPOINT [-o opts] [-f].
#pragma once

#include <common.capnp.h>

#include <kj/string.h>
#include <kj/vector.h>
#include <kj/time.h>

namespace dfs {

// Default size of the memory block cache: 1/16 of physical memory, within 256 MiB..4 GiB.
uint64_t defaultCacheBytes();

struct MountOptions {
  kj::String masterAddress;          // "host:port"
  kj::String volume = kj::str("default");
  kj::String mountpoint;
  bool foreground = false;
  bool debug = false;
  kj::Duration rpcTimeout = 10 * kj::SECONDS;  // deadline of each RPC
  double attrTimeout = 0.0;                     // kernel attr cache, seconds
  double entryTimeout = 0.0;                    // kernel dentry cache, seconds
  bool attrTimeoutSet = false;                  // given by the user (else the level's default)
  bool entryTimeoutSet = false;
  kj::Maybe<wire::Consistency> consistency;     // -o consistency=; else the volume's default
  uint64_t cacheBytes = defaultCacheBytes();    // in-memory block cache
  kj::String cacheDir;                          // on-disk segment cache; empty: none
  uint64_t cacheDirBytes = 1ull << 30;          // bound of cacheDir
  bool readahead = true;                        // prefetch ahead of sequential reads
  uint64_t dirCacheEntries = 200000;            // directory listing cache (quorum); 0: off
  bool noatime = false;                         // reads never move atime (else relatime)
  bool asyncDirops = true;                      // creates/unlinks in leased dirs don't wait
  bool handleKillPriv = true;                   // mount clears suid/sgid (KILLPRIV_V2)
  bool inlineData = true;                       // small files' data goes to the master
  bool dropBehind = true;                       // streams leave the memory cache once read
  kj::Duration busyPoll = 50 * kj::MICROSECONDS; // keep reading /dev/fuse this long; 0: off
  uint32_t maxRead = 0;                         // bound of one FUSE read (bytes); 0: 1 MiB
  kj::String metricsListen;                     // serve /metrics here (HOST:PORT); empty: off
  kj::String metricsPortFile;                   // write the bound metrics port here
  kj::Vector<kj::String> fuseOptions;           // passed through to libfuse / the kernel
};

// Parses argv. On error returns an error message (and `out` is unspecified).
kj::Maybe<kj::String> parseMountOptions(int argc, char** argv, MountOptions& out);

kj::StringPtr mountUsage();

}  // namespace dfs
