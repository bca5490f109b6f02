// dfsctl: parses the command line and dispatches to one command file per command.
#include "client/ctl/commands.h"
#include "client/ctl/format.h"
#include "common/base/limits.h"
#include "common/rpc/rpc.h"

#include <kj/main.h>
#include "common/base/parse.h"
#include <stdio.h>
#include <unistd.h>

namespace dfs {
namespace ctl {
namespace {

class CtlMain {
public:
  explicit CtlMain(kj::ProcessContext& context) : context(context) {}

  kj::MainFunc getMain() {
    return kj::MainBuilder(context, "dfsctl 0.1", "Administers a dfs cluster through its master.")
        .addOptionWithArg({"master"}, KJ_BIND_METHOD(*this, setMaster), "<host:port>",
                          "Address of dfs-master (required).")
        .addOption({"json"}, [this]() { options.json = true; return true; },
                   "Print one JSON document instead of tables.")
        .addOptionWithArg({"timeout"}, KJ_BIND_METHOD(*this, setTimeout), "<seconds>",
                          "Give up after <seconds> (default 5).")
        .addSubCommand("status", KJ_BIND_METHOD(*this, statusMain),
                       "Cluster health: verdict, replication, chunk servers, volumes, mounts.")
        .addSubCommand("node", KJ_BIND_METHOD(*this, nodeMain),
                       "List, show, drain, undrain or remove chunk servers.")
        .addSubCommand("volume", KJ_BIND_METHOD(*this, volumeMain),
                       "List, create or change volumes.")
        .build();
  }

private:
  kj::ProcessContext& context;
  CtlOptions options;
  kj::String volumeName;
  uint64_t replicas = 0;
  kj::Maybe<wire::Consistency> consistency;
  uint64_t nodeId = 0;
  bool force = false;

  static constexpr const char* kJsonHelp = "Print one JSON document instead of text.";
  bool setJson() {
    options.json = true;
    return true;
  }

  kj::MainBuilder::Validity setMaster(kj::StringPtr v) {
    kj::String host;
    unsigned port;
    if (!splitHostPort(v, host, port)) return kj::str("bad --master address (want host:port): ", v);
    options.master = kj::heapString(v);
    return true;
  }
  kj::MainBuilder::Validity setTimeout(kj::StringPtr v) {
    if (!parseUnsigned(v, options.timeoutSeconds, 999999999) || options.timeoutSeconds == 0 ||
        options.timeoutSeconds > 3600) {
      return kj::str("bad --timeout (want 1..3600 seconds): ", v);
    }
    return true;
  }
  kj::MainBuilder::Validity requireMaster() {
    if (options.master == nullptr) return kj::str("--master is required");
    return true;
  }
  kj::MainFunc statusMain() {
    return kj::MainBuilder(context, "dfsctl 0.1",
                           "One screen of cluster health: a verdict (HEALTHY, DEGRADED: "
                           "under-replicated blocks or nodes joining/suspect/dead, CRITICAL: "
                           "blocks with no live copy), replication, chunk servers, volumes, "
                           "mounts.")
        .addOption({"json"}, KJ_BIND_METHOD(*this, setJson), kJsonHelp)
        .callAfterParsing([this]() -> kj::MainBuilder::Validity {
          auto ok = requireMaster();
          if (ok.getError() != nullptr) return ok;
          exitWith(statusCommand(options));
        })
        .build();
  }

  kj::MainFunc volumeMain() {
    return kj::MainBuilder(context, "dfsctl 0.1", "List, create or change volumes.")
        .addSubCommand("list", KJ_BIND_METHOD(*this, volumeListMain), "List volumes.")
        .addSubCommand("create", KJ_BIND_METHOD(*this, volumeCreateMain), "Create a volume.")
        .addSubCommand("set", KJ_BIND_METHOD(*this, volumeSetMain),
                       "Change a volume's replica count.")
        .build();
  }

  kj::MainFunc volumeListMain() {
    return kj::MainBuilder(context, "dfsctl 0.1", "List volumes.")
        .addOption({"json"}, KJ_BIND_METHOD(*this, setJson), kJsonHelp)
        .callAfterParsing([this]() -> kj::MainBuilder::Validity {
          auto ok = requireMaster();
          if (ok.getError() != nullptr) return ok;
          exitWith(volumeListCommand(options));
        })
        .build();
  }

  kj::MainFunc volumeCreateMain() {
    return kj::MainBuilder(context, "dfsctl 0.1", "Create a volume named <name>.")
        .addOptionWithArg({"replicas"}, KJ_BIND_METHOD(*this, setReplicas), "<n>",
                          "Replicas per block (default 3, or the number of healthy chunk servers if fewer).")
        .addOption({"json"}, KJ_BIND_METHOD(*this, setJson), kJsonHelp)
        .expectArg("<name>", KJ_BIND_METHOD(*this, setVolumeName))
        .callAfterParsing([this]() -> kj::MainBuilder::Validity {
          auto ok = requireMaster();
          if (ok.getError() != nullptr) return ok;
          exitWith(volumeCreateCommand(options, volumeName, uint32_t(replicas)));
        })
        .build();
  }

