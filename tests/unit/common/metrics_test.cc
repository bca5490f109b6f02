// Tests for MetricsRegistry: exact Prometheus text for counters, gauges, histograms.
#include "common/metrics/metrics.h"

#include <gtest/gtest.h>
#include <cstring>
#include <limits>

namespace dfs {
namespace {

TEST(Metrics, CounterRendersHelpTypeAndValue) {
  MetricsRegistry registry;
  auto& c = registry.counter("dfs_test_total", "Things done.");
  c.inc();
  c.inc(41);
  EXPECT_STREQ(registry.render().cStr(),
            "# HELP dfs_test_total Things done.\n"
            "# TYPE dfs_test_total counter\n"
            "dfs_test_total 42\n");
}

TEST(Metrics, LabeledCountersShareOneFamily) {
  MetricsRegistry registry;
  auto& lookup = registry.counter("dfs_rpc_total", "RPCs.", {{"op", "lookup"}});
  auto& commit = registry.counter("dfs_rpc_total", "RPCs.", {{"op", "commit"}});
  lookup.inc(3);
  commit.inc();
  // The same name and labels give the same counter.
  EXPECT_EQ(&registry.counter("dfs_rpc_total", "RPCs.", {{"op", "lookup"}}), &lookup);
  EXPECT_STREQ(registry.render().cStr(),
            "# HELP dfs_rpc_total RPCs.\n"
            "# TYPE dfs_rpc_total counter\n"
            "dfs_rpc_total{op=\"lookup\"} 3\n"
            "dfs_rpc_total{op=\"commit\"} 1\n");
}

TEST(Metrics, LabelValuesAreEscaped) {
  MetricsRegistry registry;
  registry.counter("x_total", "a\\b\nc", {{"v", "q\"\\\n"}}).inc();
  EXPECT_STREQ(registry.render().cStr(),
            "# HELP x_total a\\\\b\\nc\n"
            "# TYPE x_total counter\n"
            "x_total{v=\"q\\\"\\\\\\n\"} 1\n");
}

TEST(Metrics, GaugesSetAndCallback) {
  MetricsRegistry registry;
  registry.gauge("dfs_level", "Level.").set(2.5);
  int calls = 0;
  registry.gaugeFn("dfs_live", "Live things.", {{"state", "ok"}}, [&calls]() {
    ++calls;
    return 7.0;
  });
  registry.gaugeCollector("dfs_per_volume", "Per volume.", [](MetricsRegistry::Sink& sink) {
    sink.add({{"volume", "a"}}, 1);
    sink.add({{"volume", "b"}}, 0.125);
  });
  EXPECT_STREQ(registry.render().cStr(),
            "# HELP dfs_level Level.\n"
            "# TYPE dfs_level gauge\n"
            "dfs_level 2.5\n"
            "# HELP dfs_live Live things.\n"
            "# TYPE dfs_live gauge\n"
            "dfs_live{state=\"ok\"} 7\n"
            "# HELP dfs_per_volume Per volume.\n"
            "# TYPE dfs_per_volume gauge\n"
            "dfs_per_volume{volume=\"a\"} 1\n"
            "dfs_per_volume{volume=\"b\"} 0.125\n");
  EXPECT_EQ(calls, 1);
}

TEST(Metrics, HistogramBucketsAreCumulative) {
  MetricsRegistry registry;
  const double bounds[] = {0.001, 0.01, 0.1};
  auto& h = registry.histogram("dfs_op_seconds", "Op latency.", {{"op", "read"}}, bounds);
  h.observe(0.0005);  // <= 0.001
  h.observe(0.001);   // <= 0.001 (bounds are inclusive)
  h.observe(0.05);    // <= 0.1
  h.observe(3);       // +Inf only
  EXPECT_STREQ(registry.render().cStr(),
            "# HELP dfs_op_seconds Op latency.\n"
            "# TYPE dfs_op_seconds histogram\n"
            "dfs_op_seconds_bucket{op=\"read\",le=\"0.001\"} 2\n"
            "dfs_op_seconds_bucket{op=\"read\",le=\"0.01\"} 2\n"
            "dfs_op_seconds_bucket{op=\"read\",le=\"0.1\"} 3\n"
            "dfs_op_seconds_bucket{op=\"read\",le=\"+Inf\"} 4\n"
            "dfs_op_seconds_sum{op=\"read\"} 3.0515\n"
            "dfs_op_seconds_count{op=\"read\"} 4\n");
}

TEST(Metrics, UnlabeledHistogramAndDefaultBuckets) {
  MetricsRegistry registry;
  auto& h = registry.histogram("lat_seconds", "L.");
  EXPECT_EQ(h.bounds().size(), 16u);
  EXPECT_EQ(h.bounds()[0], 0.0001);
  EXPECT_EQ(h.bounds()[15], 10.0);
  h.observe(20);
  auto text = registry.render();
  EXPECT_TRUE(strstr(text.cStr(), "lat_seconds_bucket{le=\"0.0001\"} 0\n") != nullptr)
      << text.cStr();
  EXPECT_TRUE(strstr(text.cStr(), "lat_seconds_bucket{le=\"10\"} 0\n") != nullptr)
      << text.cStr();
  EXPECT_TRUE(strstr(text.cStr(), "lat_seconds_bucket{le=\"+Inf\"} 1\n") != nullptr)
      << text.cStr();
  EXPECT_TRUE(strstr(text.cStr(), "lat_seconds_sum 20\nlat_seconds_count 1\n") != nullptr)
      << text.cStr();
}

TEST(Metrics, MisuseThrows) {
  MetricsRegistry registry;
  registry.counter("a_total", "A.");
  EXPECT_ANY_THROW(registry.gauge("a_total", "A."));
  EXPECT_ANY_THROW(registry.counter("1bad", "B."));
  EXPECT_ANY_THROW(registry.counter("ok_total", "B.", {{"bad-label", "x"}}));
  EXPECT_ANY_THROW(registry.counter("ok_total", "B.", {{"le", "x"}}));
}

TEST(Metrics, FormatsValues) {
  EXPECT_STREQ(formatMetricValue(0).cStr(), "0");
  EXPECT_STREQ(formatMetricValue(12345678901234.0).cStr(), "12345678901234");
  EXPECT_STREQ(formatMetricValue(0.1).cStr(), "0.1");
  EXPECT_STREQ(formatMetricValue(std::numeric_limits<double>::infinity()).cStr(), "+Inf");
  EXPECT_STREQ(formatMetricValue(-std::numeric_limits<double>::infinity()).cStr(), "-Inf");
}

}  // namespace
}  // namespace dfs
