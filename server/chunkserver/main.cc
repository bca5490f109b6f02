// dfs-chunkserver: parses flags and wires the block store, RPC service and master agent.
#include "common/metrics/http_endpoint.h"
#include "common/rpc/rpc.h"
#include "server/chunkserver/blockstore/block_store.h"
#include "server/chunkserver/blockstore/scrubber.h"
#include "server/chunkserver/node/node_agent.h"
#include "server/chunkserver/service/chunk_metrics.h"
#include "server/chunkserver/service/block_syncer.h"
#include "server/chunkserver/service/chunk_server_impl.h"
#include "server/chunkserver/service/load_tracker.h"

#include <kj/async-unix.h>
#include <kj/debug.h>
#include <kj/main.h>
#include "common/base/parse.h"
#include "common/base/heap_tuning.h"
#include "common/base/port_file.h"

#include <signal.h>
#include <stdlib.h>

namespace dfs {
namespace {

class ChunkServerMain {
public:
  explicit ChunkServerMain(kj::ProcessContext& context) : context(context) {
    keepBlockBuffersInHeap();
  }

  kj::MainFunc getMain() {
    return kj::MainBuilder(context, "dfs-chunkserver 0.1",
                           "Stores immutable blocks for dfs and serves them over Cap'n Proto RPC.")
        .addOptionWithArg({"master"}, KJ_BIND_METHOD(*this, setMaster), "<host:port>",
                          "Address of dfs-master (required).")
        .addOptionWithArg({"listen"}, KJ_BIND_METHOD(*this, setListen), "<host:port>",
                          "Address to listen on; port 0 picks a free port (required).")
        .addOptionWithArg({"data-dir"}, KJ_BIND_METHOD(*this, setDataDir), "<dir>",
                          "Directory holding the blocks (required).")
        .addOptionWithArg({"port-file"}, KJ_BIND_METHOD(*this, setPortFile), "<file>",
                          "Write the bound port number to <file> once listening.")
        .addOptionWithArg({"heartbeat-ms"}, KJ_BIND_METHOD(*this, setHeartbeat), "<ms>",
                          "Heartbeat interval in milliseconds (default 1000).")
        .addOptionWithArg({"capacity"}, KJ_BIND_METHOD(*this, setCapacity), "<bytes>",
                          "Capacity to report (default: size of the data dir's file system).")
        .addOptionWithArg({"block-report-interval-ms"}, KJ_BIND_METHOD(*this, setBlockReport),
                          "<ms>",
                          "Send the full block list to the master after each registration and "
                          "then every <ms> milliseconds (default 3600000).")
        .addOptionWithArg({"scrub-rate-mib"}, KJ_BIND_METHOD(*this, setScrubRate), "<MiB/s>",
                          "Re-verify stored blocks in the background at most this fast "
                          "(default 8; 0 disables the scrubber).")
        .addOptionWithArg({"scrub-interval-s"}, KJ_BIND_METHOD(*this, setScrubInterval), "<s>",
                          "Pause between two full scrubber passes in seconds (default 86400).")
        .addOptionWithArg({"data-sync"}, KJ_BIND_METHOD(*this, setDataSync), "<always|ms>",
                          "When block files are fsynced: 'always' (before a write is "
                          "acknowledged) or within <ms> milliseconds, many at once (default "
                          "100). Writers that ask for durability (strong mounts, fsync(), "
                          "peer copies) always wait for it. Blocks survive a crash of the "
                          "chunk server process either way; the interval bounds what a crash "
                          "of the machine can lose.")
        .addOptionWithArg({"direct-writes"}, KJ_BIND_METHOD(*this, setDirectWrites), "<yes|no>",
                          "Write blocks over 64 KiB with O_DIRECT, skipping the page cache "
                          "(default yes; file systems without direct I/O fall back by "
                          "themselves).")
        .addOptionWithArg({"read-cache"}, KJ_BIND_METHOD(*this, setReadCache), "<yes|no>",
                          "Keep block data read from disk in the page cache (default no: "
                          "the mounts cache what they read, and blocks are written around "
                          "the page cache).")
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
  kj::String master, listen, dataDir, portFile, metricsListen, metricsPortFile;
  uint64_t heartbeatMs = 1000;
  kj::Maybe<uint64_t> capacity;
  uint64_t blockReportMs = 3600000;
  uint64_t scrubRateMib = 8;
  uint64_t scrubIntervalS = 86400;
  uint64_t dataSyncMs = 100;
  bool directWrites = true;
  bool readCache = false;

  kj::MainBuilder::Validity setMaster(kj::StringPtr v) {
    kj::String h; unsigned p;
    if (!splitHostPort(v, h, p)) return kj::str("bad --master address: ", v);
    master = kj::heapString(v);
    return true;
  }
  kj::MainBuilder::Validity setListen(kj::StringPtr v) {
    kj::String h; unsigned p;
    if (!splitHostPort(v, h, p)) return kj::str("bad --listen address: ", v);
    listen = kj::heapString(v);
    return true;
  }
  kj::MainBuilder::Validity setDataDir(kj::StringPtr v) {
    if (v.size() == 0) return kj::str("empty --data-dir");
    dataDir = kj::heapString(v);
    return true;
  }
  kj::MainBuilder::Validity setPortFile(kj::StringPtr v) {
    if (v.size() == 0) return kj::str("empty --port-file");
    portFile = kj::heapString(v);
    return true;
  }
  kj::MainBuilder::Validity setMetricsListen(kj::StringPtr v) {
    kj::String h; unsigned p;
    if (!splitHostPort(v, h, p)) return kj::str("bad --metrics-listen address: ", v);
    metricsListen = kj::heapString(v);
    return true;
  }
  kj::MainBuilder::Validity setMetricsPortFile(kj::StringPtr v) {
    if (v.size() == 0) return kj::str("empty --metrics-port-file");
    metricsPortFile = kj::heapString(v);
    return true;
  }
  kj::MainBuilder::Validity setHeartbeat(kj::StringPtr v) {
    if (!parseUnsigned(v, heartbeatMs) || heartbeatMs == 0 || heartbeatMs > 3600000) {
      return kj::str("bad --heartbeat-ms: ", v);
    }
    return true;
  }
  kj::MainBuilder::Validity setCapacity(kj::StringPtr v) {
    uint64_t c;
    if (!parseUnsigned(v, c) || c == 0) return kj::str("bad --capacity: ", v);
    capacity = c;
    return true;
  }

  kj::MainBuilder::Validity setBlockReport(kj::StringPtr v) {
    if (!parseUnsigned(v, blockReportMs) || blockReportMs == 0 ||
        blockReportMs > 7 * 86400000ULL) {
      return kj::str("bad --block-report-interval-ms: ", v);
    }
    return true;
  }
  kj::MainBuilder::Validity setScrubRate(kj::StringPtr v) {
    if (!parseUnsigned(v, scrubRateMib) || scrubRateMib > 1000000) {
      return kj::str("bad --scrub-rate-mib: ", v);
    }
    return true;
  }
  kj::MainBuilder::Validity setScrubInterval(kj::StringPtr v) {
    if (!parseUnsigned(v, scrubIntervalS) || scrubIntervalS > 365 * 86400ULL) {
      return kj::str("bad --scrub-interval-s: ", v);
    }
    return true;
  }

  static kj::MainBuilder::Validity yesNo(kj::StringPtr flag, kj::StringPtr v, bool& out) {
    if (v == "yes") {
      out = true;
    } else if (v == "no") {
      out = false;
    } else {
      return kj::str("bad --", flag, " (want yes or no): ", v);
    }
    return true;
  }
  kj::MainBuilder::Validity setDirectWrites(kj::StringPtr v) {
    return yesNo("direct-writes", v, directWrites);
  }
  kj::MainBuilder::Validity setReadCache(kj::StringPtr v) { return yesNo("read-cache", v, readCache); }

  kj::MainBuilder::Validity setDataSync(kj::StringPtr v) {
    if (v == "always") {
      dataSyncMs = 0;
      return true;
    }
    if (!parseUnsigned(v, dataSyncMs) || dataSyncMs == 0 || dataSyncMs > 3600000) {
      return kj::str("bad --data-sync (want 'always' or 1..3600000 ms): ", v);
    }
    return true;
  }

  kj::MainBuilder::Validity run() {
    if (master == nullptr) return kj::str("--master is required");
    if (listen == nullptr) return kj::str("--listen is required");
    if (dataDir == nullptr) return kj::str("--data-dir is required");
    if (metricsPortFile != nullptr && metricsListen == nullptr) {
      return kj::str("--metrics-port-file needs --metrics-listen");
    }

    kj::_::Debug::setLogLevel(kj::LogSeverity::INFO);
    kj::UnixEventPort::captureSignal(SIGTERM);
    kj::UnixEventPort::captureSignal(SIGINT);
    auto io = kj::setupAsyncIo();

    auto disk = newPosixDisk();
    BlockStore store(*disk, dataDir);
    store.setKeepReadsCached(readCache);
    KJ_LOG(INFO, "block store ready", dataDir, store.blockCount(), store.usedBytes());

    auto listener = listenOn(io.provider->getNetwork(), listen, 0).wait(io.waitScope);
    unsigned port = listener->getPort();
    kj::String host; unsigned ignored;
    splitHostPort(listen, host, ignored);
    auto advertise = kj::str(host, ":", port);
    if (portFile != nullptr) writePortFile(portFile, port);
    KJ_LOG(INFO, "listening", advertise);

    auto& timer = io.provider->getTimer();
    LoadTracker load(kj::systemPreciseMonotonicClock());
    Scrubber scrubber(store, timer,
                      ScrubberOptions{scrubRateMib << 20, scrubIntervalS * kj::SECONDS});
    BlockSyncerOptions syncOptions;
    syncOptions.interval = dataSyncMs * kj::MILLISECONDS;
    syncOptions.directWrites = directWrites;
    BlockSyncer syncer(store, timer, syncOptions);
    auto syncing = syncer.run().eagerlyEvaluate([](kj::Exception&& e) {
      KJ_LOG(ERROR, "block syncer stopped", e);
    });
    MetricsRegistry registry;
    ChunkMetrics metrics(registry, store, scrubber, load, syncer);
    // One ChunkServer object: served on the listen port and handed to the master.
    wire::ChunkServer::Client chunkServer = kj::heap<ChunkServerImpl>(
        store, syncer, *io.provider, timer, 30 * kj::SECONDS, metrics, load);
    auto serving = serveRpc(*listener, chunkServer);
    kj::Promise<void> metricsServing = kj::NEVER_DONE;
    if (metricsListen != nullptr) {
      metricsServing = serveMetrics(
          io.provider->getNetwork(), timer, metricsListen, registry, []() { return true; },
          [this, &disk](unsigned metricsPort) {
            if (metricsPortFile != nullptr) writePortFile(metricsPortFile, metricsPort);
            KJ_LOG(INFO, "metrics listening", metricsPort);
          }).catch_([this](kj::Exception&& e) {
            context.exitError(kj::str("dfs-chunkserver: metrics endpoint on ", metricsListen,
                                      " failed: ", e.getDescription()));
          });
    }

    NodeAgentOptions options;
    options.masterAddress = kj::mv(master);
    options.advertiseAddress = kj::mv(advertise);
    options.capacityBytes = capacity.orDefault(disk->fileSystemSize(dataDir));
    options.heartbeatInterval = heartbeatMs * kj::MILLISECONDS;
    options.blockReportInterval = blockReportMs * kj::MILLISECONDS;
    NodeAgent agent(store, *io.provider, timer, load, chunkServer, kj::mv(options));
    auto agentLoop = agent.run().eagerlyEvaluate([](kj::Exception&& e) {
      KJ_LOG(ERROR, "node agent stopped", e);
    });
    auto scrubbing = scrubber.run().eagerlyEvaluate([](kj::Exception&& e) {
      KJ_LOG(ERROR, "scrubber stopped", e);
    });

    auto stop = io.unixEventPort.onSignal(SIGTERM)
        .exclusiveJoin(io.unixEventPort.onSignal(SIGINT))
        .then([](siginfo_t info) { KJ_LOG(INFO, "shutting down on signal", info.si_signo); });
    serving.exclusiveJoin(kj::mv(stop)).exclusiveJoin(kj::mv(metricsServing)).wait(io.waitScope);
    // Blocks still waiting for their fsync are synced before exit (a restart would
    // otherwise do it).
    KJ_IF_MAYBE(e, kj::runCatchingExceptions([&]() { syncer.syncAll().wait(io.waitScope); })) {
      KJ_LOG(ERROR, "final block sync failed", *e);
    }
    return true;
  }
};

}  // namespace
}  // namespace dfs

KJ_MAIN(dfs::ChunkServerMain)
