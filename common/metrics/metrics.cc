// MetricsRegistry: metric families, series lookup and Prometheus text rendering.
#include "metrics.h"

#include <kj/debug.h>
#include <cmath>
#include <cstdio>
#include <cstdlib>

namespace dfs {
namespace {

enum Type { COUNTER, GAUGE, HISTOGRAM };

const char* typeName(int type) {
  switch (type) {
    case COUNTER: return "counter";
    case GAUGE: return "gauge";
    default: return "histogram";
  }
}

bool validName(kj::StringPtr name, bool allowColon) {
  if (name.size() == 0) return false;
  for (size_t i = 0; i < name.size(); ++i) {
    char c = name[i];
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
              (allowColon && c == ':') || (i > 0 && c >= '0' && c <= '9');
    if (!ok) return false;
  }
  return true;
}

// HELP text escapes backslash and newline; label values also escape the double quote.
kj::String escape(kj::StringPtr text, bool quote) {
  kj::Vector<char> out(text.size() + 1);
  for (char c : text) {
    if (c == '\\') {
      out.addAll(kj::StringPtr("\\\\"));
    } else if (c == '\n') {
      out.addAll(kj::StringPtr("\\n"));
    } else if (quote && c == '"') {
      out.addAll(kj::StringPtr("\\\""));
    } else {
      out.add(c);
    }
  }
  out.add('\0');
  return kj::String(out.releaseAsArray());
}

// `a="x",b="y"` (no braces); empty for no labels.
kj::String renderLabels(MetricLabels labels) {
  kj::Vector<kj::String> parts;
  for (auto& l : labels) {
    KJ_REQUIRE(validName(l.name, false) && l.name != "le", "bad metric label name", l.name);
    parts.add(kj::str(l.name, "=\"", escape(l.value, true), "\""));
  }
  return kj::strArray(parts, ",");
}

kj::String braces(kj::StringPtr labels) {
  if (labels.size() == 0) return kj::str();
  return kj::str("{", labels, "}");
}

const double kDefaultBuckets[] = {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                  0.05,   0.1,     0.25,   0.5,   1,      2.5,   5,    10};

}  // namespace

kj::String formatMetricValue(double value) {
  if (std::isnan(value)) return kj::str("NaN");
  if (std::isinf(value)) return kj::str(value > 0 ? "+Inf" : "-Inf");
  if (value == std::floor(value) && std::fabs(value) < 1e15) {
    return kj::str(static_cast<int64_t>(value));
  }
  char buf[40];
  for (int precision = 15; precision <= 17; ++precision) {
    snprintf(buf, sizeof(buf), "%.*g", precision, value);
    if (strtod(buf, nullptr) == value) break;
  }
  return kj::str(buf);
}

kj::ArrayPtr<const double> defaultLatencyBuckets() { return kDefaultBuckets; }

Histogram::Histogram(kj::ArrayPtr<const double> bounds)
    : bucketBounds(kj::heapArray(bounds)), perBucket(kj::heapArray<uint64_t>(bounds.size() + 1)) {
  for (size_t i = 0; i < bounds.size(); ++i) {
    KJ_REQUIRE(std::isfinite(bounds[i]), "histogram bounds must be finite");
    KJ_REQUIRE(i == 0 || bounds[i - 1] < bounds[i], "histogram bounds must ascend");
  }
  for (auto& n : perBucket) n = 0;
}

void Histogram::observe(double value) {
  size_t i = 0;
  while (i < bucketBounds.size() && value > bucketBounds[i]) ++i;
  ++perBucket[i];
  total += value;
  ++observations;
}

uint64_t Histogram::cumulative(size_t i) const {
  KJ_REQUIRE(i < perBucket.size(), "histogram bucket out of range");
  uint64_t n = 0;
  for (size_t j = 0; j <= i; ++j) n += perBucket[j];
  return n;
}

LatencyTimer::LatencyTimer(kj::Maybe<Histogram&> histogram)
    : histogram(histogram), start(kj::systemPreciseMonotonicClock().now()) {}

LatencyTimer::~LatencyTimer() noexcept(false) {
  KJ_IF_MAYBE(h, histogram) {
    h->observe((kj::systemPreciseMonotonicClock().now() - start) / kj::NANOSECONDS * 1e-9);
  }
}

struct MetricsRegistry::Family {
  kj::String name;
  kj::String help;
  int type;
  struct Series {
    kj::String labels;
    kj::Maybe<kj::Own<Counter>> counter;
    kj::Maybe<kj::Own<Gauge>> gauge;
    kj::Maybe<kj::Own<Histogram>> histogram;
    kj::Maybe<kj::Function<uint64_t()>> counterFn;
    kj::Maybe<kj::Function<double()>> gaugeFn;
  };
  kj::Vector<Series> series;
  kj::Maybe<kj::Function<void(Sink&)>> collector;

  Series& find(MetricLabels labels) {
    auto text = renderLabels(labels);
    for (auto& s : series) {
      if (s.labels == text) return s;
    }
    KJ_REQUIRE(collector == nullptr, "metric family already has a collector", name);
    series.add(Series{kj::mv(text), nullptr, nullptr, nullptr, nullptr, nullptr});
    return series.back();
  }

