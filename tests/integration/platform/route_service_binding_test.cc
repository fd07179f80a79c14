// A route service bound through the controller reaches the router (the whole platform): a
// pushed app's route bound with POST /v3/service_route_bindings to a user-provided instance
// makes the route emitter register the route with route_service_url, so requests pass through
// the route service (served in-process by the router's hairpinning: the route service is a
// route here); DELETE of the binding registers the route without it, and requests go straight
// to the app again.
#include <gtest/gtest.h>

#include "tests/integration/platform/platform.h"
#include "tests/test_common/fake_route_service.h"
#include "tests/test_common/nats_publisher.h"

#if defined(SCHEDULER_BINARY) && defined(CELL_BINARY) && defined(FOUNDRY_CLI_BINARY) && \
    defined(CONTROLLER_BINARY)

namespace foundry::test {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

class RouteServiceBindingTest : public ::testing::Test {
 protected:
  RouteServiceBindingTest()
      : platform("route_services_secret: platform-rs-secret\n"
                 "route_services_hairpinning: true\n") {}
  void SetUp() override { ASSERT_TRUE(platform.start()) << platform.logs(); }

  // Polls GET host until `pred(response)` holds.
  template <typename Pred>
  bool waitFor(const std::string& host, Pred pred, std::chrono::seconds timeout = 30s) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      auto r = platform.get(host);
      if (r && pred(*r)) return true;
      std::this_thread::sleep_for(200ms);
    }
    return false;
  }

  Platform platform;
};

TEST_F(RouteServiceBindingTest, BindingRoutesTrafficThroughTheRouteServiceUnbindingStopsIt) {
  auto push = platform.cli({"push", "web", "-p", platform.example("node-hello"), "-m", "128M"});
  ASSERT_EQ(push.exit_code, 0) << push.output << platform.logs();
  ASSERT_TRUE(platform.waitRunning("web", 1)) << platform.stats("web").dump();
  ASSERT_TRUE(waitFor("web.apps.internal", [](const HttpResponse& r) { return r.status == 200; }))
      << platform.logs();

  // The route service: a route of the router, so the hairpin serves it in-process.
  FakeRouteService rs(platform.routerPort());
  NatsPublisher nats(platform.natsUrl());
  ASSERT_TRUE(nats.ok());
  ASSERT_TRUE(nats.registerRoute("gate.example.com", "127.0.0.1", rs.port()));
  ASSERT_TRUE(platform.router().waitForRoute("gate.example.com")) << platform.logs();

  const std::string app = platform.appGuid("web");
  const std::string space =
      platform.apiCall("GET", "/v3/apps/" + app).body["relationships"]["space"]["data"]["guid"];
  auto routes = platform.apiCall("GET", "/v3/routes?app_guids=" + app).body["resources"];
  ASSERT_EQ(routes.size(), 1u) << routes;
  const std::string route = routes[0]["guid"];
  auto upsi = platform.apiCall(
      "POST", "/v3/service_instances",
      json{{"type", "user-provided"},
           {"name", "gate"},
           {"route_service_url", "https://gate.example.com/check"},
           {"relationships", {{"space", {{"data", {{"guid", space}}}}}}}}
          .dump());
  ASSERT_EQ(upsi.status, 201) << upsi.raw;
  auto bound = platform.apiCall(
      "POST", "/v3/service_route_bindings",
      json{{"relationships",
            {{"route", {{"data", {{"guid", route}}}}},
             {"service_instance", {{"data", {{"guid", upsi.body["guid"]}}}}}}}}
          .dump());
  ASSERT_EQ(bound.status, 201) << bound.raw;

  // The emitter re-registers the route at once: requests now go through the route service,
  // and still reach the app.
  ASSERT_TRUE(waitFor("web.apps.internal", [&](const HttpResponse& r) {
    return r.status == 200 && rs.requestCount() > 0;
  })) << platform.logs();
  const BackendRequest first = rs.requests().at(0);
  EXPECT_EQ(first.target, "/check");
  EXPECT_EQ(first.header("X-CF-Forwarded-Url").value_or(""), "https://web.apps.internal/");
  EXPECT_FALSE(first.header("X-CF-Proxy-Signature").value_or("").empty());
  auto through = platform.get("web.apps.internal");
  ASSERT_TRUE(through);
  EXPECT_EQ(through->status, 200);
  EXPECT_NE(through->body.find("hello from web"), std::string::npos) << through->body;

  // Unbound: straight to the app again.
  ASSERT_EQ(platform.apiCall("DELETE",
                             "/v3/service_route_bindings/" + bound.body["guid"].get<std::string>())
                .status,
            204);
  size_t seen = 0;
  ASSERT_TRUE(waitFor("web.apps.internal", [&](const HttpResponse& r) {
    // Settled once a 200 arrives without the route service seeing a new request.
    size_t now = rs.requestCount();
    bool settled = r.status == 200 && now == seen;
    seen = now;
    return settled;
  })) << platform.logs();
  const size_t after = rs.requestCount();
  for (int i = 0; i < 5; ++i) {
    auto r = platform.get("web.apps.internal");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200);
  }
  EXPECT_EQ(rs.requestCount(), after);
}

}  // namespace
}  // namespace foundry::test

#endif
