// The dfsctl commands; each runs against the master's Admin interface and returns an exit code.
#pragma once

#include "client/ctl/admin_call.h"

namespace dfs {
namespace ctl {

// `status`: cluster health verdict, replication, chunk servers, volumes and mounts.
int statusCommand(const CtlOptions& options);
// `volume list`
int volumeListCommand(const CtlOptions& options);
// `volume create NAME [--replicas N]`; replicas 0 = 3, or the number of healthy chunk servers
// if fewer (at least 1).
int volumeCreateCommand(const CtlOptions& options, kj::StringPtr name, uint32_t replicas);
// `volume set NAME --replicas N`
int volumeSetCommand(const CtlOptions& options, kj::StringPtr name, uint32_t replicas,
                     kj::Maybe<wire::Consistency> consistency);

// `node list`
int nodeListCommand(const CtlOptions& options);
// `node show ID`; 1 if there is no such node.
int nodeShowCommand(const CtlOptions& options, uint64_t id);
// `node drain|undrain|remove ID [--force]`
int nodeActionCommand(const CtlOptions& options, uint64_t id, wire::NodeAction action, bool force);

}  // namespace ctl
}  // namespace dfs
