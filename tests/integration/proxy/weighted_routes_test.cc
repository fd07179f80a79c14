// Weighted destinations through the real router: options.weight on register messages spreads a
// route's requests over its apps in proportion, smoothly (route/weighted_apps.h).

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "tests/integration/proxy/router_fixture.h"

namespace foundry::test {
namespace {

using namespace std::chrono_literals;

class WeightedRoutesTest : public RouterFixture {
 protected:
  // Registers backend `be` as an instance of `app` with `weight` under `uri`.
  void addWeighted(const std::string& uri, const FakeBackend& be, const std::string& app,
                   int weight, size_t expected_endpoints) {
    addRoute(uri, be.port(), weightedJson(be, app, weight), expected_endpoints);
  }

  static std::string weightedJson(const FakeBackend& be, const std::string& app, int weight) {
    return "\"app\":\"" + app + "\",\"private_instance_id\":\"" + be.name() +
           "\",\"options\":{\"weight\":" + std::to_string(weight) + "}";
  }

  // The backend name ("backend <name>" bodies) of each of `n` sequential keep-alive requests.
  std::vector<std::string> send(const std::string& host, int n) {
    std::vector<std::string> names;
    names.reserve(static_cast<size_t>(n));
    HttpClient client(port());
    for (int i = 0; i < n; ++i) {
      auto r = client.get(host, "/");
      if (!r || r->status != 200) {
        ADD_FAILURE() << "request " << i << ": " << (r ? std::to_string(r->status) : client.lastError());
        break;
      }
      names.push_back(r->body.substr(r->body.find(' ') + 1));
    }
    return names;
  }