  kj::MainFunc volumeSetMain() {
    return kj::MainBuilder(context, "dfsctl 0.1",
                           "Change volume <name>. A new replica count applies to existing "
                           "blocks too: the master copies or trims them to match.")
        .addOptionWithArg({"replicas"}, KJ_BIND_METHOD(*this, setReplicas), "<n>",
                          "Replicas per block.")
        .addOptionWithArg({"consistency"}, KJ_BIND_METHOD(*this, setConsistency), "<level>",
                          "Default consistency of later mounts: strong, quorum or eventual.")
        .addOption({"json"}, KJ_BIND_METHOD(*this, setJson), kJsonHelp)
        .expectArg("<name>", KJ_BIND_METHOD(*this, setVolumeName))
        .callAfterParsing([this]() -> kj::MainBuilder::Validity {
          if (replicas == 0 && consistency == nullptr) {
            return kj::str("nothing to change: give --replicas <n> and/or --consistency <level>");
          }
          auto ok = requireMaster();
          if (ok.getError() != nullptr) return ok;
          exitWith(volumeSetCommand(options, volumeName, uint32_t(replicas), consistency));
        })
        .build();
  }

  kj::MainFunc nodeMain() {
    return kj::MainBuilder(context, "dfsctl 0.1", "Chunk servers as the master sees them.")
        .addSubCommand("list", KJ_BIND_METHOD(*this, nodeListMain),
                       "Table of chunk servers: state, space, blocks, load, errors.")
        .addSubCommand("show", KJ_BIND_METHOD(*this, nodeShowMain), "One chunk server in detail.")
        .addSubCommand("drain", [this]() { return nodeActionMain(wire::NodeAction::DRAIN); },
                       "Stop placing blocks on a node and copy its blocks elsewhere.")
        .addSubCommand("undrain", [this]() { return nodeActionMain(wire::NodeAction::UNDRAIN); },
                       "Cancel a drain: the node takes new blocks again.")
        .addSubCommand("remove", [this]() { return nodeActionMain(wire::NodeAction::REMOVE); },
                       "Forget a node (refused while it holds a block's only live copy, "
                       "unless --force).")
        .build();
  }

  kj::MainFunc nodeListMain() {
    return kj::MainBuilder(context, "dfsctl 0.1",
                           "List chunk servers: ID, address, state, capacity, used, free, "
                           "blocks the master places there, load, latency, errors, heartbeat age.")
        .addOption({"json"}, KJ_BIND_METHOD(*this, setJson), kJsonHelp)
        .callAfterParsing([this]() -> kj::MainBuilder::Validity {
          auto ok = requireMaster();
          if (ok.getError() != nullptr) return ok;
          exitWith(nodeListCommand(options));
        })
        .build();
  }

  kj::MainFunc nodeShowMain() {
    return kj::MainBuilder(context, "dfsctl 0.1",
                           "Show chunk server <id> in detail (exit code 1 if there is none).")
        .addOption({"json"}, KJ_BIND_METHOD(*this, setJson), kJsonHelp)
        .expectArg("<id>", KJ_BIND_METHOD(*this, setNodeId))
        .callAfterParsing([this]() -> kj::MainBuilder::Validity {
          auto ok = requireMaster();
          if (ok.getError() != nullptr) return ok;
          exitWith(nodeShowCommand(options, nodeId));
        })
        .build();
  }

  kj::MainFunc nodeActionMain(wire::NodeAction action) {
    kj::StringPtr help;
    switch (action) {
      case wire::NodeAction::DRAIN:
        help = "Drain chunk server <id>: no new blocks go there and the master copies its "
               "blocks to other nodes; `node remove` it once it holds none.";
        break;
      case wire::NodeAction::UNDRAIN:
        help = "Cancel the drain of chunk server <id>.";
        break;
      case wire::NodeAction::REMOVE:
        help = "Remove chunk server <id>: its copies no longer count and it may not register "
               "again. Refused while it holds the only live copy of some block, unless --force.";
        break;
    }
    kj::MainBuilder builder(context, "dfsctl 0.1", help);
    if (action == wire::NodeAction::REMOVE) {
      builder.addOption({"force"}, [this]() { force = true; return true; },
                        "Remove even if that loses the only live copy of some blocks.");
    }
    return builder.addOption({"json"}, KJ_BIND_METHOD(*this, setJson), kJsonHelp)
        .expectArg("<id>", KJ_BIND_METHOD(*this, setNodeId))
        .callAfterParsing([this, action]() -> kj::MainBuilder::Validity {
          auto ok = requireMaster();
          if (ok.getError() != nullptr) return ok;
          exitWith(nodeActionCommand(options, nodeId, action, force));
        })
        .build();
  }

  kj::MainBuilder::Validity setNodeId(kj::StringPtr v) {
    if (!parseUnsigned(v, nodeId) || nodeId == 0) {
      return kj::str("bad node id (want a positive integer, see `dfsctl node list`)");
    }
    return true;
  }

  kj::MainBuilder::Validity setConsistency(kj::StringPtr v) {
    wire::Consistency c;
    if (!parseConsistency(v, c)) return kj::str("bad --consistency (strong|quorum|eventual): ", v);
    consistency = c;
    return true;
  }
  kj::MainBuilder::Validity setReplicas(kj::StringPtr v) {
    if (!parseUnsigned(v, replicas, 999999999) || replicas < 1 || replicas > kMaxReplicas) {
      return kj::str("bad --replicas (want 1..", kMaxReplicas, "): ", v);
    }
    return true;
  }
  kj::MainBuilder::Validity setVolumeName(kj::StringPtr v) {
    if (v.size() == 0 || v.size() > kNameMax || v.findFirst('/') != nullptr) {
      return kj::str("bad volume name: '", v, "'");
    }
    volumeName = kj::heapString(v);
    return true;
  }

  // Exits with the command's code (its error message, if any, is already printed).
  [[noreturn]] void exitWith(int rc) {
    fflush(stdout);
    fflush(stderr);
    _exit(rc);  // context.exit() would skip stdio flushing too; be explicit
  }
};

}  // namespace
}  // namespace ctl
}  // namespace dfs

KJ_MAIN(dfs::ctl::CtlMain)
