// The dfsctl commands; each runs against the master's Admin interface and returns an exit code.
#pragma once

#include "client/ctl/admin_call.h"

namespace dfs {
namespace ctl {

// `status`: chunk servers, volumes and mounts.
int statusCommand(const CtlOptions& options);
// `volume list`
int volumeListCommand(const CtlOptions& options);
// `volume create NAME [--replicas N]`; replicas 0 = 3, or the number of healthy chunk servers
// if fewer (at least 1).
int volumeCreateCommand(const CtlOptions& options, kj::StringPtr name, uint32_t replicas);

}  // namespace ctl
}  // namespace dfs
