// dfs-master entry point: parses flags, opens the metadata store, serves RPC. Wiring only.
#include "server/master/service/master_core.h"
#include "server/master/service/master_impl.h"
#include "server/master/service/master_metrics.h"
#include "common/metrics/http_endpoint.h"
#include "server/master/store/rocks_store.h"
#include "common/rpc/rpc.h"
#include <kj/async-unix.h>
#include <kj/debug.h>
#include <kj/main.h>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/base/parse.h"
#include "common/base/port_file.h"

namespace dfs {
namespace {

kj::MainBuilder::Validity parseUint(kj::StringPtr arg, uint64_t min, uint64_t max,
                                    uint64_t& out) {
  uint64_t v;
  if (!parseUnsigned(arg, v, max) || v < min) {
    return kj::str("expected an integer in [", min, ", ", max, "]");
  }
  out = v;
  return true;
}

class MasterMain {
public:
  explicit MasterMain(kj::ProcessContext& context) : context(context) {}

  kj::MainFunc getMain() {
    return kj::MainBuilder(context, "dfs-master 0.1.0",
                           "The dfs metadata master: namespace, extent maps, volumes, "
                           "chunk server registry and block garbage collection.")
        .addOptionWithArg({"listen"}, KJ_BIND_METHOD(*this, setListen), "<host:port>",
                          "Address to serve RPC on (default 127.0.0.1:9400; port 0 = any).")
        .addOptionWithArg({"data-dir"}, KJ_BIND_METHOD(*this, setDataDir), "<dir>",
                          "Directory for the metadata (RocksDB in <dir>/meta). Required.")
        .addOptionWithArg({"port-file"}, KJ_BIND_METHOD(*this, setPortFile), "<file>",
                          "Write the bound port to <file> once listening.")
        .addOptionWithArg({"default-replicas"}, KJ_BIND_METHOD(*this, setReplicas), "<n>",
                          "Replicas of the 'default' volume and of new volumes (default 2).")
        .addOptionWithArg({"suspect-timeout-ms"}, KJ_BIND_METHOD(*this, setSuspect), "<ms>",
                          "Heartbeat silence before a node is suspect (default 3000).")
        .addOptionWithArg({"dead-timeout-ms"}, KJ_BIND_METHOD(*this, setDead), "<ms>",
                          "Heartbeat silence before a node is dead (default 10000).")
        .addOptionWithArg({"gc-grace-ms"}, KJ_BIND_METHOD(*this, setGrace), "<ms>",
                          "Delay before an unreferenced block is deleted (default 30000).")
        .addOptionWithArg({"metadata-sync"}, KJ_BIND_METHOD(*this, setMetadataSync),
                          "<always|ms>",
                          "When metadata changes are fsynced: 'always' (before every reply) "
                          "or every <ms> milliseconds (default 100). Changes always survive a "
                          "crash of the master process; the interval bounds what a crash of "
                          "the machine can lose. fsync() and strong mounts sync at once.")
        .addOptionWithArg({"invalidate-timeout-ms"}, KJ_BIND_METHOD(*this, setInvalidate),
                          "<ms>",
                          "How long a change waits for other quorum mounts to drop their "
                          "cached copy of what it changed (default 1000); a mount that lets "
                          "it pass is not waited for again until it answers. Eventual "
                          "mounts are told too, never waited for.")
        .addOptionWithArg({"lease-recall-timeout-ms"}, KJ_BIND_METHOD(*this, setRecall),
                          "<ms>",
                          "How long a call waits for the mount holding a directory's lease "
                          "(its asynchronous creates and unlinks) to hand it back before "
                          "the lease is revoked (default 2000); the holder's operations "
                          "arriving later fail.")
        .addOptionWithArg({"inline-max"}, KJ_BIND_METHOD(*this, setInlineMax), "<bytes>",
                          "Mounts keep a file's data that ends at or before this many bytes "
                          "in the master's store instead of in blocks on chunk servers "
                          "(small files: one round trip at close, no chunk server work); "
                          "0 = never, at most 65536 (the default).")
        .addOptionWithArg({"cache-watch-limit"}, KJ_BIND_METHOD(*this, setWatchLimit), "<n>",
                          "Inodes and directories recorded per quorum or eventual mount for "
                          "invalidation "
                          "(default 1000000, some 40 MiB); past it the master forgets that "
                          "mount's records and the mount drops its caches.")
        .addOptionWithArg({"report-grace-ms"}, KJ_BIND_METHOD(*this, setReportGrace), "<ms>",
                          "Age before a reported copy the master does not need is deleted "
                          "(default 600000).")
        .addOptionWithArg({"replication-scan-ms"}, KJ_BIND_METHOD(*this, setScan), "<ms>",
                          "Interval between scans for under-replicated blocks; node state "
                          "changes start one sooner (default 5000).")
        .addOptionWithArg({"replication-bandwidth-mib"}, KJ_BIND_METHOD(*this, setBandwidth),
                          "<MiB/s>",
                          "Bandwidth for re-replication and rebalancing copies, 0 = no "
                          "limit (default 128).")
        .addOptionWithArg({"replication-max-copies"}, KJ_BIND_METHOD(*this, setMaxCopies),
                          "<n>", "Copies made at once across the cluster (default 4).")
        .addOptionWithArg({"rebalance-threshold-pct"}, KJ_BIND_METHOD(*this, setRebalance),
                          "<pct>",
                          "Move blocks when the used fraction of two writable nodes differs "
                          "by more than this many percentage points, 0 = never (default 10).")
        .addOptionWithArg({"lock-grace-ms"}, KJ_BIND_METHOD(*this, setLockGrace), "<ms>",
                          "After a restart that finds that sessions of the previous run held "
                          "file locks: how long only lock reclaims are served, so returning "
                          "mounts get their locks back before anyone else can take them; "
                          "other lock requests wait (default 5000; keep it below the mounts' "
                          "rpc_timeout). Also how long after any start every file counts as "
                          "open, so an unlink keeps it until mounts have registered their "
                          "open files again.")
        .addOptionWithArg({"metrics-listen"}, KJ_BIND_METHOD(*this, setMetricsListen),
                          "<host:port>",
                          "Serve /metrics and /healthz over HTTP here (port 0 = any). "
                          "Default: no HTTP server.")
        .addOptionWithArg({"metrics-port-file"}, KJ_BIND_METHOD(*this, setMetricsPortFile),
                          "<file>", "Write the bound metrics HTTP port to <file>.")
        .callAfterParsing(KJ_BIND_METHOD(*this, run))
        .build();
  }

private:
  kj::ProcessContext& context;
  kj::String listen = kj::str("127.0.0.1:9400");
  kj::String dataDir;
  kj::String portFile;
  kj::String metricsListen;
  kj::String metricsPortFile;
  MasterConfig config;
  uint64_t suspectMs = 3000, deadMs = 10000;
  bool syncEveryWrite = false;

