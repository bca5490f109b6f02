// serveMetrics: a kj::HttpService answering /metrics and /healthz.
#include "http_endpoint.h"

#include "common/rpc/rpc.h"

#include <kj/compat/http.h>
#include <kj/debug.h>

namespace dfs {
namespace {

class MetricsService final : public kj::HttpService {
public:
  MetricsService(MetricsRegistry& registry, kj::Function<bool()> healthy)
      : registry(registry), healthy(kj::mv(healthy)) {}

  const kj::HttpHeaderTable& headerTable() const { return table; }

  kj::Promise<void> request(kj::HttpMethod method, kj::StringPtr url,
                            const kj::HttpHeaders& headers, kj::AsyncInputStream& requestBody,
                            Response& response) override {
    (void)headers;
    (void)requestBody;
    kj::StringPtr path = url;
    kj::String pathOnly;
    KJ_IF_MAYBE(q, url.findFirst('?')) {
      pathOnly = kj::heapString(url.slice(0, *q));
      path = pathOnly;
    }
    if (method == kj::HttpMethod::GET && path == "/metrics") {
      return send(response, 200, "OK", "text/plain; version=0.0.4; charset=utf-8",
                  registry.render());
    }
    if (method == kj::HttpMethod::GET && path == "/healthz") {
      if (healthy()) return send(response, 200, "OK", "text/plain", kj::str("ok\n"));
      return send(response, 503, "Service Unavailable", "text/plain", kj::str("unhealthy\n"));
    }
    return send(response, 404, "Not Found", "text/plain", kj::str("not found\n"));
  }

private:
  kj::HttpHeaderTable table;
  MetricsRegistry& registry;
  kj::Function<bool()> healthy;

  kj::Promise<void> send(Response& response, unsigned status, kj::StringPtr statusText,
                         kj::StringPtr contentType, kj::String body) {
    kj::HttpHeaders headers(table);
    headers.set(kj::HttpHeaderId::CONTENT_TYPE, contentType);
    auto stream = response.send(status, statusText, headers, uint64_t(body.size()));
    auto writing = stream->write(body.begin(), body.size());
    return writing.attach(kj::mv(stream), kj::mv(body));
  }
};

}  // namespace

kj::Promise<void> serveMetrics(kj::Network& network, kj::Timer& timer,
                               kj::StringPtr listenAddress, MetricsRegistry& registry,
                               kj::Function<bool()> healthy,
                               kj::Function<void(unsigned port)> onBound) {
  return listenOn(network, listenAddress, 0)
      .then([&timer, &registry, healthy = kj::mv(healthy), onBound = kj::mv(onBound)](
                kj::Own<kj::ConnectionReceiver> listener) mutable {
        onBound(listener->getPort());
        auto service = kj::heap<MetricsService>(registry, kj::mv(healthy));
        auto server = kj::heap<kj::HttpServer>(timer, service->headerTable(), *service);
        auto serving = server->listenHttp(*listener);
        return serving.attach(kj::mv(server), kj::mv(service), kj::mv(listener));
      });
}

}  // namespace dfs
