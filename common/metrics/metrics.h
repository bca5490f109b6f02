// MetricsRegistry: counters, gauges and latency histograms rendered as Prometheus text 0.0.4.
#pragma once

#include <kj/function.h>
#include <kj/memory.h>
#include <kj/string.h>
#include <kj/time.h>
#include <kj/vector.h>
#include <cstdint>
#include <initializer_list>

namespace dfs {

// One label pair, e.g. {"op", "lookup"}. Names must match [a-zA-Z_][a-zA-Z0-9_]*; values
// are escaped when rendered.
struct MetricLabel {
  kj::StringPtr name;
  kj::StringPtr value;
};
using MetricLabels = std::initializer_list<MetricLabel>;

// A monotonic count. Not thread-safe: it belongs to one event loop like the registry.
class Counter {
public:
  void inc(uint64_t n = 1) { value += n; }
  uint64_t get() const { return value; }

private:
  uint64_t value = 0;
};

// A value that goes up and down.
class Gauge {
public:
  void set(double v) { value = v; }
  void add(double v) { value += v; }
  double get() const { return value; }

private:
  double value = 0;
};

// Observations counted in fixed buckets (upper bounds, ascending, in seconds for latency).
class Histogram {
public:
  explicit Histogram(kj::ArrayPtr<const double> bounds);
  void observe(double value);

  kj::ArrayPtr<const double> bounds() const { return bucketBounds; }
  // Observations <= bounds()[i] (cumulative); index bounds().size() is +Inf (== count()).
  uint64_t cumulative(size_t i) const;
  double sum() const { return total; }
  uint64_t count() const { return observations; }

private:
  kj::Array<double> bucketBounds;
  kj::Array<uint64_t> perBucket;  // non-cumulative; last entry is (last bound, +Inf)
  double total = 0;
  uint64_t observations = 0;
};

// Default latency buckets: 100 us .. 10 s.
kj::ArrayPtr<const double> defaultLatencyBuckets();

// Measures the time from construction to destruction into a histogram (if any).
class LatencyTimer {
public:
  explicit LatencyTimer(kj::Maybe<Histogram&> histogram);
  ~LatencyTimer() noexcept(false);
  KJ_DISALLOW_COPY(LatencyTimer);

private:
  kj::Maybe<Histogram&> histogram;
  kj::TimePoint start;
};

// Owns every metric of one process (created by main and passed by reference; no globals).
// Metrics are grouped in families by name; a family has one HELP, one TYPE and one series
// per distinct label set. Registering the same name and labels again returns the same
// metric; reusing a name with another type, or an invalid name, throws (KJ_REQUIRE).
// References returned stay valid for the registry's lifetime.
class MetricsRegistry {
public:
  MetricsRegistry();
  ~MetricsRegistry() noexcept(false);
  KJ_DISALLOW_COPY(MetricsRegistry);

  Counter& counter(kj::StringPtr name, kj::StringPtr help, MetricLabels labels = {});
  Gauge& gauge(kj::StringPtr name, kj::StringPtr help, MetricLabels labels = {});
  Histogram& histogram(kj::StringPtr name, kj::StringPtr help, MetricLabels labels = {},
                       kj::ArrayPtr<const double> bounds = defaultLatencyBuckets());

  // Series whose value is read at render time (e.g. a count kept by another component).
  void counterFn(kj::StringPtr name, kj::StringPtr help, MetricLabels labels,
                 kj::Function<uint64_t()> read);
  void gaugeFn(kj::StringPtr name, kj::StringPtr help, MetricLabels labels,
               kj::Function<double()> read);

  // Receives the samples of a collector: one call per label set.
  class Sink {
  public:
    virtual void add(MetricLabels labels, double value) = 0;
  };
  // A gauge family whose label sets are only known at render time (e.g. one per volume).
  void gaugeCollector(kj::StringPtr name, kj::StringPtr help,
                      kj::Function<void(Sink&)> collect);

  // The whole registry in Prometheus text exposition format 0.0.4, families in
  // registration order.
  kj::String render();

  struct Family;  // implementation detail (metrics.cc)

private:
  kj::Vector<kj::Own<Family>> families;
  Family& family(kj::StringPtr name, kj::StringPtr help, int type);
};

// A number as Prometheus writes it: integers without exponent, "+Inf", "-Inf", "NaN",
// otherwise the shortest round-tripping form.
kj::String formatMetricValue(double value);

}  // namespace dfs