  kj::MainBuilder::Validity setListen(kj::StringPtr arg) {
    kj::String host;
    unsigned port;
    if (!splitHostPort(arg, host, port)) return "expected HOST:PORT";
    listen = kj::str(arg);
    return true;
  }
  kj::MainBuilder::Validity setDataDir(kj::StringPtr arg) {
    if (arg.size() == 0) return "must not be empty";
    dataDir = kj::str(arg);
    return true;
  }
  kj::MainBuilder::Validity setPortFile(kj::StringPtr arg) {
    portFile = kj::str(arg);
    return true;
  }
  kj::MainBuilder::Validity setMetricsListen(kj::StringPtr arg) {
    kj::String host;
    unsigned port;
    if (!splitHostPort(arg, host, port)) return "expected HOST:PORT";
    metricsListen = kj::str(arg);
    return true;
  }
  kj::MainBuilder::Validity setMetricsPortFile(kj::StringPtr arg) {
    if (arg.size() == 0) return "must not be empty";
    metricsPortFile = kj::str(arg);
    return true;
  }
  kj::MainBuilder::Validity setReplicas(kj::StringPtr arg) {
    uint64_t v;
    auto valid = parseUint(arg, 1, 8, v);
    config.defaultReplicas = static_cast<uint32_t>(v);
    return valid;
  }
  kj::MainBuilder::Validity setSuspect(kj::StringPtr arg) {
    return parseUint(arg, 1, 86'400'000, suspectMs);
  }
  kj::MainBuilder::Validity setDead(kj::StringPtr arg) {
    return parseUint(arg, 1, 86'400'000, deadMs);
  }
  kj::MainBuilder::Validity setGrace(kj::StringPtr arg) {
    uint64_t v;
    auto valid = parseUint(arg, 0, 30ull * 86'400'000, v);
    config.gcGraceNs = static_cast<int64_t>(v) * 1'000'000;
    return valid;
  }

