// Routing, load balancing, headers and the router's own error responses, through the real
// router binary (ROUTER-PROTOCOL.md sections 2, 3.1, 5.4, 6).

#include <regex>
#include <set>

#include "tests/integration/proxy/router_fixture.h"

namespace foundry::test {
namespace {

using namespace std::chrono_literals;

class ProxyRoutingTest : public RouterFixture {};

TEST_F(ProxyRoutingTest, RoundRobinAlternatesBetweenEndpoints) {
  FakeBackend a("a"), b("b");
  addRoute("app.example.com", a.port());
  addRoute("app.example.com", b.port(), "", 2);
  HttpClient client(port());
  std::vector<std::string> bodies;
  for (int i = 0; i < 6; ++i) {
    auto r = client.get("app.example.com");
    ASSERT_TRUE(r) << client.lastError();
    ASSERT_EQ(r->status, 200);
    bodies.push_back(r->body);
  }
  for (size_t i = 1; i < bodies.size(); ++i) EXPECT_NE(bodies[i], bodies[i - 1]) << i;
  EXPECT_EQ(a.requestCount(), 3u);
  EXPECT_EQ(b.requestCount(), 3u);
}

TEST_F(ProxyRoutingTest, HostIsCaseInsensitiveAndPortIsIgnored) {
  FakeBackend a("a");
  addRoute("app.example.com", a.port());
  auto r = httpGet(port(), "App.Example.COM:8080", "/");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  ASSERT_TRUE(a.lastRequest());
  // The Host header is forwarded unchanged, port included.
  EXPECT_EQ(a.lastRequest()->header("Host").value_or(""), "App.Example.COM:8080");
}

TEST_F(ProxyRoutingTest, ContextPathsAndWildcards) {
  FakeBackend root("root"), api("api"), wild("wild");
  addRoute("shop.example.com", root.port());
  addRoute("shop.example.com/api", api.port());
  addRoute("*.example.com", wild.port());
  EXPECT_EQ(httpGet(port(), "shop.example.com", "/api/v1?x=1")->body, "backend api");
  EXPECT_EQ(httpGet(port(), "shop.example.com", "/API")->body, "backend api");
  EXPECT_EQ(httpGet(port(), "shop.example.com", "/apiary")->body, "backend root");
  EXPECT_EQ(httpGet(port(), "other.example.com", "/")->body, "backend wild");
  EXPECT_EQ(httpGet(port(), "a.b.example.com", "/")->body, "backend wild");
  // The request-target reaches the backend verbatim, encoding included.
  httpGet(port(), "shop.example.com", "/api/a%2Fb?q=%20x");
  ASSERT_TRUE(api.lastRequest());
  EXPECT_EQ(api.lastRequest()->target, "/api/a%2Fb?q=%20x");
}

TEST_F(ProxyRoutingTest, RequestHeadersTowardTheBackend) {
  FakeBackend a("a");
  addRoute("app.example.com", a.port(),
           "\"app\":\"0a1b2c3d-0000-4000-8000-000000000001\",\"private_instance_id\":\"inst-1\","
           "\"private_instance_index\":\"2\"");
  HttpClient client(port());
  auto r = client.request(
      "GET /x HTTP/1.1\r\nHost: app.example.com\r\nX-Forwarded-For: 10.1.2.3\r\n"
      "X-Vcap-Request-Id: client-chosen\r\n"
      "Keep-Alive: timeout=5\r\nConnection: keep-alive, X-Secret\r\nX-Secret: s\r\n"
      "X-CF-InstanceID: spoofed\r\nX-App: kept\r\n\r\n");
  ASSERT_TRUE(r) << client.lastError();
  ASSERT_EQ(r->status, 200);
  auto req = a.lastRequest();
  ASSERT_TRUE(req);
  EXPECT_EQ(req->header("X-Forwarded-For").value_or(""), "10.1.2.3, 127.0.0.1");
  EXPECT_EQ(req->header("X-Forwarded-Proto").value_or(""), "http");
  EXPECT_TRUE(std::regex_match(req->header("X-Request-Start").value_or(""), std::regex("[0-9]{13}")));
  const std::string id = req->header("X-Vcap-Request-Id").value_or("");
  EXPECT_TRUE(std::regex_match(
      id, std::regex("[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")))
      << id;
  EXPECT_EQ(req->headerValues("X-Vcap-Request-Id").size(), 1u);
  EXPECT_EQ(req->header("X-CF-ApplicationID").value_or(""), "0a1b2c3d-0000-4000-8000-000000000001");
  EXPECT_EQ(req->header("X-CF-InstanceID").value_or(""), "inst-1");
  EXPECT_EQ(req->headerValues("X-CF-InstanceID").size(), 1u);
  EXPECT_EQ(req->header("X-CF-InstanceIndex").value_or(""), "2");
  EXPECT_FALSE(req->hasHeader("Keep-Alive"));
  EXPECT_FALSE(req->hasHeader("X-Secret"));  // named by Connection: hop-by-hop
  EXPECT_EQ(req->header("X-App").value_or(""), "kept");
  // The response carries the request id the backend saw.
  EXPECT_EQ(r->header("X-Vcap-Request-Id").value_or(""), id);
}

TEST_F(ProxyRoutingTest, ExistingRequestStartIsKeptAndInstanceIdFallsBackToAddress) {
  FakeBackend a("a");
  addRoute("app.example.com", a.port());
  httpGet(port(), "app.example.com", "/", {"X-Request-Start: 1234"});
  auto req = a.lastRequest();
  ASSERT_TRUE(req);
  EXPECT_EQ(req->header("X-Request-Start").value_or(""), "1234");
  EXPECT_EQ(req->header("X-CF-InstanceID").value_or(""), a.address());
}

TEST_F(ProxyRoutingTest, ResponseHopByHopHeadersAreStripped) {
  FakeBackend a("a");
  a.setHandler([](const BackendRequest&) {
    BackendResponse r = BackendResponse::text(201, "made");
    r.headers = {{"Keep-Alive", "timeout=3"}, {"X-Vcap-Request-Id", "from-app"},
                 {"X-CF-Proxy-Signature", "secret"}, {"X-Thing", "1"}};
    return r;
  });
  addRoute("app.example.com", a.port());
  auto r = httpGet(port(), "app.example.com", "/");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 201);
  EXPECT_EQ(r->body, "made");
  EXPECT_FALSE(r->hasHeader("Keep-Alive"));
  EXPECT_FALSE(r->hasHeader("X-CF-Proxy-Signature"));
  EXPECT_EQ(r->header("X-Vcap-Request-Id").value_or(""), "from-app");
  EXPECT_EQ(r->header("X-Thing").value_or(""), "1");
}

TEST_F(ProxyRoutingTest, UnknownRouteIs404WithGorouterBody) {
  auto r = httpGet(port(), "nope.example.com:81", "/");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 404);
  EXPECT_EQ(r->body, "404 Not Found: Requested route ('nope.example.com:81') does not exist.\n");
  EXPECT_EQ(r->header("X-Cf-Routererror").value_or(""), "unknown_route");
  EXPECT_EQ(r->header("Cache-Control").value_or(""), "no-cache, no-store");
  EXPECT_EQ(r->header("Content-Type").value_or(""), "text/plain; charset=utf-8");
  EXPECT_EQ(r->header("X-Content-Type-Options").value_or(""), "nosniff");
}

