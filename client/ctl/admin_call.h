// Connecting dfsctl to the master's Admin interface with one overall deadline.
#pragma once

#include <master.capnp.h>
#include <kj/async-io.h>
#include <kj/function.h>
#include <kj/main.h>

namespace dfs {
namespace ctl {

// Global dfsctl options.
struct CtlOptions {
  kj::String master;        // "host:port"; empty until --master is given
  bool json = false;
  uint64_t timeoutSeconds = 5;
};

// What a command body gets: the Admin capability and a place to write output.
using AdminBody = kj::Function<kj::Promise<int>(wire::Admin::Client admin)>;

// Connects to the master, obtains Admin and runs `body`, all within the timeout. Returns the
// process exit code: body's result, or 1 after printing "dfsctl: cannot reach master at ADDR:
// ..." (connection failed or timed out) or "dfsctl: request to master at ADDR failed: ...".
int runWithAdmin(const CtlOptions& options, AdminBody body);

}  // namespace ctl
}  // namespace dfs
