// The access log file and /metrics of the real router binary (ROUTER-PROTOCOL.md 9.4, 9.5):
// exact access log lines for routed and rejected requests, reopening on SIGHUP after logrotate
// renamed the file, and the Prometheus counters on the status port and prometheus.port.

#include <signal.h>
#include <stdlib.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <sstream>
#include <thread>

#include "tests/integration/proxy/router_fixture.h"
#include "tests/test_common/ports.h"
#include "tests/test_common/files.h"

namespace foundry::test {
namespace {

using namespace std::chrono_literals;

constexpr char kAppId[] = "0a1b2c3d-0000-4000-8000-000000000001";
constexpr char kTimestamp[] = R"(\[\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z\])";
constexpr char kUuid[] = "[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}";
constexpr char kSeconds[] = R"(\d+\.\d{6})";

std::vector<std::string> lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) out.push_back(line);
  return out;
}

std::string escapeRegex(const std::string& s) {
  static const std::regex special(R"([.^$|()\[\]{}*+?\\])");
  return std::regex_replace(s, special, R"(\$&)");
}

// Sample lines of a Prometheus exposition: "name{labels}" -> value.
std::map<std::string, std::string> samples(const std::string& text) {
  std::map<std::string, std::string> out;
  for (const std::string& line : lines(text)) {
    if (line.empty() || line[0] == '#') continue;
    size_t space = line.rfind(' ');
    out[line.substr(0, space)] = line.substr(space + 1);
  }
  return out;
}

class ObservabilityTest : public RouterFixture {
 protected:
  void SetUp() override {
    std::string templ = ::testing::TempDir() + "/observability-XXXXXX";
    ASSERT_NE(::mkdtemp(templ.data()), nullptr);
    dir_ = templ;
    log_path_ = dir_ + "/access.log";
    prometheus_port_ = freeTcpPort();
    RouterFixture::SetUp();
  }

  void TearDown() override {
    if (!HasFailure()) {
      std::error_code ec;
      std::filesystem::remove_all(dir_, ec);
    } else {
      std::fprintf(stderr, "ObservabilityTest: kept %s\n", dir_.c_str());
    }
  }

  void configure(RouterOptions& options) override {
    options.extra_yaml = "access_log:\n  file: " + log_path_ + "\nprometheus:\n  port: " +
                         std::to_string(prometheus_port_) + "\n";
  }

  // Waits until `path` holds at least n lines; returns them.
  std::vector<std::string> waitForLines(const std::string& path, size_t n,
                                        std::chrono::milliseconds timeout = 5s) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    std::vector<std::string> got;
    while (true) {
      got = lines(readFile(path));
      if (got.size() >= n || std::chrono::steady_clock::now() >= deadline) return got;
      std::this_thread::sleep_for(10ms);
    }
  }

  std::string metricsText(uint16_t port) {
    auto r = httpGet(port, "localhost", "/metrics");
    if (!r || r->status != 200) return "";
    return r->body;
  }

  // Polls /metrics until `sample` has `value` (requests are counted when they finish, which
  // may be just after the client has the response).
  bool waitForSample(const std::string& sample, const std::string& value,
                     std::chrono::milliseconds timeout = 5s) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      if (samples(metricsText(router_->statusPort()))[sample] == value) return true;
      std::this_thread::sleep_for(10ms);
    }
    return false;
  }

  void addApp(const std::string& uri, uint16_t port) {
    addRoute(uri, port,
             std::string("\"app\":\"") + kAppId +
                 "\",\"private_instance_id\":\"inst-1\",\"private_instance_index\":\"2\","
                 "\"tags\":{\"component\":\"route-emitter\"}");
  }

  std::string dir_;
  std::string log_path_;
  uint16_t prometheus_port_ = 0;
};

