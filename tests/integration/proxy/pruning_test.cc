// Stale-route pruning (ROUTER-PROTOCOL.md 1.5): routes not re-registered within their TTL are
// removed; a per-endpoint stale_threshold_in_seconds can only shorten the TTL; heartbeats keep
// a route alive.

#include "tests/integration/proxy/router_fixture.h"

namespace foundry::test {
namespace {

using namespace std::chrono_literals;

class PruningTest : public RouterFixture {
 protected:
  void configure(RouterOptions& options) override {
    options.extra_yaml = "droplet_stale_threshold: 3s\nprune_stale_droplets_interval: 1s\n";
  }
};

TEST_F(PruningTest, StaleRoutesArePrunedHeartbeatedOnesStay) {
  FakeBackend kept("kept"), stale("stale"), short_ttl("short");
  addRoute("kept.example.com", kept.port());
  addRoute("stale.example.com", stale.port());
  // Asks for 1 s: shorter than the global 3 s, so it applies.
  addRoute("short.example.com", short_ttl.port(), "\"stale_threshold_in_seconds\":1");
  auto start = std::chrono::steady_clock::now();
  // short.example.com goes after ~1-2 s, well before the others.
  ASSERT_TRUE(router_->waitForRouteGone("short.example.com", 2500ms)) << router_->routesJson();
  EXPECT_LT(std::chrono::steady_clock::now() - start, 2800ms);
  EXPECT_NE(router_->routesJson().find("stale.example.com"), std::string::npos);
  // Heartbeat one route while the other ages out.
  for (int i = 0; i < 10; ++i) {
    ASSERT_TRUE(emitter_->registerRoute("kept.example.com", "127.0.0.1", kept.port()));
    std::this_thread::sleep_for(500ms);
  }
  EXPECT_EQ(router_->routesJson().find("stale.example.com"), std::string::npos);
  EXPECT_NE(router_->routesJson().find("kept.example.com"), std::string::npos);
  EXPECT_EQ(httpGet(port(), "stale.example.com", "/")->status, 404);
  EXPECT_EQ(httpGet(port(), "kept.example.com", "/")->status, 200);
}

TEST_F(PruningTest, LongerPerEndpointThresholdDoesNotExtendTheTtl) {
  FakeBackend a("a");
  addRoute("long.example.com", a.port(), "\"stale_threshold_in_seconds\":600");
  EXPECT_TRUE(router_->waitForRouteGone("long.example.com", 6s)) << router_->routesJson();
}

}  // namespace
}  // namespace foundry::test
