// Operator options: http_rewrite, trace-key debug headers, the data-port health check, AZ
// preference and the response header limit (ROUTER-PROTOCOL.md sections 0.1, 3.3, 6.4-6.6).

#include "tests/integration/proxy/router_fixture.h"

namespace foundry::test {
namespace {

class ProxyOptionsTest : public RouterFixture {
 protected:
  void configure(RouterOptions& options) override {
    options.extra_yaml =
        "http_rewrite:\n"
        "  responses:\n"
        "    remove_headers:\n"
        "    - name: Server\n"
        "    add_headers_if_not_present:\n"
        "    - name: Strict-Transport-Security\n"
        "      value: max-age=31536000\n"
        "trace_key: \"22\"\n"
        "zone: z1\n"
        "balancing_algorithm_az_preference: locally-optimistic\n"
        "max_response_header_bytes: 4096\n";
  }
};

TEST_F(ProxyOptionsTest, HttpRewriteAppliesToBackendAndRouterResponses) {
  FakeBackend a("a");
  a.setHandler([](const BackendRequest& r) {
    BackendResponse resp = BackendResponse::text(200, "x");
    resp.headers = {{"Server", "leaky/1.0"}};
    if (r.target == "/hsts") resp.headers.push_back({"Strict-Transport-Security", "max-age=5"});
    return resp;
  });
  addRoute("app.example.com", a.port());
  auto r = httpGet(port(), "app.example.com", "/");
  ASSERT_TRUE(r);
  EXPECT_FALSE(r->hasHeader("Server"));
  EXPECT_EQ(r->header("Strict-Transport-Security").value_or(""), "max-age=31536000");
  auto kept = httpGet(port(), "app.example.com", "/hsts");
  ASSERT_TRUE(kept);
  EXPECT_EQ(kept->headerValues("Strict-Transport-Security").size(), 1u);
  EXPECT_EQ(kept->header("Strict-Transport-Security").value_or(""), "max-age=5");
  auto miss = httpGet(port(), "missing.example.com", "/");
  ASSERT_TRUE(miss);
  EXPECT_EQ(miss->status, 404);
  EXPECT_EQ(miss->header("Strict-Transport-Security").value_or(""), "max-age=31536000");
  EXPECT_EQ(miss->body, "404 Not Found: Requested route ('missing.example.com') does not exist.\n");
}

TEST_F(ProxyOptionsTest, TraceKeyAddsDebugHeaders) {
  FakeBackend a("a");
  addRoute("app.example.com", a.port());
  auto traced = httpGet(port(), "app.example.com", "/", {"X-Vcap-Trace: 22"});
  ASSERT_TRUE(traced);
  EXPECT_EQ(traced->header("X-Vcap-Backend").value_or(""), a.address());
  EXPECT_EQ(traced->header("X-Cf-RouteEndpoint").value_or(""), a.address());
  EXPECT_EQ(traced->header("X-Vcap-Router").value_or(""), "127.0.0.1");
  auto plain = httpGet(port(), "app.example.com", "/", {"X-Vcap-Trace: 23"});
  ASSERT_TRUE(plain);
  EXPECT_FALSE(plain->hasHeader("X-Vcap-Backend"));
}

TEST_F(ProxyOptionsTest, HealthcheckUserAgentGetsHealthOnTheDataPort) {
  auto r = httpGet(port(), "anything", "/", {"User-Agent: HTTP-Monitor/1.1"});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "ok\n");
  EXPECT_EQ(r->header("Cache-Control").value_or(""), "private, max-age=0");
}

TEST_F(ProxyOptionsTest, LocallyOptimisticPrefersTheRoutersZone) {
  FakeBackend local("local"), remote("remote");
  addRoute("app.example.com", remote.port(), "\"availability_zone\":\"z2\"");
  addRoute("app.example.com", local.port(), "\"availability_zone\":\"z1\"", 2);
  for (int i = 0; i < 6; ++i) EXPECT_EQ(httpGet(port(), "app.example.com", "/")->body, "backend local");
  // With the local endpoint gone, traffic falls back to other zones.
  local.stop();
  for (int i = 0; i < 3; ++i) EXPECT_EQ(httpGet(port(), "app.example.com", "/")->body, "backend remote");
}

TEST_F(ProxyOptionsTest, OversizedResponseHeadersAre502NotRetried) {
  FakeBackend big("big"), small("small");
  big.setHandler([](const BackendRequest&) {
    BackendResponse resp = BackendResponse::text(200, "x");
    resp.headers = {{"X-Huge", std::string(8000, 'h')}};
    return resp;
  });
  addRoute("big.example.com", big.port());
  auto r = httpGet(port(), "big.example.com", "/");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 502);
  EXPECT_EQ(big.requestCount(), 1u);
}

}  // namespace
}  // namespace foundry::test