  // Waits until GET /routes shows `text`.
  bool waitForRoutesToShow(const std::string& text) {
    auto deadline = std::chrono::steady_clock::now() + 10s;
    while (std::chrono::steady_clock::now() < deadline) {
      if (router_->routesJson().find(text) != std::string::npos) {
        std::this_thread::sleep_for(20ms);  // the workers' table follows within the publish delay
        return true;
      }
      std::this_thread::sleep_for(10ms);
    }
    return false;
  }
};

double share(const std::vector<std::string>& names, const std::string& name) {
  return 100.0 * static_cast<double>(std::count(names.begin(), names.end(), name)) /
         static_cast<double>(names.size());
}

size_t longestRunOf(const std::vector<std::string>& names, const std::string& name) {
  size_t best = 0, run = 0;
  for (const std::string& n : names) {
    run = n == name ? run + 1 : 0;
    best = std::max(best, run);
  }
  return best;
}

TEST_F(WeightedRoutesTest, OneToThreeSplitIsProportionalAndSmooth) {
  FakeBackend old_app("old"), new_app("new");
  addWeighted("canary.example.com", old_app, "app-old", 1, 1);
  addWeighted("canary.example.com", new_app, "app-new", 3, 2);
  std::vector<std::string> names = send("canary.example.com", 10'000);
  ASSERT_EQ(names.size(), 10'000u);
  EXPECT_NEAR(share(names, "old"), 25.0, 2.0);
  EXPECT_NEAR(share(names, "new"), 75.0, 2.0);
  // Smooth: the heavy app never gets more than ceil(3/1) + 1 picks in a row, the light one
  // never two.
  EXPECT_LE(longestRunOf(names, "new"), 4u);
  EXPECT_EQ(longestRunOf(names, "old"), 1u);
}

// Issue 13's acceptance figure: weights 20/80 over 10,000 requests give 2000 +- 200 to the
// light app (2 %), within a bounded time.
TEST_F(WeightedRoutesTest, TwentyToEightyOverTenThousandRequestsIsWithinTwoPercent) {
  FakeBackend light("light"), heavy("heavy");
  addWeighted("twenty.example.com", light, "app-light", 20, 1);
  addWeighted("twenty.example.com", heavy, "app-heavy", 80, 2);
  const auto start = std::chrono::steady_clock::now();
  std::vector<std::string> names = send("twenty.example.com", 10'000);
  const auto elapsed = std::chrono::steady_clock::now() - start;
  ASSERT_EQ(names.size(), 10'000u);
  const auto light_count = std::count(names.begin(), names.end(), "light");
  const auto heavy_count = std::count(names.begin(), names.end(), "heavy");
  RecordProperty("light", static_cast<int>(light_count));
  RecordProperty("heavy", static_cast<int>(heavy_count));
  std::printf("20/80 split over 10000 requests: light %ld, heavy %ld, %lld ms\n",
              static_cast<long>(light_count), static_cast<long>(heavy_count),
              static_cast<long long>(
                  std::chrono::duration_cast<std::chrono::milliseconds>(elapsed).count()));
  EXPECT_NEAR(static_cast<double>(light_count), 2000.0, 200.0);
  EXPECT_NEAR(static_cast<double>(heavy_count), 8000.0, 200.0);
  EXPECT_LT(elapsed, 60s);  // sequential keep-alive requests on loopback: seconds, not minutes
}

TEST_F(WeightedRoutesTest, TenToNinetySplitAcrossSeveralInstances) {
  FakeBackend old_app("old"), new_a("new-a"), new_b("new-b");
  addWeighted("split.example.com", old_app, "app-old", 10, 1);
  addWeighted("split.example.com", new_a, "app-new", 90, 2);
  addWeighted("split.example.com", new_b, "app-new", 90, 3);
  std::vector<std::string> names = send("split.example.com", 10'000);
  ASSERT_EQ(names.size(), 10'000u);
  EXPECT_NEAR(share(names, "old"), 10.0, 2.0);
  // The new app's share is round-robined over its two instances.
  EXPECT_NEAR(share(names, "new-a"), 45.0, 2.0);
  EXPECT_NEAR(share(names, "new-b"), 45.0, 2.0);
  EXPECT_LE(longestRunOf(names, "old"), 1u);
}

TEST_F(WeightedRoutesTest, ReRegisteringWithNewWeightsShiftsTheTrafficAtOnce) {
  FakeBackend old_app("old"), new_app("new");
  addWeighted("shift.example.com", old_app, "app-old", 80, 1);
  addWeighted("shift.example.com", new_app, "app-new", 20, 2);
  EXPECT_NEAR(share(send("shift.example.com", 1000), "new"), 20.0, 2.0);
  // The next step of a shift: both apps re-registered with new weights.
  ASSERT_TRUE(emitter_->registerRoute("shift.example.com", "127.0.0.1", old_app.port(),
                                      weightedJson(old_app, "app-old", 30)));
  ASSERT_TRUE(emitter_->registerRoute("shift.example.com", "127.0.0.1", new_app.port(),
                                      weightedJson(new_app, "app-new", 70)));
  ASSERT_TRUE(waitForRoutesToShow("\"weight\":70")) << router_->routesJson();
  ASSERT_TRUE(waitForRoutesToShow("\"weight\":30")) << router_->routesJson();
  EXPECT_NEAR(share(send("shift.example.com", 1000), "new"), 70.0, 2.0);
}

TEST_F(WeightedRoutesTest, AnInvalidWeightKeepsTheEndpointUnweighted) {
  FakeBackend a("a"), b("b");
  addRoute("bad.example.com", a.port(), "\"app\":\"x\",\"options\":{\"weight\":250}");
  addRoute("bad.example.com", b.port(), "\"app\":\"y\",\"options\":{\"weight\":\"heavy\"}", 2);
  ASSERT_TRUE(router_->waitForLog("invalid-weight")) << router_->logs();
  // Both kept, plain round-robin.
  std::vector<std::string> names = send("bad.example.com", 100);
  EXPECT_EQ(share(names, "a"), 50.0);
  EXPECT_EQ(share(names, "b"), 50.0);
}

TEST_F(WeightedRoutesTest, StickySessionsWinOverWeights) {
  FakeBackend light("light"), heavy("heavy");
  addWeighted("sticky.example.com", light, "app-light", 1, 1);
  addWeighted("sticky.example.com", heavy, "app-heavy", 99, 2);
  HttpClient client(port());
  for (int i = 0; i < 50; ++i) {
    auto r = client.get("sticky.example.com", "/", {"Cookie: JSESSIONID=s1; __VCAP_ID__=light"});
    ASSERT_TRUE(r) << client.lastError();
    EXPECT_EQ(r->body, "backend light");
  }
}

}  // namespace
}  // namespace foundry::test
