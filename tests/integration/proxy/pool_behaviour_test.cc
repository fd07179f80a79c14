// Per-route load balancing (options.loadbalancing), max_conns and empty pools
// (ROUTER-PROTOCOL.md 1.2, 3.2, 3.4, 5.3).

#include <future>

#include "tests/integration/proxy/router_fixture.h"

namespace foundry::test {
namespace {

using namespace std::chrono_literals;

class PoolBehaviourTest : public RouterFixture {
 protected:
  void configure(RouterOptions& options) override {
    options.extra_yaml = "empty_pool_timeout: 30s\nbackends:\n  max_conns: 1\n";
  }
};

BackendResponse slowOrFast(const BackendRequest& r) {
  BackendResponse resp = BackendResponse::text(200, "ok");
  if (r.target == "/slow") resp.delay = 1500ms;
  return resp;
}

// Default max_conns (500): only the algorithm keeps requests off the busy endpoint; round-robin
// would alternate.
class LeastConnectionTest : public RouterFixture {};

TEST_F(LeastConnectionTest, PerRouteOptionAvoidsTheBusyEndpoint) {
  FakeBackend a("a"), b("b");
  a.setHandler(&slowOrFast);
  b.setHandler(&slowOrFast);
  const std::string lc = "\"options\":{\"loadbalancing\":\"least-connection\"}";
  addRoute("lc.example.com", a.port(), lc);
  addRoute("lc.example.com", b.port(), lc, 2);
  HttpClient slow(port());
  ASSERT_TRUE(slow.send("GET /slow HTTP/1.1\r\nHost: lc.example.com\r\n\r\n"));
  auto deadline = std::chrono::steady_clock::now() + 2s;
  while (a.requestCount() + b.requestCount() == 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(5ms);
  }
  FakeBackend& busy = a.requestCount() == 1 ? a : b;
  FakeBackend& idle = a.requestCount() == 1 ? b : a;
  for (int i = 0; i < 4; ++i) {
    auto r = httpGet(port(), "lc.example.com", "/fast");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200);
  }
  EXPECT_EQ(idle.requestCount(), 4u);
  EXPECT_EQ(busy.requestCount(), 1u);
  ASSERT_TRUE(slow.readResponse(5s));
}

TEST_F(PoolBehaviourTest, AllEndpointsAtMaxConnsIs503ConnectionLimit) {
  FakeBackend a("a");
  a.setHandler(&slowOrFast);
  addRoute("busy.example.com", a.port());
  HttpClient slow(port());
  ASSERT_TRUE(slow.send("GET /slow HTTP/1.1\r\nHost: busy.example.com\r\n\r\n"));
  ASSERT_TRUE(a.waitForRequests(1));
  auto r = httpGet(port(), "busy.example.com", "/fast");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 503);
  EXPECT_EQ(r->header("X-Cf-Routererror").value_or(""), "Connection Limit Reached");
  EXPECT_EQ(r->body,
            "503 Service Unavailable: Requested route ('busy.example.com') has reached the "
            "connection limit.\n");
  ASSERT_TRUE(slow.readResponse(5s));
  EXPECT_EQ(httpGet(port(), "busy.example.com", "/fast")->status, 200);
}

TEST_F(PoolBehaviourTest, EmptyPoolIs503NoEndpointsWhileKept) {
  FakeBackend a("a");
  addRoute("empty.example.com", a.port());
  ASSERT_TRUE(emitter_->unregisterRoute("empty.example.com", "127.0.0.1", a.port()));
  auto deadline = std::chrono::steady_clock::now() + 3s;
  std::optional<HttpResponse> r;
  do {
    r = httpGet(port(), "empty.example.com", "/");
  } while (r && r->status == 200 && std::chrono::steady_clock::now() < deadline);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 503);
  EXPECT_EQ(r->header("X-Cf-Routererror").value_or(""), "no_endpoints");
  EXPECT_EQ(r->header("Cache-Control").value_or(""), "public,max-age=2");
  EXPECT_EQ(r->body,
            "503 Service Unavailable: Requested route ('empty.example.com') has no available "
            "endpoints.\n");
}

}  // namespace
}  // namespace foundry::test
