// NATS outage (ROUTER-PROTOCOL.md 1.5): the data plane keeps serving the routes it knows while
// nats-server is down; with suspend_pruning_if_nats_unavailable nothing is pruned even when the
// outage outlasts droplet_stale_threshold; after nats-server comes back on the same port the
// router reconnects (500 ms reconnect wait) and new registrations are routed again.
// The control case shows the short threshold is live: without suspension the route is pruned.

#include <string>
#include <thread>

#include "tests/integration/faults/load_generator.h"
#include "tests/integration/proxy/router_fixture.h"

namespace foundry::test {
namespace {

using namespace std::chrono_literals;

constexpr auto kStaleThreshold = 3s;

class NatsOutageTest : public RouterFixture {
 protected:
  void configure(RouterOptions& options) override {
    options.extra_yaml =
        "droplet_stale_threshold: 3s\n"
        "prune_stale_droplets_interval: 1s\n"
        "suspend_pruning_if_nats_unavailable: " +
        std::string(suspend() ? "true" : "false") + "\n";
  }
  virtual bool suspend() const { return true; }
};

class NatsOutageNoSuspendTest : public NatsOutageTest {
 protected:
  bool suspend() const override { return false; }
};

TEST_F(NatsOutageTest, RoutesSurviveOutageLongerThanStaleThresholdAndNewOnesWorkAfter) {
  FakeBackend a("a"), b("b");
  addRoute("app.example.com", a.port());
  const auto registered = Clock::now();

  LoadGenerator load(port(), "app.example.com", {.threads = 2, .max_duration = 12s});
  load.start();
  ASSERT_TRUE(load.waitForMore(20));

  emitter_.reset();  // its reconnect attempts would only add noise
  nats_.stop();
  ASSERT_TRUE(router_->waitForLog("nats-disconnected", 5s)) << router_->logs();
  ASSERT_TRUE(router_->waitForLog("prune-suspended", 3s)) << router_->logs();

  // Stay down well past the threshold (counted from the last register), so that at least two
  // prune ticks would have removed the route if they had run.
  std::this_thread::sleep_until(registered + kStaleThreshold + 2s);
  const size_t during = load.completed();
  ASSERT_TRUE(load.waitForMore(20)) << "no traffic during the outage";
  EXPECT_NE(router_->routesJson().find("app.example.com"), std::string::npos)
      << router_->routesJson();
  EXPECT_EQ(router_->logs().find("prune-stale-routes"), std::string::npos) << router_->logs();

  // Back on the same port: the router reconnects by itself.
  ASSERT_TRUE(nats_.restart()) << nats_.lastError();
  ASSERT_TRUE(router_->waitForLog("nats-reconnected", 10s)) << router_->logs();
  emitter_ = std::make_unique<NatsPublisher>(nats_.url());
  ASSERT_TRUE(emitter_->ok());
  // An emitter would re-announce its routes now; a brand new route must become routable.
  ASSERT_TRUE(emitter_->registerRoute("app.example.com", "127.0.0.1", a.port()));
  addRoute("new.example.com", b.port());
  auto fresh = httpGet(port(), "new.example.com", "/");
  ASSERT_TRUE(fresh);
  EXPECT_EQ(fresh->status, 200);
  EXPECT_EQ(fresh->body, "backend b");
  EXPECT_TRUE(router_->waitForLog("prune-resumed", 3s)) << router_->logs();

  ASSERT_TRUE(load.waitForMore(20));
  load.stop();
  const LoadSummary summary = load.summary();
  const std::string details = summary.describe(load.startTime());
  EXPECT_EQ(summary.failures(), 0u) << details;
  EXPECT_GT(during, 0u);
  EXPECT_EQ(router_->logs().find("prune-stale-routes"), std::string::npos) << router_->logs();
  std::printf("nats outage: %s\n", details.c_str());
}

// Control: the same outage without suspension prunes the route once it is stale (and the
// request answer becomes 404), so the test above really outlasted the threshold.
TEST_F(NatsOutageNoSuspendTest, OutageLongerThanThresholdPrunesWithoutSuspension) {
  FakeBackend a("a");
  addRoute("app.example.com", a.port());
  const auto registered = Clock::now();
  emitter_.reset();
  nats_.stop();
  ASSERT_TRUE(router_->waitForLog("nats-disconnected", 5s)) << router_->logs();
  // Pruned at the first tick after the threshold: by threshold + interval (+ slack).
  ASSERT_TRUE(router_->waitForRouteGone("app.example.com",
                                        std::chrono::duration_cast<std::chrono::milliseconds>(
                                            registered + kStaleThreshold + 3s - Clock::now())))
      << router_->logs();
  EXPECT_NE(router_->logs().find("prune-stale-routes"), std::string::npos);
  std::this_thread::sleep_for(50ms);
  auto r = httpGet(port(), "app.example.com", "/");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 404);
}

}  // namespace
}  // namespace foundry::test
