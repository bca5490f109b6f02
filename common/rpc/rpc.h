// RPC plumbing shared by every process: explicit message limits, listening and serving a
// bootstrap capability, connecting with a deadline, and deadlines on any promise.
#pragma once

#include <capnp/rpc-twoparty.h>
#include <kj/async-io.h>
#include <kj/timer.h>

namespace dfs {

// Limits applied to every message we read, on servers and clients alike: 64 MiB of
// traversal (a 4 MiB block read fits many times) and a nesting depth of 64.
capnp::ReaderOptions rpcReaderOptions();

// Default deadline for one RPC made by a daemon or tool.
constexpr kj::Duration kDefaultRpcDeadline = 10 * kj::SECONDS;

// One outgoing Cap'n Proto connection. Destroying it closes the connection and breaks
// every capability obtained from it.
class RpcConnection {
public:
  RpcConnection(kj::Own<kj::AsyncIoStream> stream);
  ~RpcConnection() noexcept(false);
  KJ_DISALLOW_COPY(RpcConnection);

  // The peer's bootstrap capability.
  template <typename T>
  typename T::Client bootstrap() { return bootstrapCap().castAs<T>(); }
  capnp::Capability::Client bootstrapCap();

  // Resolves when the connection drops (for any reason).
  kj::Promise<void> onDisconnect();

private:
  kj::Own<kj::AsyncIoStream> stream;
  capnp::TwoPartyVatNetwork network;
  capnp::RpcSystem<capnp::rpc::twoparty::VatId> rpc;
};

// Connects to "host:port" (defaultPort when the port is missing). Fails with a
// DISCONNECTED exception after `timeout`.
kj::Promise<kj::Own<RpcConnection>> connectRpc(kj::AsyncIoProvider& io, kj::Timer& timer,
                                               kj::StringPtr address, unsigned defaultPort,
                                               kj::Duration timeout);

// Listens on "host:port" (port 0 = any free port).
kj::Promise<kj::Own<kj::ConnectionReceiver>> listenOn(kj::Network& network,
                                                       kj::StringPtr address, unsigned defaultPort);

// Accepts connections on `listener` forever and serves `bootstrap` on each, with
// rpcReaderOptions(). A peer that sends garbage only loses its own connection.
kj::Promise<void> serveRpc(kj::ConnectionReceiver& listener, capnp::Capability::Client bootstrap);

// `promise`, or a DISCONNECTED exception naming `what` if it is not done within `timeout`.
template <typename T>
kj::Promise<T> withDeadline(kj::Timer& timer, kj::Duration timeout, kj::Promise<T> promise,
                            kj::StringPtr what) {
  return timer.afterDelay(timeout)
      .then([what]() -> kj::Promise<T> {
        return KJ_EXCEPTION(DISCONNECTED, "deadline exceeded", what);
      })
      .exclusiveJoin(kj::mv(promise));
}

// The kj::Promise type a call helper returns for a function returning `T`
// (capnp::RemotePromise<R> becomes kj::Promise<capnp::Response<R>>).
template <typename T> struct PromiseOf { using Type = kj::Promise<T>; };
template <typename T> struct PromiseOf<kj::Promise<T>> { using Type = kj::Promise<T>; };
template <typename T> struct PromiseOf<capnp::RemotePromise<T>> {
  using Type = kj::Promise<capnp::Response<T>>;
};

// Splits "host:port"; returns false if malformed. Used to validate user input early.
bool splitHostPort(kj::StringPtr address, kj::String& host, unsigned& port);

}  // namespace dfs