  void line(kj::Vector<kj::String>& out, kj::StringPtr suffix, kj::StringPtr labels,
            double value) const {
    out.add(kj::str(name, suffix, braces(labels), " ", formatMetricValue(value), "\n"));
  }

  void render(kj::Vector<kj::String>& out) {
    out.add(kj::str("# HELP ", name, " ", escape(help, false), "\n"));
    out.add(kj::str("# TYPE ", name, " ", typeName(type), "\n"));
    for (auto& s : series) {
      KJ_IF_MAYBE(c, s.counter) line(out, "", s.labels, static_cast<double>((*c)->get()));
      KJ_IF_MAYBE(g, s.gauge) line(out, "", s.labels, (*g)->get());
      KJ_IF_MAYBE(f, s.counterFn) line(out, "", s.labels, static_cast<double>((*f)()));
      KJ_IF_MAYBE(f, s.gaugeFn) line(out, "", s.labels, (*f)());
      KJ_IF_MAYBE(h, s.histogram) {
        auto& hist = **h;
        auto sep = s.labels.size() == 0 ? "" : ",";
        auto bounds = hist.bounds();
        for (size_t i = 0; i <= bounds.size(); ++i) {
          auto le = i < bounds.size() ? formatMetricValue(bounds[i]) : kj::str("+Inf");
          line(out, "_bucket", kj::str(s.labels, sep, "le=\"", le, "\""),
               static_cast<double>(hist.cumulative(i)));
        }
        line(out, "_sum", s.labels, hist.sum());
        line(out, "_count", s.labels, static_cast<double>(hist.count()));
      }
    }
    KJ_IF_MAYBE(collect, collector) {
      struct LineSink final : public Sink {
        Family& family;
        kj::Vector<kj::String>& out;
        LineSink(Family& family, kj::Vector<kj::String>& out) : family(family), out(out) {}
        void add(MetricLabels labels, double value) override {
          family.line(out, "", renderLabels(labels), value);
        }
      };
      LineSink sink(*this, out);
      (*collect)(sink);
    }
  }
};

MetricsRegistry::MetricsRegistry() {}
MetricsRegistry::~MetricsRegistry() noexcept(false) {}

MetricsRegistry::Family& MetricsRegistry::family(kj::StringPtr name, kj::StringPtr help,
                                                 int type) {
  KJ_REQUIRE(validName(name, true), "bad metric name", name);
  for (auto& f : families) {
    if (f->name == name) {
      KJ_REQUIRE(f->type == type, "metric registered with another type", name);
      return *f;
    }
  }
  families.add(kj::heap<Family>(Family{kj::str(name), kj::str(help), type, {}, nullptr}));
  return *families.back();
}

Counter& MetricsRegistry::counter(kj::StringPtr name, kj::StringPtr help, MetricLabels labels) {
  auto& s = family(name, help, COUNTER).find(labels);
  if (s.counter == nullptr) {
    KJ_REQUIRE(s.counterFn == nullptr, "metric series already has a callback", name);
    s.counter = kj::heap<Counter>();
  }
  return *KJ_ASSERT_NONNULL(s.counter);
}

Gauge& MetricsRegistry::gauge(kj::StringPtr name, kj::StringPtr help, MetricLabels labels) {
  auto& s = family(name, help, GAUGE).find(labels);
  if (s.gauge == nullptr) {
    KJ_REQUIRE(s.gaugeFn == nullptr, "metric series already has a callback", name);
    s.gauge = kj::heap<Gauge>();
  }
  return *KJ_ASSERT_NONNULL(s.gauge);
}

Histogram& MetricsRegistry::histogram(kj::StringPtr name, kj::StringPtr help,
                                      MetricLabels labels, kj::ArrayPtr<const double> bounds) {
  auto& s = family(name, help, HISTOGRAM).find(labels);
  if (s.histogram == nullptr) s.histogram = kj::heap<Histogram>(bounds);
  return *KJ_ASSERT_NONNULL(s.histogram);
}

void MetricsRegistry::counterFn(kj::StringPtr name, kj::StringPtr help, MetricLabels labels,
                                kj::Function<uint64_t()> read) {
  auto& s = family(name, help, COUNTER).find(labels);
  KJ_REQUIRE(s.counter == nullptr && s.counterFn == nullptr, "metric series exists", name);
  s.counterFn = kj::mv(read);
}

void MetricsRegistry::gaugeFn(kj::StringPtr name, kj::StringPtr help, MetricLabels labels,
                              kj::Function<double()> read) {
  auto& s = family(name, help, GAUGE).find(labels);
  KJ_REQUIRE(s.gauge == nullptr && s.gaugeFn == nullptr, "metric series exists", name);
  s.gaugeFn = kj::mv(read);
}

void MetricsRegistry::gaugeCollector(kj::StringPtr name, kj::StringPtr help,
                                     kj::Function<void(Sink&)> collect) {
  auto& f = family(name, help, GAUGE);
  KJ_REQUIRE(f.series.size() == 0 && f.collector == nullptr, "metric family exists", name);
  f.collector = kj::mv(collect);
}

kj::String MetricsRegistry::render() {
  kj::Vector<kj::String> out;
  for (auto& f : families) f->render(out);
  return kj::strArray(out, "");
}

}  // namespace dfs