TEST_F(ProxyRoutingTest, KeepAliveSurvivesRouterErrors) {
  FakeBackend a("a");
  addRoute("app.example.com", a.port());
  HttpClient client(port());
  auto miss = client.get("missing.example.com");
  ASSERT_TRUE(miss);
  EXPECT_EQ(miss->status, 404);
  EXPECT_FALSE(miss->closed);
  auto hit = client.get("app.example.com");
  ASSERT_TRUE(hit) << client.lastError();
  EXPECT_EQ(hit->status, 200);
}

TEST_F(ProxyRoutingTest, MissingHostIs400EmptyHost) {
  HttpClient client(port());
  auto r = client.request("GET / HTTP/1.0\r\n\r\n");
  ASSERT_TRUE(r) << client.lastError();
  EXPECT_EQ(r->status, 400);
  EXPECT_EQ(r->header("X-Cf-Routererror").value_or(""), "empty_host");
  EXPECT_EQ(r->header("Cache-Control").value_or(""), "public,max-age=2");
  EXPECT_EQ(r->body, "400 Bad Request: Request had empty Host header\n");
  // Host equal to the client's IP counts as empty too.
  auto ip = httpGet(port(), "127.0.0.1", "/");
  ASSERT_TRUE(ip);
  EXPECT_EQ(ip->status, 400);
}

TEST_F(ProxyRoutingTest, DeadEndpointIsRetriedOnAnother) {
  FakeBackend live("live");
  uint16_t dead_port;
  {
    FakeBackend gone("gone");
    dead_port = gone.port();
  }  // stopped: connections to it are refused
  addRoute("app.example.com", dead_port);
  addRoute("app.example.com", live.port(), "", 2);
  for (int i = 0; i < 8; ++i) {
    auto r = httpGet(port(), "app.example.com", "/");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200) << i;
    EXPECT_EQ(r->body, "backend live");
  }
}

TEST_F(ProxyRoutingTest, AllEndpointsDeadIs502EndpointFailure) {
  uint16_t dead_port;
  {
    FakeBackend gone("gone");
    dead_port = gone.port();
  }
  addRoute("app.example.com", dead_port);
  auto r = httpGet(port(), "app.example.com", "/");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 502);
  EXPECT_EQ(r->body, "502 Bad Gateway: Registered endpoint failed to handle the request.\n");
  EXPECT_EQ(r->header("X-Cf-Routererror").value_or("").rfind("endpoint_failure", 0), 0u)
      << r->header("X-Cf-Routererror").value_or("");
}

TEST_F(ProxyRoutingTest, UnregisterStopsTrafficToTheEndpoint) {
  FakeBackend blue("blue"), green("green");
  addRoute("app.example.com", blue.port());
  addRoute("app.example.com", green.port(), "", 2);
  ASSERT_TRUE(emitter_->unregisterRoute("app.example.com", "127.0.0.1", blue.port()));
  ASSERT_TRUE(router_->waitForRoute("app.example.com", 1));
  std::this_thread::sleep_for(50ms);
  for (int i = 0; i < 6; ++i) EXPECT_EQ(httpGet(port(), "app.example.com", "/")->body, "backend green");
  ASSERT_TRUE(emitter_->unregisterRoute("app.example.com", "127.0.0.1", green.port()));
  ASSERT_TRUE(router_->waitForRouteGone("app.example.com"));
  std::this_thread::sleep_for(50ms);
  EXPECT_EQ(httpGet(port(), "app.example.com", "/")->status, 404);
}

}  // namespace
}  // namespace foundry::test
