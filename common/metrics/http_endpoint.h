// serveMetrics: the /metrics and /healthz HTTP endpoint of a daemon, on its KJ event loop.
#pragma once

#include "metrics.h"

#include <kj/async-io.h>
#include <kj/function.h>
#include <kj/timer.h>

namespace dfs {

// Listens on `listenAddress` (HOST:PORT; port 0 picks a free port), calls onBound(port) once
// bound, then serves HTTP/1.1 until the returned promise is dropped:
//   GET /metrics -> 200, registry.render() as text/plain; version=0.0.4
//   GET /healthz -> 200 "ok\n" if healthy(), else 503 "unhealthy\n"
//   anything else -> 404.
// The promise fails if the address cannot be parsed or bound. `network`, `timer`,
// `registry` must outlive the promise.
kj::Promise<void> serveMetrics(kj::Network& network, kj::Timer& timer,
                               kj::StringPtr listenAddress, MetricsRegistry& registry,
                               kj::Function<bool()> healthy,
                               kj::Function<void(unsigned port)> onBound);

}  // namespace dfs
