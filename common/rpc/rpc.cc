// RPC plumbing: connection objects, listening, serving, connecting with deadlines.
#include "rpc.h"

#include <kj/debug.h>

namespace dfs {

capnp::ReaderOptions rpcReaderOptions() {
  capnp::ReaderOptions options;
  options.traversalLimitInWords = 8 * 1024 * 1024;  // 64 MiB
  options.nestingLimit = 64;
  return options;
}

RpcConnection::RpcConnection(kj::Own<kj::AsyncIoStream> streamParam)
    : stream(kj::mv(streamParam)),
      network(*stream, capnp::rpc::twoparty::Side::CLIENT, rpcReaderOptions()),
      rpc(capnp::makeRpcClient(network)) {}

RpcConnection::~RpcConnection() noexcept(false) {}

capnp::Capability::Client RpcConnection::bootstrapCap() {
  capnp::word scratch[4];
  memset(scratch, 0, sizeof(scratch));
  capnp::MallocMessageBuilder message(scratch);
  auto vatId = message.getRoot<capnp::rpc::twoparty::VatId>();
  vatId.setSide(capnp::rpc::twoparty::Side::SERVER);
  return rpc.bootstrap(vatId);
}

kj::Promise<void> RpcConnection::onDisconnect() { return network.onDisconnect(); }

kj::Promise<kj::Own<RpcConnection>> connectRpc(kj::AsyncIoProvider& io, kj::Timer& timer,
                                               kj::StringPtr address, unsigned defaultPort,
                                               kj::Duration timeout) {
  auto addr = kj::str(address);
  auto connecting = io.getNetwork()
      .parseAddress(addr, defaultPort)
      .then([](kj::Own<kj::NetworkAddress> a) {
        return a->connect().attach(kj::mv(a));
      })
      .then([](kj::Own<kj::AsyncIoStream> s) { return kj::heap<RpcConnection>(kj::mv(s)); });
  return withDeadline(timer, timeout, kj::mv(connecting), "connect").attach(kj::mv(addr));
}

kj::Promise<kj::Own<kj::ConnectionReceiver>> listenOn(kj::Network& network,
                                                       kj::StringPtr address, unsigned defaultPort) {
  return network.parseAddress(address, defaultPort)
      .then([](kj::Own<kj::NetworkAddress> a) { return a->listen(); });
}

namespace {

struct ServedConnection {
  ServedConnection(kj::Own<kj::AsyncIoStream> streamParam, capnp::Capability::Client bootstrap)
      : stream(kj::mv(streamParam)),
        network(*stream, capnp::rpc::twoparty::Side::SERVER, rpcReaderOptions()),
        rpc(capnp::makeRpcServer(network, kj::mv(bootstrap))) {}
  kj::Own<kj::AsyncIoStream> stream;
  capnp::TwoPartyVatNetwork network;
  capnp::RpcSystem<capnp::rpc::twoparty::VatId> rpc;
};

class LogErrors final : public kj::TaskSet::ErrorHandler {
public:
  void taskFailed(kj::Exception&& e) override {
    KJ_LOG(INFO, "connection ended with error", e.getDescription());
  }
};

kj::Promise<void> acceptLoop(kj::ConnectionReceiver& listener, capnp::Capability::Client bootstrap,
                             kj::TaskSet& tasks) {
  return listener.accept().then(
      [&listener, bootstrap, &tasks](kj::Own<kj::AsyncIoStream> stream) mutable {
        auto conn = kj::heap<ServedConnection>(kj::mv(stream), bootstrap);
        auto done = conn->network.onDisconnect();
        tasks.add(done.attach(kj::mv(conn)));
        return acceptLoop(listener, kj::mv(bootstrap), tasks);
      });
}

}  // namespace

kj::Promise<void> serveRpc(kj::ConnectionReceiver& listener, capnp::Capability::Client bootstrap) {
  auto errors = kj::heap<LogErrors>();
  auto tasks = kj::heap<kj::TaskSet>(*errors);
  auto& tasksRef = *tasks;
  return acceptLoop(listener, kj::mv(bootstrap), tasksRef).attach(kj::mv(tasks), kj::mv(errors));
}

bool splitHostPort(kj::StringPtr address, kj::String& host, unsigned& port) {
  KJ_IF_MAYBE(colon, address.findLast(':')) {
    auto h = kj::heapString(address.slice(0, *colon));
    auto p = address.slice(*colon + 1);
    if (h.size() == 0 || p.size() == 0 || p.size() > 5) return false;
    unsigned value = 0;
    for (char c : p) {
      if (c < '0' || c > '9') return false;
      value = value * 10 + (c - '0');
    }
    if (value > 65535) return false;
    host = kj::mv(h);
    port = value;
    return true;
  }
  return false;
}

}  // namespace dfs