TEST_F(ObservabilityTest, AccessLogLinesForRoutedAndRejectedRequests) {
  FakeBackend a("a");
  addApp("app.example.com", a.port());
  HttpClient client(port());
  auto r = client.request(
      "GET /hello?x=1 HTTP/1.1\r\nHost: app.example.com\r\nUser-Agent: obs-test/1.0\r\n"
      "Referer: http://ref.example.com/\r\n\r\n");
  ASSERT_TRUE(r) << client.lastError();
  ASSERT_EQ(r->status, 200);
  ASSERT_EQ(r->body, "backend a");
  const std::string request_id = a.lastRequest()->header("X-Vcap-Request-Id").value_or("?");
  r = client.request(
      "POST /submit HTTP/1.1\r\nHost: app.example.com\r\nContent-Length: 4\r\n\r\nping");
  ASSERT_TRUE(r) << client.lastError();
  ASSERT_EQ(r->status, 200);
  r = client.request("GET /missing HTTP/1.1\r\nHost: unknown.example.com\r\n\r\n");
  ASSERT_TRUE(r) << client.lastError();
  ASSERT_EQ(r->status, 404);
  const size_t not_found_body = r->body.size();

  auto got = waitForLines(log_path_, 3);
  ASSERT_EQ(got.size(), 3u) << readFile(log_path_);
  const std::string client_addr = "127\\.0\\.0\\.1:" + std::to_string(client.localPort());
  const std::string backend = "127\\.0\\.0\\.1:" + std::to_string(a.port());
  const std::string app_fields = std::string(" app_id:\"") + kAppId +
                                 "\" app_index:\"2\" instance_id:\"inst-1\" ";
  EXPECT_TRUE(std::regex_match(
      got[0], std::regex(std::string("app\\.example\\.com - ") + kTimestamp +
                         " \"GET /hello\\?x=1 HTTP/1\\.1\" 200 0 9 \"http://ref\\.example\\.com/\" "
                         "\"obs-test/1\\.0\" \"" + client_addr + "\" \"" + backend +
                         "\" x_forwarded_for:\"127\\.0\\.0\\.1\" x_forwarded_proto:\"http\" "
                         "vcap_request_id:\"" + escapeRegex(request_id) + "\" response_time:" +
                         kSeconds + " gorouter_time:" + kSeconds + escapeRegex(app_fields) +
                         "x_cf_routererror:\"-\"")))
      << got[0];
  EXPECT_TRUE(std::regex_match(
      got[1], std::regex(std::string("app\\.example\\.com - ") + kTimestamp +
                         " \"POST /submit HTTP/1\\.1\" 200 4 9 \"-\" \"-\" \"" + client_addr +
                         "\" \"" + backend +
                         "\" x_forwarded_for:\"127\\.0\\.0\\.1\" x_forwarded_proto:\"http\" "
                         "vcap_request_id:\"" + kUuid + "\" response_time:" + kSeconds +
                         " gorouter_time:" + kSeconds + escapeRegex(app_fields) +
                         "x_cf_routererror:\"-\"")))
      << got[1];
  // gorouter counts the router's own error body in the response bytes; so do we.
  EXPECT_TRUE(std::regex_match(
      got[2], std::regex(std::string("unknown\\.example\\.com - ") + kTimestamp +
                         " \"GET /missing HTTP/1\\.1\" 404 0 " +
                         std::to_string(not_found_body) +
                         " \"-\" \"-\" \"" + client_addr +
                         "\" \"-\" x_forwarded_for:\"127\\.0\\.0\\.1\" x_forwarded_proto:\"http\" "
                         "vcap_request_id:\"" + kUuid + "\" response_time:" + kSeconds +
                         " gorouter_time:" + kSeconds +
                         " app_id:\"-\" app_index:\"-\" instance_id:\"-\" "
                         "x_cf_routererror:\"unknown_route\"")))
      << got[2];
  // Nothing else was written to the file.
  EXPECT_EQ(readFile(log_path_).back(), '\n');
}

