// ServiceFixture: a MasterCore over a memory store, served over an in-process two-party
// RPC connection, with helpers to mount and register nodes (master service tests).
#pragma once

#include "server/master/service/master_impl.h"
#include "server/master/store/memory_store.h"
#include <capnp/rpc-twoparty.h>
#include <gtest/gtest.h>
#include <kj/async-io.h>
#include <kj/timer.h>

namespace dfs {

inline capnp::Data::Reader data(kj::StringPtr s) { return s.asBytes(); }

// How a test's CacheClient answers the master: at once, or (`stall`) only when the test
// fulfills what is in `stalled`.
struct StallableAnswers {
  bool stall = false;
  kj::Vector<kj::Own<kj::PromiseFulfiller<void>>> stalled;
  kj::Promise<void> answer() {
    if (!stall) return kj::READY_NOW;
    auto paf = kj::newPromiseAndFulfiller<void>();
    stalled.add(kj::mv(paf.fulfiller));
    return kj::mv(paf.promise);
  }
};

class ServiceFixture : public ::testing::Test {
protected:
  ServiceFixture() : ServiceFixture(newMemoryStore()) {}
  // Over a store that already holds records (e.g. of an earlier run of the master).
  explicit ServiceFixture(kj::Own<MetaStore> storeIn)
      : waitScope(loop), timer(kj::origin<kj::TimePoint>()), store(kj::mv(storeIn)),
        core(*store, clock, timer, config()), pipe(kj::newTwoWayPipe()),
        server(*pipe.ends[0], kj::heap<MasterImpl>(core), capnp::rpc::twoparty::Side::SERVER),
        client(*pipe.ends[1]), master(client.bootstrap().castAs<wire::Master>()) {
    // No earlier run's mounts to wait for (MasterCore holds every file open until then).
    core.endOpenGrace();
  }
  ~ServiceFixture() noexcept override {}

  // Mounts volume "default" (with `cacheClient`, if given, for invalidations).
  wire::Session::Client mountDefault(kj::Maybe<wire::CacheClient::Client> cacheClient = nullptr) {
    auto req = master.mountRequest();
    req.setVolume("default");
    req.setClientName("test");
    KJ_IF_MAYBE(c, cacheClient) req.setCacheClient(*c);
    auto resp = req.send().wait(waitScope);
    EXPECT_EQ(resp.getErr(), 0);
    EXPECT_EQ(resp.getVolume().getReplicas(), 2u);
    rootIno = resp.getVolume().getRootIno();
    return resp.getSession();
  }

  wire::NodeSession::Client registerNode(kj::StringPtr address) {
    auto req = master.registerNodeRequest();
    req.setAddress(address);
    req.setCapacityBytes(1ull << 40);
    auto resp = req.send().wait(waitScope);
    EXPECT_NE(resp.getNodeId(), 0u);
    return resp.getNode();
  }

  static MasterConfig config() {
    MasterConfig c;
    c.invalidateTimeout = 1 * kj::SECONDS;
    return c;
  }

  kj::EventLoop loop;
  kj::WaitScope waitScope;
  kj::TimerImpl timer;
  ManualClock clock;
  kj::Own<MetaStore> store;
  MasterCore core;
  kj::TwoWayPipe pipe;
  capnp::TwoPartyClient server;
  capnp::TwoPartyClient client;
  wire::Master::Client master;
  uint64_t rootIno = 0;
};

}  // namespace dfs
