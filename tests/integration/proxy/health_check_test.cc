// Active health checks through the real router (options.health_check): an endpoint whose
// health path fails unhealthy_threshold checks in a row stops getting requests, and gets them
// again after healthy_threshold passes; an invalid check is logged and ignored.

#include <atomic>

#include "tests/integration/proxy/router_fixture.h"

namespace foundry::test {
namespace {

using namespace std::chrono_literals;

constexpr char kCheck[] =
    "\"options\":{\"health_check\":{\"path\":\"/health\",\"interval_ms\":100,"
    "\"timeout_ms\":100,\"unhealthy_threshold\":2,\"healthy_threshold\":2}}";

class HealthCheckTest : public RouterFixture {
 protected:
  // Names of the backends that answered `n` requests for host "/".
  std::vector<std::string> send(const std::string& host, int n) {
    std::vector<std::string> names;
    HttpClient client(port());
    for (int i = 0; i < n; ++i) {
      auto r = client.get(host, "/");
      if (!r) {
        ADD_FAILURE() << client.lastError();
        break;
      }
      names.push_back(r->body);
    }
    return names;
  }

  // Requests `be` got other than its health checks.
  static size_t trafficOf(const FakeBackend& be) {
    size_t n = 0;
    for (const auto& r : be.requests()) n += r.target == "/health" ? 0 : 1;
    return n;
  }
};

TEST_F(HealthCheckTest, AFailingEndpointLeavesRotationAndReturnsWhenHealthy) {
  FakeBackend good("good"), flaky("flaky");
  std::atomic<bool> flaky_healthy{true};
  flaky.setHandler([&](const BackendRequest& r) {
    if (r.target == "/health") {
      return BackendResponse::text(flaky_healthy ? 200 : 503, "health");
    }
    return BackendResponse::text(200, "backend flaky");
  });
  addRoute("checked.example.com", good.port(), kCheck, 1);
  addRoute("checked.example.com", flaky.port(), kCheck, 2);
  ASSERT_TRUE(flaky.waitForRequests(1, 5s));  // checked at once
  auto names = send("checked.example.com", 20);
  EXPECT_EQ(std::count(names.begin(), names.end(), "backend flaky"), 10);

  flaky_healthy = false;
  ASSERT_TRUE(router_->waitForLog("endpoint-health-down")) << router_->logs();
  std::this_thread::sleep_for(20ms);
  const size_t before = trafficOf(flaky);
  names = send("checked.example.com", 50);
  EXPECT_EQ(std::count(names.begin(), names.end(), "backend good"), 50);
  EXPECT_EQ(trafficOf(flaky), before);  // not one request reached it
  // Still checked while down.
  const size_t checks = flaky.requests().size();
  std::this_thread::sleep_for(400ms);
  EXPECT_GT(flaky.requests().size(), checks);

  flaky_healthy = true;
  ASSERT_TRUE(router_->waitForLog("endpoint-health-up")) << router_->logs();
  std::this_thread::sleep_for(20ms);
  names = send("checked.example.com", 20);
  EXPECT_EQ(std::count(names.begin(), names.end(), "backend flaky"), 10);
}

TEST_F(HealthCheckTest, AnUnreachableHealthPortCountsAsFailing) {
  FakeBackend good("good");
  // The second endpoint answers nothing at all: its checks fail to connect.
  uint16_t dead_port = 0;
  {
    FakeBackend gone("gone");
    dead_port = gone.port();
  }
  addRoute("dead.example.com", good.port(), kCheck, 1);
  addRoute("dead.example.com", dead_port, kCheck, 2);
  ASSERT_TRUE(router_->waitForLog("endpoint-health-down")) << router_->logs();
  std::this_thread::sleep_for(20ms);
  auto names = send("dead.example.com", 20);
  EXPECT_EQ(std::count(names.begin(), names.end(), "backend good"), 20);
}

TEST_F(HealthCheckTest, AnInvalidCheckIsLoggedAndIgnored) {
  FakeBackend be("be");
  addRoute("invalid.example.com", be.port(),
           "\"options\":{\"health_check\":{\"path\":\"no-slash\",\"interval_ms\":5}}");
  ASSERT_TRUE(router_->waitForLog("invalid-health-check")) << router_->logs();
  auto names = send("invalid.example.com", 3);
  EXPECT_EQ(std::count(names.begin(), names.end(), "backend be"), 3);
  std::this_thread::sleep_for(300ms);
  EXPECT_EQ(be.requests().size(), 3u);  // and never checked
}

}  // namespace
}  // namespace foundry::test
