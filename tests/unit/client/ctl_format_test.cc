// Tests for dfsctl's output helpers: sizes, rates, latencies, tables, JSON, cluster verdict.
#include <gtest/gtest.h>
#include "client/ctl/format.h"

#include <capnp/message.h>

namespace dfs {
namespace ctl {
namespace {

TEST(CtlFormat, SizesRatesAndPercent) {
  EXPECT_EQ(humanSize(0), "0 B");
  EXPECT_EQ(humanSize(1536), "1.5 KiB");
  EXPECT_EQ(humanRate(0), "0 B/s");
  EXPECT_EQ(humanRate(3 << 20), "3.0 MiB/s");
  EXPECT_EQ(percent(1, 4), "25.0%");
  EXPECT_EQ(percent(5, 0), "-");
}

TEST(CtlFormat, LatencyAndHeartbeatAge) {
  EXPECT_EQ(humanLatencyUs(850), "850 \xc2\xb5s");
  EXPECT_EQ(humanLatencyUs(2500), "2.5 ms");
  EXPECT_EQ(humanLatencyUs(1200000), "1.2 s");
  EXPECT_EQ(heartbeatAge(350), "350 ms");
  EXPECT_EQ(heartbeatAge(UINT64_MAX), "never");
}

TEST(CtlFormat, StateNames) {
  EXPECT_EQ(stateName(wire::NodeState::JOINING), "joining");
  EXPECT_EQ(stateName(wire::NodeState::DRAINING), "draining");
  EXPECT_EQ(stateName(wire::NodeState::REMOVED), "removed");
  EXPECT_EQ(healthName(wire::NodeHealth::SUSPECT), "suspect");
}

TEST(CtlFormat, TableAlignsUtf8ByCharacters) {
  Table t(kj::arr(kj::str("A"), kj::str("B")));
  t.addRow(kj::arr(kj::str("5 \xc2\xb5s"), kj::str("x")));
  t.addRow(kj::arr(kj::str("10 ms"), kj::str("y")));
  EXPECT_EQ(t.render(), "A      B\n5 \xc2\xb5s   x\n10 ms  y\n");
}

// Node states and replication counters for clusterHealth().
struct Cluster {
  capnp::MallocMessageBuilder msg;
  capnp::Orphan<capnp::List<wire::NodeStatus>> nodes;
  capnp::Orphan<wire::ReplicationStatus> replicationOrphan;
  wire::ReplicationStatus::Builder replication;

  explicit Cluster(std::initializer_list<wire::NodeState> states)
      : nodes(msg.getOrphanage().newOrphan<capnp::List<wire::NodeStatus>>(states.size())),
        replicationOrphan(msg.getOrphanage().newOrphan<wire::ReplicationStatus>()),
        replication(replicationOrphan.get()) {
    uint i = 0;
    for (auto s : states) {
      nodes.get()[i].setNodeId(i + 1);
      nodes.get()[i++].setState(s);
    }
  }
  ClusterVerdict verdict() { return clusterHealth(nodes.getReader(), replication.asReader()); }
};

TEST(CtlFormat, ClusterVerdict) {
  {
    Cluster c({wire::NodeState::HEALTHY, wire::NodeState::HEALTHY, wire::NodeState::DRAINING,
               wire::NodeState::REMOVED});
    c.replication.setBlocks(10);
    auto v = c.verdict();
    EXPECT_EQ(v.health, ClusterHealth::HEALTHY);
    EXPECT_EQ(v.reasons, "");
  }
  {
    Cluster c({wire::NodeState::HEALTHY, wire::NodeState::JOINING, wire::NodeState::DEAD,
               wire::NodeState::DEAD});
    c.replication.setUnderReplicated(3);
    auto v = c.verdict();
    EXPECT_EQ(v.health, ClusterHealth::DEGRADED);
    EXPECT_EQ(v.reasons, "3 blocks under-replicated; 2 nodes dead; 1 node joining");
  }
  {
    Cluster c({wire::NodeState::SUSPECT});
    auto v = c.verdict();
    EXPECT_EQ(v.health, ClusterHealth::DEGRADED);
    EXPECT_EQ(v.reasons, "1 node suspect");
  }
  {
    Cluster c({wire::NodeState::HEALTHY});
    c.replication.setUnderReplicated(4);  // includes the missing one
    c.replication.setMissing(1);
    auto v = c.verdict();
    EXPECT_EQ(v.health, ClusterHealth::CRITICAL);
    EXPECT_EQ(v.reasons, "1 block missing; 3 blocks under-replicated");
    EXPECT_EQ(clusterHealthName(v.health), "critical");
  }
}

TEST(CtlFormat, NodeJsonHasEveryField) {
  capnp::MallocMessageBuilder msg;
  auto n = msg.initRoot<wire::NodeStatus>();
  n.setNodeId(7);
  n.setAddress("127.0.0.1:1");
  n.setHealth(wire::NodeHealth::HEALTHY);
  n.setState(wire::NodeState::DRAINING);
  n.setDraining(true);
  n.setLastHeartbeatAgeMs(12);
  n.setListedBlocks(5);
  n.setChecksumErrors(2);
  auto load = n.initLoad();
  load.setRequestsInFlight(3);
  load.setAvgLatencyUs(40);
  auto dirs = n.initDataDirs(1);
  dirs[0].setPath("/d\"1");
  dirs[0].setCapacityBytes(100);
  dirs[0].setErrors(1);
  JsonWriter w;
  writeNode(w, n.asReader());
  EXPECT_EQ(w.finish(),
            "{\"nodeId\":7,\"address\":\"127.0.0.1:1\",\"health\":\"healthy\",\"capacityBytes\":0,"
            "\"usedBytes\":0,\"freeBytes\":0,\"blocks\":0,\"lastHeartbeatAgeMs\":12,"
            "\"diskErrors\":0,\"state\":\"draining\",\"draining\":true,"
            "\"load\":{\"requestsInFlight\":3,\"readBytesPerSec\":0,\"writeBytesPerSec\":0,"
            "\"avgLatencyUs\":40,\"requestsPerSec\":0},"
            "\"dataDirs\":[{\"path\":\"/d\\\"1\",\"capacityBytes\":100,\"usedBytes\":0,"
            "\"freeBytes\":0,\"errors\":1}],\"listedBlocks\":5,\"checksumErrors\":2}\n");
  EXPECT_EQ(stateCell(n.asReader()), "draining");
  n.setState(wire::NodeState::DEAD);
  EXPECT_EQ(stateCell(n.asReader()), "dead (draining)");
}

TEST(CtlFormat, NodeTableShowsStateAndListedBlocks) {
  capnp::MallocMessageBuilder msg;
  auto list = msg.getOrphanage().newOrphan<capnp::List<wire::NodeStatus>>(1);
  auto n = list.get()[0];
  n.setNodeId(1);
  n.setAddress("127.0.0.1:9");
  n.setState(wire::NodeState::JOINING);
  n.setCapacityBytes(1000);
  n.setUsedBytes(250);
  n.setListedBlocks(42);
  n.setLastHeartbeatAgeMs(UINT64_MAX);
  auto text = nodeTable(list.getReader());
  EXPECT_NE(text.findFirst('\n'), nullptr);
  auto s = std::string(text.cStr());
  EXPECT_NE(s.find("STATE"), std::string::npos);
  EXPECT_NE(s.find("joining"), std::string::npos);
  EXPECT_NE(s.find("25.0%"), std::string::npos);
  EXPECT_NE(s.find("42"), std::string::npos);
  EXPECT_NE(s.find("never"), std::string::npos);
}

}  // namespace
}  // namespace ctl
}  // namespace dfs
