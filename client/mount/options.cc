// Parsing of dfs-mount's command line and -o options.
#include "options.h"

#include <cstdlib>
#include <unistd.h>
#include <cstring>
#include <cerrno>
#include "common/base/clock.h"
#include "common/base/parse.h"
#include "common/rpc/rpc.h"

namespace dfs {
namespace {

constexpr unsigned kDefaultMasterPort = 9400;

bool parseSeconds(kj::StringPtr text, double& out) {
  if (text.size() == 0) return false;
  char* end = nullptr;
  errno = 0;
  double v = strtod(text.cStr(), &end);
  if (errno != 0 || *end != '\0' || !(v >= 0) || v > 86400 * 365) return false;
  out = v;
  return true;
}

bool parseBytes(kj::StringPtr text, uint64_t& out) {
  if (text.size() == 0) return false;
  char* end = nullptr;
  errno = 0;
  unsigned long long v = strtoull(text.cStr(), &end, 10);
  if (errno != 0 || end == text.cStr()) return false;
  uint64_t mult = 1;
  kj::StringPtr suffix(end);
  if (suffix == "" ) mult = 1;
  else if (suffix == "K" || suffix == "k") mult = 1ull << 10;
  else if (suffix == "M" || suffix == "m") mult = 1ull << 20;
  else if (suffix == "G" || suffix == "g") mult = 1ull << 30;
  else return false;
  out = v * mult;
  return true;
}

}  // namespace

uint64_t defaultCacheBytes() {
  long pages = sysconf(_SC_PHYS_PAGES);
  long pageSize = sysconf(_SC_PAGESIZE);
  uint64_t ram = pages > 0 && pageSize > 0 ? uint64_t(pages) * uint64_t(pageSize) : 0;
  return kj::max(uint64_t(256) << 20, kj::min(uint64_t(4) << 30, ram / 16));
}

namespace {

// A 0|1 option (also off|on; the bare name means on).
kj::Maybe<kj::String> parseSwitch(kj::StringPtr key, kj::StringPtr value, bool& out) {
  if (value == "1" || value == "on" || value.size() == 0) {
    out = true;
  } else if (value == "0" || value == "off") {
    out = false;
  } else {
    return kj::str("bad ", key, " (0|1): ", value);
  }
  return nullptr;
}

kj::Maybe<kj::String> applyOption(kj::StringPtr opt, MountOptions& out) {
  kj::StringPtr key = opt;
  kj::String keyOwned;
  kj::StringPtr value;
  KJ_IF_MAYBE(eq, opt.findFirst('=')) {
    keyOwned = kj::heapString(opt.slice(0, *eq));
    key = keyOwned;
    value = opt.slice(*eq + 1);
  }
  if (key == "rpc_timeout") {
    double s;
    if (!parseSeconds(value, s) || s <= 0) return kj::str("bad rpc_timeout: ", value);
    out.rpcTimeout = secondsToDuration(s);
  } else if (key == "attr_timeout") {
    if (!parseSeconds(value, out.attrTimeout)) return kj::str("bad attr_timeout: ", value);
    out.attrTimeoutSet = true;
  } else if (key == "entry_timeout") {
    if (!parseSeconds(value, out.entryTimeout)) return kj::str("bad entry_timeout: ", value);
    out.entryTimeoutSet = true;
  } else if (key == "cache_size") {
    if (!parseBytes(value, out.cacheBytes)) return kj::str("bad cache_size: ", value);
  } else if (key == "cache_dir") {
    if (value.size() == 0) return kj::str("bad cache_dir: empty");
    out.cacheDir = kj::str(value);
  } else if (key == "cache_dir_size") {
    if (!parseBytes(value, out.cacheDirBytes) || out.cacheDirBytes == 0) {
      return kj::str("bad cache_dir_size: ", value);
    }
  } else if (key == "dir_cache") {
    if (!parseUnsigned(value, out.dirCacheEntries, 100'000'000)) {
      return kj::str("bad dir_cache (entries): ", value);
    }
  } else if (key == "readahead") {
    out.readahead = true;
  } else if (key == "noreadahead") {
    out.readahead = false;
  } else if (key == "metrics_listen") {
    kj::String host;
    unsigned port;
    if (!splitHostPort(value, host, port)) return kj::str("bad metrics_listen (HOST:PORT): ", value);
    out.metricsListen = kj::str(value);
  } else if (key == "metrics_port_file") {
    if (value.size() == 0) return kj::str("bad metrics_port_file: empty");
    out.metricsPortFile = kj::str(value);
  } else if (key == "debug") {
    out.debug = true;
  } else if (key == "consistency") {
    if (value == "strong") {
      out.consistency = wire::Consistency::STRONG;
    } else if (value == "quorum") {
      out.consistency = wire::Consistency::QUORUM;
    } else if (value == "eventual") {
      out.consistency = wire::Consistency::EVENTUAL;
    } else {
      return kj::str("bad consistency (strong|quorum|eventual): ", value);
    }
  } else if (key == "async_dirops") {
    return parseSwitch(key, value, out.asyncDirops);
  } else if (key == "inline_data") {
    return parseSwitch(key, value, out.inlineData);
  } else if (key == "drop_behind") {
    return parseSwitch(key, value, out.dropBehind);
  } else if (key == "handle_killpriv") {
    return parseSwitch(key, value, out.handleKillPriv);
  } else if (key == "busy_poll_us") {
    uint64_t us;
    if (!parseUnsigned(value, us, 1'000'000)) return kj::str("bad busy_poll_us: ", value);
    out.busyPoll = us * kj::MICROSECONDS;
  } else if (key == "max_read") {
    // The kernel takes it as a mount option and libfuse wants the INIT reply to agree.
    uint64_t bytes;
    if (!parseBytes(value, bytes) || bytes < 4096 || bytes > (1u << 20)) {
      return kj::str("bad max_read (4K..1M): ", value);
    }
    out.maxRead = uint32_t(bytes);
    out.fuseOptions.add(kj::str("max_read=", bytes));
  } else if (key == "noatime" || key == "relatime") {
    out.noatime = key == "noatime";
    out.fuseOptions.add(kj::str(opt));
  } else if (key == "allow_other" || key == "allow_root" || key == "default_permissions" ||
             key == "ro" || key == "rw" || key == "noatime" || key == "relatime" ||
             key == "nosuid" || key == "suid" || key == "nodev" || key == "dev" ||
             key == "exec" || key == "noexec" || key == "auto_unmount" || key == "fsname" ||
             key == "subtype") {
    out.fuseOptions.add(kj::str(opt));
  } else {
    return kj::str("unknown option: ", opt);
  }
  return nullptr;
}

}  // namespace

kj::StringPtr mountUsage() {
  return "usage: dfs-mount MASTER[:PORT][/VOLUME] MOUNTPOINT [-o opt[,opt...]] [-f]\n"
         "options:\n"
         "  rpc_timeout=SECONDS   deadline of every RPC (default 10); then EIO\n"
         "  attr_timeout=SECONDS  kernel attribute cache time (strong 0, quorum 10 and\n"
         "      invalidated by the master, eventual 1)\n"
         "  entry_timeout=SECONDS kernel name cache time (same defaults)\n"
         "  dir_cache=N           quorum: keep listings of up to N entries to answer\n"
         "      lookups without the master (default 200000; 0 = off)\n"
         "  cache_size=BYTES[K|M|G] memory block cache (default 1/16 of RAM, 256M..4G)\n"
         "  cache_dir=PATH        also keep fetched block segments as files under PATH\n"
         "      (checksummed; reused across remounts; default: no disk cache)\n"
         "  cache_dir_size=BYTES[K|M|G] bound of cache_dir, LRU eviction (default 1G)\n"
         "  noreadahead           no prefetching ahead of sequential reads\n"
         "  drop_behind=0|1       quorum and eventual: a segment a sequential reader has\n"
         "      read leaves the memory cache (the kernel's page cache holds the data);\n"
         "      0 keeps streams in the memory cache too (default 1)\n"
         "  async_dirops=0|1      quorum and eventual: in a directory no other mount uses\n"
         "      (the master's lease), creates and unlinks are answered without waiting for\n"
         "      the master, which applies them in order (default 1; fsync of the file or\n"
         "      directory waits for them)\n"
         "  inline_data=0|1       write a small file's data (up to the master's\n"
         "      --inline-max, 64 KiB by default) to the master with its commit instead of\n"
         "      as a block to chunk servers (default 1)\n"
         "  handle_killpriv=0|1   the mount, not the kernel, clears set-user-ID and\n"
         "      set-group-ID bits on write, truncate and chown (FUSE_HANDLE_KILLPRIV_V2):\n"
         "      the kernel then stops asking for security.capability before every write\n"
         "      (default 1)\n"
         "  busy_poll_us=N        after a request or answer, keep polling for the next\n"
         "      one for N microseconds before sleeping (10 N while an answer waits for an\n"
         "      RPC; default 50; 0 = off): saves a wakeup per request of programs that\n"
         "      call in a row, for up to N us of CPU each time\n"
         "  max_read=BYTES[K]     largest read the kernel sends (4K..1M, default 1M)\n"
         "  metrics_listen=HOST:PORT  serve /metrics and /healthz over HTTP (port 0 = any)\n"
         "  metrics_port_file=PATH  write the bound metrics port to PATH\n"
         "  consistency=strong|quorum|eventual  (default: the volume's)\n"
         "      strong: write() returns once every replica has the data and the master\n"
         "        committed it; other mounts see it at once (no kernel data cache)\n"
         "      quorum: a majority of replicas ack; committed at close/fsync; close-to-open\n"
         "      eventual: one replica acks, the master makes the others; write-back;\n"
         "        other mounts see changes after the cache times (attr/entry_timeout)\n"
         "  allow_other, default_permissions, ro, noatime, debug, ...\n"
         "  -f                    stay in the foreground\n"_kj;
}

kj::Maybe<kj::String> parseMountOptions(int argc, char** argv, MountOptions& out) {
  kj::Vector<kj::StringPtr> positional;
  for (int i = 1; i < argc; i++) {
    kj::StringPtr arg = argv[i];
    if (arg == "-f") {
      out.foreground = true;
    } else if (arg == "-d") {
      out.debug = true;
      out.foreground = true;
    } else if (arg == "-o") {
      if (i + 1 >= argc) return kj::str("-o needs an argument");
      kj::StringPtr opts = argv[++i];
      size_t start = 0;
      while (start <= opts.size()) {
        size_t end = start;
        while (end < opts.size() && opts[end] != ',') end++;
        if (end > start) {
          auto one = kj::heapString(opts.slice(start, end));
          KJ_IF_MAYBE(err, applyOption(one, out)) return kj::mv(*err);
        }
        start = end + 1;
      }
    } else if (arg.startsWith("-")) {
      return kj::str("unknown flag: ", arg);
    } else {
      positional.add(arg);
    }
  }
  if (positional.size() != 2) return kj::str("expected MASTER[:PORT][/VOLUME] and MOUNTPOINT");

  kj::StringPtr target = positional[0];
  kj::StringPtr hostPort = target;
  kj::String hostPortOwned;
  KJ_IF_MAYBE(slash, target.findFirst('/')) {
    hostPortOwned = kj::heapString(target.slice(0, *slash));
    hostPort = hostPortOwned;
    out.volume = kj::heapString(target.slice(*slash + 1));
    if (out.volume.size() == 0) return kj::str("empty volume name in ", target);
  }
  if (hostPort.size() == 0) return kj::str("empty master address in ", target);
  kj::String host;
  unsigned port;
  if (hostPort.findFirst(':') == nullptr) {
    out.masterAddress = kj::str(hostPort, ":", kDefaultMasterPort);
  } else if (splitHostPort(hostPort, host, port) && port != 0) {
    out.masterAddress = kj::str(hostPort);
  } else {
    return kj::str("bad master address: ", hostPort);
  }
  out.mountpoint = kj::str(positional[1]);
  return nullptr;
}

}  // namespace dfs
