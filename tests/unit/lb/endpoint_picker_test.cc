#include "router/lb/endpoint_picker.h"

#include <gtest/gtest.h>

#include <map>

namespace foundry::router {
namespace {

std::vector<EndpointSharedPtr> makeEndpoints(int n) {
  std::vector<EndpointSharedPtr> eps;
  for (int i = 0; i < n; ++i) {
    EndpointFields f;
    f.host = "127.0.0.1";
    f.port = static_cast<uint16_t>(1000 + i);
    eps.push_back(std::make_shared<Endpoint>(f));
  }
  return eps;
}

constexpr int64_t kNow = 1'000'000'000'000;

TEST(EndpointPickerTest, RoundRobinVisitsEveryEndpointEvenly) {
  Pool pool("a", "", makeEndpoints(3), LbAlgorithm::RoundRobin);
  std::map<const Endpoint*, int> hits;
  TriedEndpoints none;
  for (int i = 0; i < 300; ++i) {
    PickResult r;
    auto e = pickEndpoint(pool, none, kNow, 0, &r);
    ASSERT_TRUE(e);
    ++hits[e.get()];
  }
  ASSERT_EQ(hits.size(), 3u);
  for (auto& [e, n] : hits) EXPECT_EQ(n, 100);
}

TEST(EndpointPickerTest, SkipsTriedAndRecentlyFailed) {
  auto eps = makeEndpoints(3);
  Pool pool("a", "", eps, LbAlgorithm::RoundRobin);
  eps[0]->failed_at_ns = kNow - 1'000'000'000;  // failed 1 s ago
  TriedEndpoints tried;
  tried.add(eps[1].get());
  for (int i = 0; i < 10; ++i) {
    PickResult r;
    EXPECT_EQ(pickEndpoint(pool, tried, kNow, 0, &r), eps[2]);
  }
  // A failure older than 30 s no longer counts.
  eps[0]->failed_at_ns = kNow - 31'000'000'000;
  tried.add(eps[2].get());
  PickResult r;
  EXPECT_EQ(pickEndpoint(pool, tried, kNow, 0, &r), eps[0]);
}

TEST(EndpointPickerTest, AllFailedDegradesToTryingThemAgain) {
  auto eps = makeEndpoints(2);
  Pool pool("a", "", eps, LbAlgorithm::RoundRobin);
  for (auto& e : eps) e->failed_at_ns = kNow;
  PickResult r;
  EXPECT_TRUE(pickEndpoint(pool, TriedEndpoints{}, kNow, 0, &r));
  EXPECT_EQ(r, PickResult::Picked);
  TriedEndpoints all;
  all.add(eps[0].get());
  all.add(eps[1].get());
  EXPECT_FALSE(pickEndpoint(pool, all, kNow, 0, &r));
  EXPECT_EQ(r, PickResult::NoneLeft);
}

TEST(EndpointPickerTest, MaxConnsSkipsFullEndpointsAndReportsAllOverloaded) {
  auto eps = makeEndpoints(2);
  Pool pool("a", "", eps, LbAlgorithm::RoundRobin);
  eps[0]->in_flight = 5;
  PickResult r;
  for (int i = 0; i < 4; ++i) EXPECT_EQ(pickEndpoint(pool, TriedEndpoints{}, kNow, 5, &r), eps[1]);
  eps[1]->in_flight = 5;
  EXPECT_FALSE(pickEndpoint(pool, TriedEndpoints{}, kNow, 5, &r));
  EXPECT_EQ(r, PickResult::AllOverloaded);
  EXPECT_TRUE(pickEndpoint(pool, TriedEndpoints{}, kNow, 0, &r));  // 0 = unlimited
}

TEST(EndpointPickerTest, LeastConnectionPicksTheIdlest) {
  auto eps = makeEndpoints(3);
  Pool pool("a", "", eps, LbAlgorithm::LeastConnection);
  eps[0]->in_flight = 4;
  eps[1]->in_flight = 1;
  eps[2]->in_flight = 3;
  for (int i = 0; i < 10; ++i) {
    PickResult r;
    EXPECT_EQ(pickEndpoint(pool, TriedEndpoints{}, kNow, 0, &r), eps[1]);
  }
}

}  // namespace
}  // namespace foundry::router
