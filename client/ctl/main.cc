// dfsctl: parses the command line and dispatches to one command file per command.
#include "client/ctl/commands.h"
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
                       "Show chunk servers, volumes and connected mounts.")
        .addSubCommand("volume", KJ_BIND_METHOD(*this, volumeMain), "List or create volumes.")
        .build();
  }

private:
  kj::ProcessContext& context;
  CtlOptions options;
  kj::String volumeName;
  uint64_t replicas = 0;

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
    return kj::MainBuilder(context, "dfsctl 0.1", "Show chunk servers, volumes and mounts.")
        .callAfterParsing([this]() -> kj::MainBuilder::Validity {
          auto ok = requireMaster();
          if (ok.getError() != nullptr) return ok;
          exitWith(statusCommand(options));
        })
        .build();
  }

  kj::MainFunc volumeMain() {
    return kj::MainBuilder(context, "dfsctl 0.1", "List or create volumes.")
        .addSubCommand("list", KJ_BIND_METHOD(*this, volumeListMain), "List volumes.")
        .addSubCommand("create", KJ_BIND_METHOD(*this, volumeCreateMain), "Create a volume.")
        .build();
  }

  kj::MainFunc volumeListMain() {
    return kj::MainBuilder(context, "dfsctl 0.1", "List volumes.")
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
        .expectArg("<name>", KJ_BIND_METHOD(*this, setVolumeName))
        .callAfterParsing([this]() -> kj::MainBuilder::Validity {
          auto ok = requireMaster();
          if (ok.getError() != nullptr) return ok;
          exitWith(volumeCreateCommand(options, volumeName, uint32_t(replicas)));
        })
        .build();
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
