// HostShard::patched: a shard patched generation after generation (inserts, updates, removals,
// growth, collisions) must answer every host exactly like a shard built in full from the same
// hosts, and a previous generation must keep answering as it did (it is still published to
// workers that have not refreshed).

#include <gtest/gtest.h>

#include <map>
#include <random>
#include <string>
#include <vector>

#include "router/route/route_table.h"

namespace foundry::router {
namespace {

HostRoutesConstSharedPtr routesFor(const std::string& host, int version) {
  auto pool = std::make_shared<const Pool>(host, "/v" + std::to_string(version),
                                           std::vector<EndpointSharedPtr>{},
                                           LbAlgorithm::RoundRobin);
  std::vector<HostRoutes::PathPool> pools{{"/v" + std::to_string(version), pool}};
  if (version % 2 == 0) {
    pools.push_back({"", std::make_shared<const Pool>(host, "", std::vector<EndpointSharedPtr>{},
                                                      LbAlgorithm::RoundRobin)});
  }
  return HostRoutes::create(host, std::move(pools));
}

// The version a shard holds for `host` (from its context path "/vN"), or -1 when absent.
int versionIn(const HostShard& shard, const std::string& host) {
  const HostShard::Slot* slot = shard.find(host, RouteTable::hashHost(host));
  if (slot == nullptr) {
    return -1;
  }
  EXPECT_EQ(slot->routes->host(), host);
  for (const HostRoutes::PathPool& pool : slot->routes->pools()) {
    if (!pool.path.empty()) {
      // The root-pool shortcut must agree with the routes.
      EXPECT_EQ(slot->root_pool, nullptr);
      return std::stoi(pool.path.substr(2));
    }
  }
  ADD_FAILURE() << "no versioned path for " << host;
  return -1;
}

TEST(HostShardPatchTest, PatchedGenerationsMatchAFullBuild) {
  std::mt19937 rng(12345);
  std::map<std::string, int> model;  // host -> version
  // Long hosts (> kInlineHost) too, so both compare paths are used.
  auto hostName = [](int i) {
    return i % 5 == 0 ? "a-very-long-host-name-beyond-the-inline-head-" + std::to_string(i) +
                            ".apps.example.com"
                      : "h" + std::to_string(i) + ".com";
  };
  std::shared_ptr<const HostShard> shard =
      std::make_shared<const HostShard>(std::vector<HostRoutesConstSharedPtr>{});
  int version = 0;
  int full_builds = 0;
  for (int round = 0; round < 400; ++round) {
    std::vector<std::string> names;  // the changes view these
    int n = 1 + static_cast<int>(rng() % 6);
    names.reserve(static_cast<size_t>(n));
    std::vector<HostShard::Change> changes;
    for (int c = 0; c < n; ++c) {
      names.push_back(hostName(static_cast<int>(rng() % 120)));
      const std::string& host = names.back();
      HostRoutesConstSharedPtr routes;
      if (rng() % 3 != 0) {
        routes = routesFor(host, ++version);
        model[host] = version;
      } else {
        model.erase(host);
      }
      changes.push_back(HostShard::Change{host, RouteTable::hashHost(host), routes});
    }
    std::shared_ptr<const HostShard> next = HostShard::patched(*shard, changes);
    // From here on the shards are the only owners of the hosts (ASan checks the chain).
    changes.clear();
    if (next == nullptr) {
      ++full_builds;
      std::vector<HostRoutesConstSharedPtr> all;
      for (const auto& [host, v] : model) {
        all.push_back(routesFor(host, v));
      }
      next = std::make_shared<const HostShard>(std::move(all));
      EXPECT_EQ(next->depth(), 0u);
    } else {
      EXPECT_EQ(next->depth(), shard->depth() + 1);
    }
    shard = std::move(next);
    ASSERT_EQ(shard->hostCount(), model.size()) << "round " << round;
    ASSERT_EQ(shard->hosts().size(), model.size());
    EXPECT_LT(shard->hostCount(), shard->slotCount());
    for (int i = 0; i < 120; ++i) {
      std::string host = hostName(i);
      auto it = model.find(host);
      ASSERT_EQ(versionIn(*shard, host), it == model.end() ? -1 : it->second)
          << host << " round " << round;
    }
  }
  // The chain is cut at kMaxDepth: 400 rounds cannot all be patches.
  EXPECT_GE(full_builds, 400 / static_cast<int>(HostShard::kMaxDepth + 1));
}

TEST(HostShardPatchTest, OlderGenerationUnchangedByPatch) {
  std::vector<HostRoutesConstSharedPtr> hosts;
  for (int i = 0; i < 50; ++i) {
    hosts.push_back(routesFor("h" + std::to_string(i) + ".com", 2));
  }
  auto first = std::make_shared<const HostShard>(hosts);
  hosts.clear();  // only the shard owns them now
  std::string removed = "h3.com";
  std::string updated = "h4.com";
  std::string added = "new.com";
  std::vector<HostShard::Change> changes{
      {removed, RouteTable::hashHost(removed), nullptr},
      {updated, RouteTable::hashHost(updated), routesFor(updated, 7)},
      {added, RouteTable::hashHost(added), routesFor(added, 9)},
  };
  auto second = HostShard::patched(*first, changes);
  ASSERT_NE(second, nullptr);
  EXPECT_EQ(second->depth(), 1u);
  changes.clear();
  EXPECT_EQ(versionIn(*second, removed), -1);
  EXPECT_EQ(versionIn(*second, updated), 7);
  EXPECT_EQ(versionIn(*second, added), 9);
  EXPECT_EQ(versionIn(*second, "h5.com"), 2);
  EXPECT_EQ(versionIn(*first, removed), 2);
  EXPECT_EQ(versionIn(*first, updated), 2);
  EXPECT_EQ(versionIn(*first, added), -1);
  // The first generation goes away; hosts it introduced and the second still uses survive.
  first.reset();
  for (int i = 0; i < 50; ++i) {
    std::string host = "h" + std::to_string(i) + ".com";
    EXPECT_EQ(versionIn(*second, host), host == removed ? -1 : host == updated ? 7 : 2);
  }
}

}  // namespace
}  // namespace foundry::router
