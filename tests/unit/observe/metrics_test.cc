// Metrics: what each finished request counts, the latency histogram, per-worker blocks summed,
// and the Prometheus text exposition (ROUTER-PROTOCOL.md 9.4).

#include "router/observe/metrics.h"

#include <gtest/gtest.h>

#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <thread>
#include <vector>

namespace foundry::router {
namespace {

EndpointSharedPtr endpointWithComponent(const std::string& component) {
  EndpointFields f;
  f.host = "10.0.0.1";
  f.port = 8080;
  if (!component.empty()) f.tags = {{"component", component}};
  return std::make_shared<Endpoint>(f);
}

RequestRecord record(int status, EndpointSharedPtr endpoint, int64_t latency_ns = 1'000'000,
                     int attempts = 1, std::string router_error = "") {
  RequestRecord r;
  r.start_mono_ns = 1'000'000'000;
  r.end_mono_ns = r.start_mono_ns + latency_ns;
  r.status = status;
  r.endpoint = std::move(endpoint);
  r.attempts = r.endpoint ? attempts : 0;
  r.router_error = std::move(router_error);
  return r;
}

// Every sample line of the exposition: "name{labels}" -> value.
std::map<std::string, std::string> samples(const std::string& text) {
  std::map<std::string, std::string> out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    size_t space = line.rfind(' ');
    out[line.substr(0, space)] = line.substr(space + 1);
  }
  return out;
}

TEST(MetricsTest, CountsByOutcome) {
  Metrics m(1);
  auto emitter = endpointWithComponent("route-emitter");
  m.onRequestDone(0, record(200, emitter));
  m.onRequestDone(0, record(201, emitter, 1'000'000, 3));  // two retries: three round trips
  m.onRequestDone(0, record(304, emitter));
  m.onRequestDone(0, record(404, nullptr, 1000, 0, "unknown_route"));
  m.onRequestDone(0, record(400, nullptr, 1000, 0, "empty_host"));
  m.onRequestDone(0, record(400, emitter, 1000, 1, "invalid_cf_app_instance_header"));
  m.onRequestDone(0, record(400, nullptr, 1000, 0, ""));  // malformed HTTP: not a lookup
  m.onRequestDone(0, record(502, emitter, 1000, 3, "endpoint_failure"));
  m.onRequestDone(0, record(502, emitter));  // a backend's own 502 is not the router's
  m.onRequestDone(0, record(503, nullptr, 1000, 0, "Connection Limit Reached"));
  m.onRequestDone(0, record(503, nullptr, 1000, 0, "no_endpoints"));
  m.onRequestDone(0, record(101, emitter));
  m.onRequestDone(0, record(0, emitter));  // no response sent
  m.onRequestDone(1, record(200, emitter));  // no such worker: ignored

  Metrics::Totals t = m.totals();
  EXPECT_EQ(t.requests_by_component, (std::map<std::string, uint64_t>{{"route-emitter", 12}}));
  // Only requests that reached an endpoint count as responses (gorouter's reporter handler);
  // 101 and "no status" fall in xxx, like gorouter's statusGroupName.
  EXPECT_EQ(t.responses, (std::array<uint64_t, 5>{2, 1, 1, 2, 2}));
  EXPECT_EQ(t.rejected_requests, 3u);
  EXPECT_EQ(t.bad_gateways, 1u);
  EXPECT_EQ(t.backend_exhausted_conns, 1u);
  EXPECT_EQ(t.websocket_upgrades, 1u);
}

TEST(MetricsTest, ComponentLabels) {
  Metrics m(1);
  m.onRequestDone(0, record(200, endpointWithComponent("CloudController")));
  m.onRequestDone(0, record(200, endpointWithComponent("uaa")));
  m.onRequestDone(0, record(200, endpointWithComponent("uaa")));
  m.onRequestDone(0, record(200, endpointWithComponent("")));
  Metrics::Totals t = m.totals();
  EXPECT_EQ(t.requests_by_component,
            (std::map<std::string, uint64_t>{{"", 1}, {"CloudController", 1}, {"uaa", 2}}));
}

TEST(MetricsTest, TooManyComponentsShareTheOtherLabel) {
  Metrics m(1);
  for (size_t i = 0; i < Metrics::kMaxComponents + 10; ++i) {
    m.onRequestDone(0, record(200, endpointWithComponent("c" + std::to_string(i))));
  }
  m.onRequestDone(0, record(200, endpointWithComponent("c0")));  // still its own slot
  Metrics::Totals t = m.totals();
  EXPECT_EQ(t.requests_by_component.size(), Metrics::kMaxComponents);
  EXPECT_EQ(t.requests_by_component["c0"], 2u);
  EXPECT_EQ(t.requests_by_component["_other"], 11u);
}

TEST(MetricsTest, LatencyBuckets) {
  Metrics m(1);
  auto e = endpointWithComponent("app");
  const int64_t ms = 1'000'000;
  m.onRequestDone(0, record(200, e, ms / 2));      // le=1
  m.onRequestDone(0, record(200, e, ms));          // le=1 (bounds are inclusive)
  m.onRequestDone(0, record(200, e, ms + 1));      // le=2
  m.onRequestDone(0, record(200, e, 3 * ms));      // le=4
  m.onRequestDone(0, record(200, e, 75 * ms));     // le=100
  m.onRequestDone(0, record(200, e, 1000 * ms));   // le=1000
  m.onRequestDone(0, record(200, e, 1500 * ms));   // +Inf
  Metrics::Totals t = m.totals();
  std::array<uint64_t, 13> expected{2, 1, 1, 0, 0, 0, 0, 0, 0, 1, 0, 1, 1};
  EXPECT_EQ(t.latency_buckets["app"], expected);
  EXPECT_EQ(t.latency_sum_ns["app"], uint64_t(ms / 2 + ms + ms + 1 + 3 * ms + 75 * ms +
                                              1000 * ms + 1500 * ms));

  auto s = samples(m.renderPrometheus(ControlMetrics{}));
  EXPECT_EQ(s["latency_bucket{component=\"app\",le=\"1\"}"], "2");
  EXPECT_EQ(s["latency_bucket{component=\"app\",le=\"2\"}"], "3");
  EXPECT_EQ(s["latency_bucket{component=\"app\",le=\"4\"}"], "4");
  EXPECT_EQ(s["latency_bucket{component=\"app\",le=\"50\"}"], "4");
  EXPECT_EQ(s["latency_bucket{component=\"app\",le=\"100\"}"], "5");
  EXPECT_EQ(s["latency_bucket{component=\"app\",le=\"500\"}"], "5");
  EXPECT_EQ(s["latency_bucket{component=\"app\",le=\"1000\"}"], "6");
  EXPECT_EQ(s["latency_bucket{component=\"app\",le=\"+Inf\"}"], "7");
  EXPECT_EQ(s["latency_count{component=\"app\"}"], "7");
  EXPECT_EQ(s["latency_sum{component=\"app\"}"], "2580.500001");
}

TEST(MetricsTest, LatencyEndsAtTheResponseHeadAndLookupsAreTimed) {
  Metrics m(1);
  auto app = endpointWithComponent("app");
  RequestRecord slow_body = record(200, app, 900'000'000);  // the body took 0.9 s
  slow_body.head_mono_ns = slow_body.start_mono_ns + 3'000'000;  // the head came after 3 ms
  slow_body.route_lookup_ns = 120;
  m.onRequestDone(0, slow_body);
  RequestRecord no_lookup = record(400, nullptr, 1000, 0, "");  // malformed: never looked up
  m.onRequestDone(0, no_lookup);
  Metrics::Totals t = m.totals();
  EXPECT_EQ(t.latency_sum_ns["app"], 3'000'000u);
  EXPECT_EQ(t.route_lookups, 1u);
  EXPECT_EQ(t.route_lookup_sum_ns, 120u);
  auto s = samples(m.renderPrometheus(ControlMetrics{}));
  EXPECT_EQ(s["route_lookup_time_count"], "1");
  EXPECT_EQ(s["route_lookup_time_sum"], "120");
  EXPECT_EQ(s["latency_bucket{component=\"app\",le=\"4\"}"], "1");
}

TEST(MetricsTest, WorkersCountIndependentlyAndAreSummed) {
  constexpr int kWorkers = 4;
  constexpr int kPerWorker = 100'000;
  Metrics m(kWorkers);
  auto e = endpointWithComponent("app");
  std::vector<std::thread> threads;
  for (int w = 0; w < kWorkers; ++w) {
    threads.emplace_back([&, w] {
      RequestRecord r = record(200, e);
      for (int i = 0; i < kPerWorker; ++i) m.onRequestDone(w, r);
    });
  }
  // Reading while the workers count is fine (totals only grow).
  uint64_t last = 0;
  for (int i = 0; i < 50; ++i) {
    uint64_t now = m.totals().responses[0];
    EXPECT_GE(now, last);
    last = now;
  }
  for (auto& t : threads) t.join();
  Metrics::Totals t = m.totals();
  EXPECT_EQ(t.responses[0], uint64_t{kWorkers} * kPerWorker);
  EXPECT_EQ(t.requests_by_component["app"], uint64_t{kWorkers} * kPerWorker);
}

TEST(MetricsTest, ControlMetricsAreRendered) {
  Metrics m(1);
  ControlMetrics c;
  c.registry_messages["route-emitter"] = {.added = 3, .updated = 1, .unmodified = 20};
  c.registry_messages[""] = {.added = 1, .updated = 0, .unmodified = 0};
  c.unregistry_messages["route-emitter"] = 2;
  c.routes_pruned = 4;
  c.total_routes = 7;
  c.ms_since_last_registry_update = 1234;
  c.nats_dropped_messages = 5;
  c.nats_validation_errors = 6;
  auto s = samples(m.renderPrometheus(c));
  EXPECT_EQ(s["registry_message{action=\"added\",component=\"route-emitter\"}"], "3");
  EXPECT_EQ(s["registry_message{action=\"updated\",component=\"route-emitter\"}"], "1");
  EXPECT_EQ(s["registry_message{action=\"unmodified\",component=\"route-emitter\"}"], "20");
  EXPECT_EQ(s["registry_message{action=\"added\",component=\"\"}"], "1");
  EXPECT_EQ(s["unregistry_message{component=\"route-emitter\"}"], "2");
  EXPECT_EQ(s["routes_pruned"], "4");
  EXPECT_EQ(s["total_routes"], "7");
  EXPECT_EQ(s["ms_since_last_registry_update"], "1234");
  EXPECT_EQ(s["total_dropped_messages"], "5");
  EXPECT_EQ(s["nats_validation_errors"], "6");
  EXPECT_EQ(s.count("access_log_dropped_lines"), 0u);  // no access log given

  c.ms_since_last_registry_update = -1;  // nothing registered yet
  EXPECT_EQ(samples(m.renderPrometheus(c))["ms_since_last_registry_update"], "-1");
}

TEST(MetricsTest, ZeroCountersAreStillExposed) {
  Metrics m(2);
  auto s = samples(m.renderPrometheus(ControlMetrics{}));
  for (const char* group : {"2xx", "3xx", "4xx", "5xx", "xxx"}) {
    EXPECT_EQ(s[std::string("responses{status_group=\"") + group + "\"}"], "0") << group;
  }
  EXPECT_EQ(s["bad_gateways"], "0");
  EXPECT_EQ(s["rejected_requests"], "0");
  EXPECT_EQ(s["backend_exhausted_conns"], "0");
  EXPECT_EQ(s["websocket_upgrades"], "0");
  EXPECT_EQ(s["routes_pruned"], "0");
}

TEST(MetricsTest, RejectedProxyHeadersAreCountedByReason) {
  Metrics m(2);
  m.onConnectionRejected(0, ConnectionRejection::ProxyHeaderInvalid);
  m.onConnectionRejected(1, ConnectionRejection::ProxyHeaderInvalid);
  m.onConnectionRejected(1, ConnectionRejection::ProxyHeaderTimeout);
  m.onConnectionRejected(7, ConnectionRejection::ProxyHeaderTimeout);  // no such worker
  EXPECT_EQ(m.totals().proxy_header_invalid, 2u);
  EXPECT_EQ(m.totals().proxy_header_timeout, 1u);
  auto s = samples(m.renderPrometheus(ControlMetrics{}));
  EXPECT_EQ(s["proxy_protocol_rejected_connections{reason=\"invalid\"}"], "2");
  EXPECT_EQ(s["proxy_protocol_rejected_connections{reason=\"timeout\"}"], "1");
}

TEST(MetricsTest, LabelValuesAreEscaped) {
  Metrics m(1);
  m.onRequestDone(0, record(200, endpointWithComponent("a\"b\\c\nd")));
  auto s = samples(m.renderPrometheus(ControlMetrics{}));
  EXPECT_EQ(s["total_requests{component=\"a\\\"b\\\\c\\nd\"}"], "1");
}

// The exposition follows the text format: every family has one HELP and one TYPE line before
// its samples, sample names belong to their family, values are numbers, histogram buckets are
// cumulative and end with +Inf equal to _count.
TEST(MetricsTest, PrometheusTextShape) {
  Metrics m(2);
  m.onRequestDone(0, record(200, endpointWithComponent("a"), 3'000'000));
  m.onRequestDone(1, record(500, endpointWithComponent("b"), 300'000'000));
  m.onRequestDone(1, record(404, nullptr, 1000, 0, "unknown_route"));
  ControlMetrics c;
  c.registry_messages["a"].added = 1;
  const std::string text = m.renderPrometheus(c);
  ASSERT_FALSE(text.empty());
  ASSERT_EQ(text.back(), '\n');

  const std::regex help_re(R"(# HELP ([a-zA-Z_:][a-zA-Z0-9_:]*) \S.*)");
  const std::regex type_re(R"(# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge|histogram|summary))");
  const std::regex sample_re(
      R"(([a-zA-Z_:][a-zA-Z0-9_:]*)(\{([a-zA-Z_][a-zA-Z0-9_]*="([^"\\]|\\.)*",?)*\})? (-?[0-9]+(\.[0-9]+)?))");
  std::istringstream in(text);
  std::string line;
  std::string family, type, pending_help;
  std::set<std::string> families;
  std::map<std::string, std::vector<uint64_t>> buckets;  // per label set, in order
  std::map<std::string, uint64_t> counts;
  while (std::getline(in, line)) {
    std::smatch match;
    if (std::regex_match(line, match, help_re)) {
      pending_help = match[1];
      continue;
    }
    if (std::regex_match(line, match, type_re)) {
      ASSERT_EQ(match[1], pending_help) << "TYPE without HELP: " << line;
      family = match[1];
      type = match[2];
      EXPECT_TRUE(families.insert(family).second) << "family twice: " << family;
      continue;
    }
    ASSERT_TRUE(std::regex_match(line, match, sample_re)) << "bad line: " << line;
    const std::string name = match[1];
    if (type == "histogram") {
      ASSERT_TRUE(name == family + "_bucket" || name == family + "_sum" ||
                  name == family + "_count")
          << line;
      const std::string labels = match[2];
      if (name == family + "_bucket") {
        size_t le = labels.find(",le=\"");
        ASSERT_NE(le, std::string::npos) << line;
        buckets[labels.substr(0, le)].push_back(std::stoull(match[5]));
        if (labels.find("le=\"+Inf\"") != std::string::npos) {
          counts[labels.substr(0, le)] = std::stoull(match[5]);
        }
      } else if (name == family + "_count") {
        const std::string key = labels.substr(0, labels.size() - 1);
        ASSERT_EQ(counts.count(key), 1u) << "+Inf bucket missing before " << line;
        EXPECT_EQ(counts[key], std::stoull(match[5])) << line;
      }
    } else if (type == "summary") {
      ASSERT_TRUE(name == family + "_sum" || name == family + "_count") << line;
    } else {
      ASSERT_EQ(name, family) << line;
    }
  }
  for (const char* f : {"registry_message", "total_routes", "total_requests", "responses",
                        "latency", "rejected_requests", "bad_gateways"}) {
    EXPECT_EQ(families.count(f), 1u) << f;
  }
  ASSERT_EQ(buckets.size(), 2u);
  for (const auto& [labels, values] : buckets) {
    ASSERT_EQ(values.size(), Metrics::kLatencyBucketsMs.size() + 1) << labels;
    for (size_t i = 1; i < values.size(); ++i) EXPECT_GE(values[i], values[i - 1]) << labels;
  }
  auto s = samples(text);
  EXPECT_EQ(s["latency_bucket{component=\"a\",le=\"2\"}"], "0");
  EXPECT_EQ(s["latency_bucket{component=\"a\",le=\"4\"}"], "1");
  EXPECT_EQ(s["latency_bucket{component=\"b\",le=\"100\"}"], "0");
  EXPECT_EQ(s["latency_bucket{component=\"b\",le=\"500\"}"], "1");
  EXPECT_EQ(s["latency_sum{component=\"b\"}"], "300");
  EXPECT_EQ(s["responses{status_group=\"5xx\"}"], "1");
  EXPECT_EQ(s["rejected_requests"], "1");
}

}  // namespace
}  // namespace foundry::router
