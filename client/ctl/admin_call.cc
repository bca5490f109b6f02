// runWithAdmin: one event loop, connect with deadline, Master.admin(), run a command.
#include "client/ctl/admin_call.h"

#include "common/rpc/rpc.h"

#include <kj/debug.h>
#include <stdio.h>

namespace dfs {
namespace ctl {

int runWithAdmin(const CtlOptions& options, AdminBody body) {
  auto io = kj::setupAsyncIo();
  auto& timer = io.provider->getTimer();
  auto deadline = timer.now() + options.timeoutSeconds * kj::SECONDS;

  kj::Own<RpcConnection> conn;
  KJ_IF_MAYBE(e, kj::runCatchingExceptions([&]() {
    conn = connectRpc(*io.provider, timer, options.master, 0, deadline - timer.now())
               .wait(io.waitScope);
  })) {
    fprintf(stderr, "dfsctl: cannot reach master at %s: %s\n", options.master.cStr(),
            e->getDescription().cStr());
    return 1;
  }

  int rc = 1;
  KJ_IF_MAYBE(e, kj::runCatchingExceptions([&]() {
    auto admin = conn->bootstrap<wire::Master>().adminRequest().send().getAdmin();
    auto remaining = deadline > timer.now() ? deadline - timer.now() : 0 * kj::SECONDS;
    rc = withDeadline(timer, remaining, body(kj::mv(admin)), "request").wait(io.waitScope);
  })) {
    bool unreachable = e->getType() == kj::Exception::Type::DISCONNECTED;
    fprintf(stderr, "dfsctl: %s master at %s: %s\n",
            unreachable ? "cannot reach" : "request failed at", options.master.cStr(),
            e->getDescription().cStr());
    return 1;
  }
  return rc;
}

}  // namespace ctl
}  // namespace dfs
