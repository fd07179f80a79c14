// Weighted destinations: the smooth weighted order and the picker over a weighted pool.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <vector>

#include "router/lb/endpoint_picker.h"
#include "router/route/weighted_apps.h"

namespace foundry::router {
namespace {

constexpr int64_t kPickNow = 1'000'000'000'000;

struct Spec {
  std::string app;
  int weight;  // 0: none
  std::string zone = "";
};

std::vector<EndpointSharedPtr> makeEndpoints(const std::vector<Spec>& specs) {
  std::vector<EndpointSharedPtr> eps;
  uint64_t seq = 0;
  for (const Spec& spec : specs) {
    EndpointFields f;
    f.host = "127.0.0.1";
    f.port = static_cast<uint16_t>(2000 + eps.size());
    f.app_id = spec.app;
    f.weight = static_cast<uint8_t>(spec.weight);
    f.availability_zone = spec.zone;
    auto e = std::make_shared<Endpoint>(f);
    e->change_seq = ++seq;
    eps.push_back(std::move(e));
  }
  return eps;
}

// The app of each of `n` picks.
std::vector<std::string> pickApps(const Pool& pool, int n, std::string_view zone = {}) {
  std::vector<std::string> apps;
  for (int i = 0; i < n; ++i) {
    PickResult r;
    EndpointSharedPtr e = pickEndpoint(pool, TriedEndpoints{}, kPickNow, 0, &r, zone);
    EXPECT_TRUE(e);
    if (!e) break;
    apps.push_back(e->fields().app_id);
  }
  return apps;
}

size_t longestRun(const std::vector<std::string>& apps, const std::string& app) {
  size_t best = 0, run = 0;
  for (const std::string& a : apps) {
    run = a == app ? run + 1 : 0;
    best = std::max(best, run);
  }
  return best;
}

TEST(SmoothWeightedOrderTest, IsNginxSequence) {
  // The example nginx gave when it introduced smooth weighted round-robin: 5, 1, 1 gives
  // a a b a c a a (not the bursty c b a a a a a).
  std::vector<int> nginx = {5, 1, 1};
  EXPECT_EQ(smoothWeightedOrder(nginx), (std::vector<uint16_t>{0, 0, 1, 0, 2, 0, 0}));
  std::vector<int> one_three = {1, 3};
  EXPECT_EQ(smoothWeightedOrder(one_three), (std::vector<uint16_t>{1, 0, 1, 1}));
}

TEST(SmoothWeightedOrderTest, ReducesByTheGreatestCommonDivisor) {
  std::vector<int> ten_ninety = {10, 90};
  std::vector<uint16_t> order = smoothWeightedOrder(ten_ninety);
  ASSERT_EQ(order.size(), 10u);
  EXPECT_EQ(std::count(order.begin(), order.end(), 0), 1);
  std::vector<int> equal = {100, 100, 100};
  EXPECT_EQ(smoothWeightedOrder(equal), (std::vector<uint16_t>{0, 1, 2}));
}

TEST(SmoothWeightedOrderTest, EveryIndexGetsItsWeightPerCycle) {
  std::vector<int> weights = {7, 100, 33, 1};
  std::vector<uint16_t> order = smoothWeightedOrder(weights);
  ASSERT_EQ(order.size(), 141u);
  for (size_t i = 0; i < weights.size(); ++i) {
    EXPECT_EQ(std::count(order.begin(), order.end(), i), weights[i]) << i;
  }
}

TEST(WeightedPickerTest, UnweightedPoolHasNoWeightedApps) {
  Pool pool("a", "", makeEndpoints({{"x", 0}, {"y", 0}}), LbAlgorithm::RoundRobin);
  EXPECT_EQ(pool.weighted(), nullptr);
}

TEST(WeightedPickerTest, SplitsOneToThreeSmoothlyAndRoundRobinsWithinTheApp) {
  auto eps = makeEndpoints({{"old", 1}, {"new", 3}, {"new", 3}});
  Pool pool("a", "", eps, LbAlgorithm::RoundRobin);
  ASSERT_NE(pool.weighted(), nullptr);
  std::map<const Endpoint*, int> hits;
  std::vector<std::string> apps;
  for (int i = 0; i < 4000; ++i) {
    PickResult r;
    EndpointSharedPtr e = pickEndpoint(pool, TriedEndpoints{}, kPickNow, 0, &r);
    ASSERT_TRUE(e);
    ++hits[e.get()];
    apps.push_back(e->fields().app_id);
  }
  EXPECT_EQ(hits[eps[0].get()], 1000);
  EXPECT_EQ(hits[eps[1].get()], 1500);
  EXPECT_EQ(hits[eps[2].get()], 1500);
  // 1:3 cycles b a b b: at most 3 heavy picks in a row (ceil(3/1) + 1 = 4 is the bound).
  EXPECT_LE(longestRun(apps, "new"), 3u);
  EXPECT_EQ(longestRun(apps, "old"), 1u);
}

TEST(WeightedPickerTest, TheNewestRegisterCarriesTheAppsWeight) {
  // Both endpoints of "b" say different things; the later change (higher change_seq) wins.
  auto eps = makeEndpoints({{"a", 1}, {"b", 3}, {"b", 1}});
  Pool pool("a", "", eps, LbAlgorithm::RoundRobin);
  auto apps = pickApps(pool, 200);
  EXPECT_EQ(std::count(apps.begin(), apps.end(), "a"), 100);
  EXPECT_EQ(std::count(apps.begin(), apps.end(), "b"), 100);
}

TEST(WeightedPickerTest, AnUnweightedAppCountsAsOne) {
  auto eps = makeEndpoints({{"a", 0}, {"b", 4}});
  Pool pool("a", "", eps, LbAlgorithm::RoundRobin);
  auto apps = pickApps(pool, 500);
  EXPECT_EQ(std::count(apps.begin(), apps.end(), "a"), 100);
}

TEST(WeightedPickerTest, AnAppWithNothingUsablePassesItsTurn) {
  auto eps = makeEndpoints({{"a", 99}, {"b", 1}});
  Pool pool("a", "", eps, LbAlgorithm::RoundRobin);
  TriedEndpoints tried;
  tried.add(eps[0].get());
  for (int i = 0; i < 10; ++i) {
    PickResult r;
    EXPECT_EQ(pickEndpoint(pool, tried, kPickNow, 0, &r), eps[1]);
  }
  // A recently failed heavy app loses its turns to the healthy one...
  eps[0]->failed_at_ns = kPickNow - 1'000'000'000;
  auto apps = pickApps(pool, 50);
  EXPECT_EQ(std::count(apps.begin(), apps.end(), "b"), 50);
  // ...and is still the fallback when everything else is gone.
  TriedEndpoints b_tried;
  b_tried.add(eps[1].get());
  PickResult r;
  EXPECT_EQ(pickEndpoint(pool, b_tried, kPickNow, 0, &r), eps[0]);
  EXPECT_EQ(r, PickResult::Picked);
  b_tried.add(eps[0].get());
  EXPECT_FALSE(pickEndpoint(pool, b_tried, kPickNow, 0, &r));
  EXPECT_EQ(r, PickResult::NoneLeft);
}

TEST(WeightedPickerTest, AllOverloadedAcrossTheApps) {
  auto eps = makeEndpoints({{"a", 1}, {"b", 1}});
  Pool pool("a", "", eps, LbAlgorithm::RoundRobin);
  eps[0]->in_flight = 2;
  PickResult r;
  for (int i = 0; i < 6; ++i) EXPECT_EQ(pickEndpoint(pool, TriedEndpoints{}, kPickNow, 2, &r), eps[1]);
  eps[1]->in_flight = 2;
  EXPECT_FALSE(pickEndpoint(pool, TriedEndpoints{}, kPickNow, 2, &r));
  EXPECT_EQ(r, PickResult::AllOverloaded);
}

TEST(WeightedPickerTest, LeastConnectionWithinTheApp) {
  auto eps = makeEndpoints({{"a", 1}, {"a", 1}, {"b", 1}});
  Pool pool("a", "", eps, LbAlgorithm::LeastConnection);
  eps[0]->in_flight = 5;
  eps[2]->in_flight = 9;  // busier than anything in a, but b's turns still go to b
  std::map<const Endpoint*, int> hits;
  for (int i = 0; i < 100; ++i) {
    PickResult r;
    ++hits[pickEndpoint(pool, TriedEndpoints{}, kPickNow, 0, &r).get()];
  }
  EXPECT_EQ(hits[eps[0].get()], 0);
  EXPECT_EQ(hits[eps[1].get()], 50);
  EXPECT_EQ(hits[eps[2].get()], 50);
}

TEST(WeightedPickerTest, WeightsWinOverZoneLocality) {
  // Only "a" has an instance in z1; "b" still gets its three turns in four.
  auto eps = makeEndpoints({{"a", 1, "z1"}, {"b", 3, "z2"}});
  Pool pool("a", "", eps, LbAlgorithm::RoundRobin);
  auto apps = pickApps(pool, 400, "z1");
  EXPECT_EQ(std::count(apps.begin(), apps.end(), "b"), 300);
  // Within an app the local instance is preferred.
  auto local = makeEndpoints({{"a", 1, "z2"}, {"a", 1, "z1"}});
  Pool local_pool("a", "", local, LbAlgorithm::RoundRobin);
  for (int i = 0; i < 10; ++i) {
    PickResult r;
    EXPECT_EQ(pickEndpoint(local_pool, TriedEndpoints{}, kPickNow, 0, &r, "z1"), local[1]);
  }
}

}  // namespace
}  // namespace foundry::router