TEST_F(ObservabilityTest, SighupAfterRenameWritesToANewFile) {
  FakeBackend a("a");
  addApp("app.example.com", a.port());
  ASSERT_EQ(httpGet(port(), "app.example.com", "/first")->status, 200);
  ASSERT_EQ(waitForLines(log_path_, 1).size(), 1u);

  const std::string rotated = log_path_ + ".1";
  ASSERT_EQ(std::rename(log_path_.c_str(), rotated.c_str()), 0);
  router_->signal(SIGHUP);
  ASSERT_TRUE(router_->waitForLog("access-log-reopened")) << router_->logs();
  ASSERT_TRUE(router_->running());  // SIGHUP does not stop the router

  ASSERT_EQ(httpGet(port(), "app.example.com", "/second")->status, 200);
  auto fresh = waitForLines(log_path_, 1);
  ASSERT_EQ(fresh.size(), 1u) << readFile(log_path_);
  EXPECT_NE(fresh[0].find("\"GET /second HTTP/1.1\" 200"), std::string::npos) << fresh[0];
  auto old = lines(readFile(rotated));
  ASSERT_EQ(old.size(), 1u);
  EXPECT_NE(old[0].find("\"GET /first HTTP/1.1\" 200"), std::string::npos) << old[0];
}

TEST_F(ObservabilityTest, MetricsCountRequestsAndResponsesByClass) {
  FakeBackend a("a");
  a.setHandler([](const BackendRequest& req) {
    if (req.target == "/created") return BackendResponse::text(201, "made");
    if (req.target == "/broken") return BackendResponse::text(500, "oops");
    return BackendResponse::text(200, "fine");
  });
  addApp("app.example.com", a.port());
  HttpClient client(port());
  for (const char* path : {"/", "/", "/created", "/broken"}) {
    ASSERT_TRUE(client.get("app.example.com", path)) << client.lastError();
  }
  ASSERT_EQ(client.get("unknown.example.com", "/")->status, 404);

  ASSERT_TRUE(waitForSample("total_requests{component=\"route-emitter\"}", "4"))
      << metricsText(router_->statusPort());
  ASSERT_TRUE(waitForSample("rejected_requests", "1")) << metricsText(router_->statusPort());
  auto r = httpGet(router_->statusPort(), "localhost", "/metrics");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->header("Content-Type").value_or(""), "text/plain; version=0.0.4; charset=utf-8");
  EXPECT_NE(r->body.find("# TYPE latency histogram\n"), std::string::npos);
  auto s = samples(r->body);
  EXPECT_EQ(s["responses{status_group=\"2xx\"}"], "3");
  EXPECT_EQ(s["responses{status_group=\"5xx\"}"], "1");
  EXPECT_EQ(s["responses{status_group=\"4xx\"}"], "0");  // the 404 reached no endpoint
  EXPECT_EQ(s["bad_gateways"], "0");                      // the 500 came from the backend
  EXPECT_EQ(s["latency_count{component=\"route-emitter\"}"], "4");
  EXPECT_EQ(s["latency_bucket{component=\"route-emitter\",le=\"+Inf\"}"], "4");
  EXPECT_EQ(s["registry_message{action=\"added\",component=\"route-emitter\"}"], "1");
  EXPECT_EQ(s["total_routes"], "1");
  EXPECT_EQ(s["access_log_dropped_lines"], "0");
  EXPECT_NE(s.count("ms_since_last_registry_update"), 0u);
  EXPECT_NE(s["ms_since_last_registry_update"], "-1");

  // The same exposition on prometheus.port (plain HTTP here; gorouter uses TLS there).
  auto p = httpGet(prometheus_port_, "localhost", "/metrics");
  ASSERT_TRUE(p);
  EXPECT_EQ(p->status, 200);
  EXPECT_EQ(samples(p->body)["responses{status_group=\"2xx\"}"], "3");
  EXPECT_EQ(httpGet(prometheus_port_, "localhost", "/health")->status, 404);
}

TEST_F(ObservabilityTest, RouterErrorsAreCounted) {
  FakeBackend a("a");
  addApp("app.example.com", a.port());
  a.stop();  // every attempt fails: 502 endpoint_failure from the router
  auto r = httpGet(port(), "app.example.com", "/");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 502);
  ASSERT_TRUE(waitForSample("bad_gateways", "1")) << metricsText(router_->statusPort());
  auto got = waitForLines(log_path_, 1);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_NE(got[0].find(" 502 0 "), std::string::npos) << got[0];
  EXPECT_NE(got[0].find("x_cf_routererror:\"endpoint_failure"), std::string::npos) << got[0];
}

}  // namespace
}  // namespace foundry::test
