// dfsctl node list / show / drain / undrain / remove: chunk servers as the master sees them.
#include "client/ctl/commands.h"
#include "client/ctl/format.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

namespace dfs {
namespace ctl {
namespace {

kj::Maybe<wire::NodeStatus::Reader> findNode(capnp::List<wire::NodeStatus>::Reader nodes,
                                             uint64_t id) {
  for (auto n : nodes) {
    if (n.getNodeId() == id) return n;
  }
  return nullptr;
}

// `node show` as text: every field, data dirs as a table.
kj::String nodeDetail(wire::NodeStatus::Reader n) {
  auto load = n.getLoad();
  auto state = stateCell(n);
  kj::String drainNote;
  if (n.getDraining() && n.getState() == wire::NodeState::DRAINING) {
    drainNote = kj::str(" (no new blocks; its copies are being moved elsewhere)");
  }
  Table dirs(kj::arr(kj::str("PATH"), kj::str("CAPACITY"), kj::str("USED"), kj::str("USED%"),
                     kj::str("FREE"), kj::str("ERRORS")));
  for (auto d : n.getDataDirs()) {
    dirs.addRow(kj::arr(kj::str(d.getPath()), humanSize(d.getCapacityBytes()),
                        humanSize(d.getUsedBytes()), percent(d.getUsedBytes(), d.getCapacityBytes()),
                        humanSize(d.getFreeBytes()), kj::str(d.getErrors())));
  }
  auto heard = n.getLastHeartbeatAgeMs() == UINT64_MAX
                   ? kj::str("never heard from")
                   : kj::str("last heartbeat ", heartbeatAge(n.getLastHeartbeatAgeMs()), " ago");
  return kj::str(
      "Node ", n.getNodeId(), "\n",
      "  address:       ", n.getAddress(), "\n",
      "  state:         ", state, drainNote, "\n",
      "  heartbeats:    ", healthName(n.getHealth()), ", ", heard, "\n",
      "  capacity:      ", humanSize(n.getCapacityBytes()), " (", n.getCapacityBytes(), " bytes)\n",
      "  used:          ", humanSize(n.getUsedBytes()), " (",
      percent(n.getUsedBytes(), n.getCapacityBytes()), ")\n",
      "  free:          ", humanSize(n.getFreeBytes()), "\n",
      "  blocks:        ", n.getBlocks(), " stored (reported by the node), ", n.getListedBlocks(),
      " placed here by the master (last scan)\n",
      "  load:          ", load.getRequestsInFlight(), " requests in flight, ",
      load.getRequestsPerSec(), " req/s, read ", humanRate(load.getReadBytesPerSec()),
      ", write ", humanRate(load.getWriteBytesPerSec()), "\n",
      "  avg latency:   ", latencyCell(load), "\n",
      "  errors:        ", n.getDiskErrors(), " disk, ", n.getChecksumErrors(),
      " checksum (corrupt copies reported)\n",
      "  data dirs:     ", n.getDataDirs().size(), "\n",
      n.getDataDirs().size() == 0 ? kj::str() : dirs.render());
}

kj::StringPtr actionName(wire::NodeAction action) {
  switch (action) {
    case wire::NodeAction::DRAIN: return "drain";
    case wire::NodeAction::UNDRAIN: return "undrain";
    case wire::NodeAction::REMOVE: return "remove";
  }
  return "act on";
}

kj::String actionDone(wire::NodeAction action, uint64_t id, bool force) {
  switch (action) {
    case wire::NodeAction::DRAIN:
      return kj::str("node ", id, ": draining; its blocks are being copied elsewhere "
                     "(`dfsctl node remove ", id, "` once it holds no blocks)");
    case wire::NodeAction::UNDRAIN:
      return kj::str("node ", id, ": no longer draining; it takes new blocks again");
    case wire::NodeAction::REMOVE:
      return kj::str("node ", id, ": removed", force ? " (forced)" : "",
                     "; its copies no longer count and it may not register again");
  }
  return kj::str("node ", id, ": done");
}

}  // namespace

int nodeListCommand(const CtlOptions& options) {
  return runWithAdmin(options, [&options](wire::Admin::Client admin) {
    return admin.statusRequest().send().then(
        [&options](capnp::Response<wire::Admin::StatusResults> resp) {
          if (options.json) {
            JsonWriter w;
            w.beginObject();
            w.key("nodes");
            w.beginArray();
            for (auto n : resp.getNodes()) writeNode(w, n);
            w.endArray();
            w.endObject();
            fputs(w.finish().cStr(), stdout);
          } else {
            fputs(nodeTable(resp.getNodes()).cStr(), stdout);
          }
          return 0;
        });
  });
}

int nodeShowCommand(const CtlOptions& options, uint64_t id) {
  return runWithAdmin(options, [&options, id](wire::Admin::Client admin) {
    return admin.statusRequest().send().then(
        [&options, id](capnp::Response<wire::Admin::StatusResults> resp) {
          KJ_IF_MAYBE(n, findNode(resp.getNodes(), id)) {
            if (options.json) {
              JsonWriter w;
              w.beginObject();
              w.key("node");
              writeNode(w, *n);
              w.endObject();
              fputs(w.finish().cStr(), stdout);
            } else {
              fputs(nodeDetail(*n).cStr(), stdout);
            }
            return 0;
          }
          fprintf(stderr, "dfsctl: no node %llu (see `dfsctl node list`)\n",
                  (unsigned long long)id);
          return 1;
        });
  });
}

int nodeActionCommand(const CtlOptions& options, uint64_t id, wire::NodeAction action,
                      bool force) {
  return runWithAdmin(options, [&options, id, action, force](wire::Admin::Client admin) {
    auto req = admin.nodeActionRequest();
    req.setNodeId(id);
    req.setAction(action);
    req.setForce(force);
    return req.send().then(
        [&options, id, action, force](capnp::Response<wire::Admin::NodeActionResults> resp) {
          int err = resp.getErr();
          kj::StringPtr message = resp.getMessage();
          if (err != 0) {
            fprintf(stderr, "dfsctl: cannot %s node %llu: %s\n", actionName(action).cStr(),
                    (unsigned long long)id, message.size() > 0 ? message.cStr() : strerror(err));
            if (err == EBUSY && action == wire::NodeAction::REMOVE && !force) {
              fprintf(stderr, "dfsctl: run `dfsctl node drain %llu` and wait until it holds no "
                      "blocks, or add --force to lose those copies\n", (unsigned long long)id);
            }
            return 1;
          }
          if (options.json) {
            JsonWriter w;
            w.beginObject();
            w.key("nodeId"); w.value(id);
            w.key("action"); w.value(actionName(action));
            w.key("force"); w.value(force);
            w.key("message"); w.value(message);
            w.endObject();
            fputs(w.finish().cStr(), stdout);
          } else {
            printf("%s\n", actionDone(action, id, force).cStr());
            if (message.size() > 0) printf("master: %s\n", message.cStr());
          }
          return 0;
        });
  });
}

}  // namespace ctl
}  // namespace dfs