  kj::MainBuilder::Validity setMetadataSync(kj::StringPtr arg) {
    if (arg == "always") {
      syncEveryWrite = true;
      return true;
    }
    uint64_t v;
    auto valid = parseUint(arg, 1, 60'000, v);
    syncEveryWrite = false;
    config.syncInterval = v * kj::MILLISECONDS;
    return valid;
  }
  kj::MainBuilder::Validity setInvalidate(kj::StringPtr arg) {
    uint64_t v;
    auto valid = parseUint(arg, 1, 600'000, v);
    config.invalidateTimeout = v * kj::MILLISECONDS;
    return valid;
  }
  kj::MainBuilder::Validity setRecall(kj::StringPtr arg) {
    uint64_t v;
    auto valid = parseUint(arg, 1, 600'000, v);
    config.leaseRecallTimeout = v * kj::MILLISECONDS;
    return valid;
  }
  kj::MainBuilder::Validity setInlineMax(kj::StringPtr arg) {
    uint64_t v;
    auto valid = parseUint(arg, 0, kMaxInlineBytes, v);
    config.inlineMax = static_cast<uint32_t>(v);
    return valid;
  }
  kj::MainBuilder::Validity setWatchLimit(kj::StringPtr arg) {
    uint64_t v;
    auto valid = parseUint(arg, 2, 1'000'000'000, v);
    config.cacheWatchLimit = v;
    return valid;
  }
  kj::MainBuilder::Validity setReportGrace(kj::StringPtr arg) {
    uint64_t v;
    auto valid = parseUint(arg, 0, 30ull * 86'400'000, v);
    config.reportGraceNs = static_cast<int64_t>(v) * 1'000'000;
    return valid;
  }
  kj::MainBuilder::Validity setLockGrace(kj::StringPtr arg) {
    uint64_t v;
    auto valid = parseUint(arg, 0, 3'600'000, v);
    config.lockGrace = v * kj::MILLISECONDS;
    return valid;
  }
  kj::MainBuilder::Validity setScan(kj::StringPtr arg) {
    uint64_t v;
    auto valid = parseUint(arg, 10, 86'400'000, v);
    config.replication.scanInterval = v * kj::MILLISECONDS;
    return valid;
  }
  kj::MainBuilder::Validity setBandwidth(kj::StringPtr arg) {
    uint64_t v;
    auto valid = parseUint(arg, 0, 1'000'000, v);
    config.replication.bandwidthBytesPerSec = v << 20;
    return valid;
  }
  kj::MainBuilder::Validity setMaxCopies(kj::StringPtr arg) {
    uint64_t v;
    auto valid = parseUint(arg, 1, 1024, v);
    config.replication.maxCopies = static_cast<uint32_t>(v);
    return valid;
  }
  kj::MainBuilder::Validity setRebalance(kj::StringPtr arg) {
    uint64_t v;
    auto valid = parseUint(arg, 0, 100, v);
    config.replication.rebalanceThreshold = static_cast<double>(v) / 100.0;
    return valid;
  }

  kj::MainBuilder::Validity run() {
    if (dataDir == nullptr) return "--data-dir is required";
    if (deadMs <= suspectMs) return "--dead-timeout-ms must exceed --suspect-timeout-ms";
    if (metricsPortFile != nullptr && metricsListen == nullptr) {
      return "--metrics-port-file needs --metrics-listen";
    }
    config.nodeTimeouts.suspectAfter = suspectMs * kj::MILLISECONDS;
    config.nodeTimeouts.deadAfter = deadMs * kj::MILLISECONDS;
    // (--verbose, built into MainBuilder, turns on informational logs.)
    // Signals must be captured before any thread exists (RocksDB starts threads when it
    // opens, and they must inherit the blocked mask) and before the event loop.
    kj::UnixEventPort::captureSignal(SIGTERM);
    kj::UnixEventPort::captureSignal(SIGINT);
    signal(SIGPIPE, SIG_IGN);

    if (mkdir(dataDir.cStr(), 0755) < 0 && errno != EEXIST) {
      context.exitError(kj::str("dfs-master: cannot create ", dataDir, ": ", strerror(errno)));
    }
    kj::Own<MetaStore> store;
    KJ_IF_MAYBE(e, kj::runCatchingExceptions([&]() {
      store = openRocksStore(kj::str(dataDir, "/meta"), syncEveryWrite);
    })) {
      context.exitError(kj::str("dfs-master: cannot open metadata store in ", dataDir,
                                "/meta: ", e->getDescription()));
    }

    auto io = kj::setupAsyncIo();
    SystemClock clock;
    MasterCore core(*store, clock, io.provider->getTimer(), config);
    MetricsRegistry registry;
    MasterMetrics metrics(registry, core);

    kj::Own<kj::ConnectionReceiver> listener;
    KJ_IF_MAYBE(e, kj::runCatchingExceptions([&]() {
      listener = listenOn(io.provider->getNetwork(), listen, 9400).wait(io.waitScope);
    })) {
      context.exitError(kj::str("dfs-master: cannot listen on ", listen, ": ",
                                e->getDescription()));
    }
    unsigned port = listener->getPort();
    if (portFile != nullptr) writePortFile(portFile, port);
    kj::String host;
    unsigned ignored;
    splitHostPort(listen, host, ignored);
    context.warning(kj::str("dfs-master listening on ", host, ":", port));

    auto stop = io.unixEventPort.onSignal(SIGTERM)
                    .exclusiveJoin(io.unixEventPort.onSignal(SIGINT))
                    .then([&core](siginfo_t) {
                      // Sessions end as we go down; their lock holder records stay, so the
                      // next run keeps a grace period for their locks.
                      core.stopping = true;
                    })
                    // Run at once: the join below drops the RPC connections (ending the
                    // sessions) as soon as this branch is ready, before lazy continuations.
                    .eagerlyEvaluate(nullptr);
    kj::Promise<void> metricsServing = kj::NEVER_DONE;
    if (metricsListen != nullptr) {
      metricsServing = serveMetrics(
          io.provider->getNetwork(), io.provider->getTimer(), metricsListen, registry,
          []() { return true; },
          [this](unsigned metricsPort) {
            if (metricsPortFile != nullptr) writePortFile(metricsPortFile, metricsPort);
            context.warning(kj::str("dfs-master metrics on port ", metricsPort));
          }).catch_([this](kj::Exception&& e) {
            context.exitError(kj::str("dfs-master: metrics endpoint on ", metricsListen,
                                      " failed: ", e.getDescription()));
          });
    }
    core.startBackground();
    serveRpc(*listener, kj::heap<MasterImpl>(core))
        .exclusiveJoin(kj::mv(stop))
        .exclusiveJoin(kj::mv(metricsServing))
        .wait(io.waitScope);
    context.warning("dfs-master: shutting down");
    store->sync();
    return true;
  }
};

}  // namespace
}  // namespace dfs

KJ_MAIN(dfs::MasterMain)
