// RouteRegistry (ROUTER-PROTOCOL.md 1.4, 1.5). Checklist ported from gorouter
// registry/registry_test.go and route/pool_test.go: register/heartbeat/update/replace,
// instance-id overwrite, unregister, empty pools and their timeout, pruning with per-endpoint
// thresholds and the TLS exemption, resetTimestamps, LB algorithm, route service, and the
// copy-on-write publication (structural sharing).

#include "router/registry/route_registry.h"

#include <gtest/gtest.h>

#include <map>
#include <random>
#include <set>
#include <string>

namespace foundry::router {
namespace {

constexpr int64_t kSecond = 1'000'000'000;

RouteKey key(std::string_view uri) {
  RouteKey k;
  EXPECT_TRUE(parseRegisteredUri(uri, &k)) << uri;
  return k;
}

EndpointFields endpointFields(const std::string& host, uint16_t port) {
  EndpointFields f;
  f.host = host;
  f.port = port;
  f.app_id = "app-guid";
  f.private_instance_id = "instance-" + host + ":" + std::to_string(port);
  return f;
}

class RouteRegistryTest : public ::testing::Test {
 protected:
  RouteRegistryTest() : registry_(RouteRegistry::Options{}) {}

  explicit RouteRegistryTest(RouteRegistry::Options options) : registry_(options) {}

  RegisterResult add(std::string_view uri, const EndpointFields& f, int64_t now = 0) {
    return registry_.registerEndpoint(key(uri), f, now);
  }

  PoolConstSharedPtr lookup(std::string_view host, std::string_view path = "/") {
    table_ = registry_.publish();
    return table_->lookup(host, path);
  }

  std::vector<std::string> addresses(const PoolConstSharedPtr& pool) {
    std::vector<std::string> out;
    for (const EndpointSharedPtr& e : pool->endpoints()) {
      out.push_back(e->address());
    }
    return out;
  }

  RouteRegistry registry_;
  RouteTableConstSharedPtr table_;
};

TEST_F(RouteRegistryTest, AddThenLookup) {
  EXPECT_EQ(add("foo.com", endpointFields("10.0.0.1", 8080)), RegisterResult::Added);
  EXPECT_EQ(add("foo.com", endpointFields("10.0.0.2", 8080)), RegisterResult::Added);
  EXPECT_TRUE(registry_.dirty());
  EXPECT_EQ(registry_.routeCount(), 1u);
  EXPECT_EQ(registry_.endpointCount(), 2u);
  PoolConstSharedPtr pool = lookup("foo.com");
  ASSERT_NE(pool, nullptr);
  EXPECT_FALSE(registry_.dirty());
  EXPECT_EQ(addresses(pool), (std::vector<std::string>{"10.0.0.1:8080", "10.0.0.2:8080"}));
  EXPECT_EQ(pool->host(), "foo.com");
  EXPECT_EQ(pool->contextPath(), "");
  EXPECT_EQ(table_->hostCount(), 1u);
}

TEST_F(RouteRegistryTest, CaseFoldedAndQueryStrippedUrisShareAPool) {
  add("Foo.COM/Bar?x=1", endpointFields("10.0.0.1", 1));
  add("foo.com/bar/", endpointFields("10.0.0.2", 2));
  EXPECT_EQ(registry_.routeCount(), 1u);
  PoolConstSharedPtr pool = lookup("foo.com", "/BAR/baz");
  ASSERT_NE(pool, nullptr);
  EXPECT_EQ(pool->endpoints().size(), 2u);
  EXPECT_EQ(pool->contextPath(), "/Bar");  // first registration's case is kept
}

TEST_F(RouteRegistryTest, SameEndpointUnderDifferentUrisIsCountedPerRoute) {
  add("a.com", endpointFields("10.0.0.1", 1));
  add("b.com", endpointFields("10.0.0.1", 1));
  add("a.com/path", endpointFields("10.0.0.1", 1));
  EXPECT_EQ(registry_.routeCount(), 3u);
  EXPECT_EQ(registry_.endpointCount(), 3u);
  EXPECT_NE(lookup("a.com"), lookup("b.com"));
}

TEST_F(RouteRegistryTest, HeartbeatOnlyRefreshesTimestamp) {
  add("foo.com", endpointFields("10.0.0.1", 1), 10);
  PoolConstSharedPtr before = lookup("foo.com");
  EndpointSharedPtr endpoint = before->endpoints()[0];
  EXPECT_EQ(endpoint->last_seen_ns.load(), 10);
  uint64_t generation = table_->generation();

  EXPECT_EQ(add("foo.com", endpointFields("10.0.0.1", 1), 99), RegisterResult::Heartbeat);
  EXPECT_FALSE(registry_.dirty());
  EXPECT_EQ(endpoint->last_seen_ns.load(), 99);
  EXPECT_EQ(registry_.endpointCount(), 1u);
  PoolConstSharedPtr after = lookup("foo.com");
  EXPECT_EQ(after, before);  // same Pool object: nothing was rebuilt
  EXPECT_EQ(after->endpoints()[0], endpoint);
  EXPECT_EQ(table_->generation(), generation + 1);
}

TEST_F(RouteRegistryTest, ChangedFieldsReplaceInPlace) {
  add("foo.com", endpointFields("10.0.0.1", 1));
  add("foo.com", endpointFields("10.0.0.2", 2));
  add("foo.com", endpointFields("10.0.0.3", 3));
  PoolConstSharedPtr before = lookup("foo.com");
  EndpointSharedPtr old_endpoint = before->endpoints()[1];
  old_endpoint->failed_at_ns.store(1234);

  EndpointFields changed = endpointFields("10.0.0.2", 2);
  changed.app_id = "other-app";
  changed.tags.set("component", "x");
  EXPECT_EQ(add("foo.com", changed, 50), RegisterResult::Updated);
  EXPECT_TRUE(registry_.dirty());
  EXPECT_EQ(registry_.endpointCount(), 3u);

  PoolConstSharedPtr after = lookup("foo.com");
  EXPECT_NE(after, before);
  ASSERT_EQ(after->endpoints().size(), 3u);
  EXPECT_EQ(addresses(after), addresses(before));  // same position
  EXPECT_NE(after->endpoints()[1], old_endpoint);  // new object
  EXPECT_EQ(after->endpoints()[1]->fields().app_id, "other-app");
  EXPECT_EQ(after->endpoints()[1]->last_seen_ns.load(), 50);
  EXPECT_EQ(after->endpoints()[1]->failed_at_ns.load(), 1234);  // back-off is per address
  EXPECT_EQ(after->endpoints()[0], before->endpoints()[0]);     // others untouched
  EXPECT_EQ(after->endpoints()[2], before->endpoints()[2]);
  // The old pool is immutable: in-flight requests still see the old endpoint.
  EXPECT_EQ(before->endpoints()[1], old_endpoint);
  EXPECT_EQ(old_endpoint->fields().app_id, "app-guid");
}

TEST_F(RouteRegistryTest, EveryFieldTakesPartInEquality) {
  EndpointFields base = endpointFields("10.0.0.1", 1);
  add("foo.com", base);
  std::vector<std::function<void(EndpointFields*)>> changes = {
      [](EndpointFields* f) { f->tls = true; },
      [](EndpointFields* f) { f->app_id = "x"; },
      [](EndpointFields* f) { f->private_instance_index = "3"; },
      [](EndpointFields* f) { f->tags.set("a", "b"); },
      [](EndpointFields* f) { f->route_service_url = "https://rs"; },
      [](EndpointFields* f) { f->server_cert_domain_san = "san"; },
      [](EndpointFields* f) { f->stale_threshold_s = 5; },
      [](EndpointFields* f) { f->isolation_segment = "seg"; },
      [](EndpointFields* f) { f->protocol = "http2"; },
      [](EndpointFields* f) { f->availability_zone = "z1"; },
      [](EndpointFields* f) { f->updated_at_ns = 77; },
      [](EndpointFields* f) { f->lb_algo = "least-connection"; },
      [](EndpointFields* f) { f->weight = 40; },
  };
  for (auto& change : changes) {
    EndpointFields f = base;
    change(&f);
    EXPECT_EQ(add("foo.com", f), RegisterResult::Updated);
    EXPECT_EQ(add("foo.com", f), RegisterResult::Heartbeat);
    EXPECT_EQ(add("foo.com", base), RegisterResult::Updated);
  }
  EXPECT_EQ(registry_.endpointCount(), 1u);
}

// A weight change is an update, so the pool (and its weighted cycle) is rebuilt at once; the
// app's weight follows its most recently changed endpoint.
TEST_F(RouteRegistryTest, WeightsGroupThePoolByAppAndFollowTheNewestChange) {
  auto weighted = [this](const std::string& host, const std::string& app, int weight) {
    EndpointFields f = endpointFields(host, 1);
    f.app_id = app;
    f.weight = static_cast<uint8_t>(weight);
    return add("foo.com", f);
  };
  weighted("10.0.0.1", "old", 80);
  weighted("10.0.0.2", "old", 80);
  weighted("10.0.0.3", "new", 20);
  PoolConstSharedPtr pool = lookup("foo.com");
  ASSERT_NE(pool->weighted(), nullptr);
  ASSERT_EQ(pool->weighted()->apps().size(), 2u);
  EXPECT_EQ(pool->weighted()->apps()[0].weight, 80);
  EXPECT_EQ(pool->weighted()->apps()[0].endpoints.size(), 2u);
  EXPECT_EQ(pool->weighted()->apps()[1].weight, 20);
  EXPECT_EQ(pool->weighted()->order().size(), 5u);  // 80:20 cycles as 4:1

  // One instance of "old" re-registers with the next step's weight: the app takes it.
  EXPECT_EQ(weighted("10.0.0.2", "old", 60), RegisterResult::Updated);
  EXPECT_EQ(weighted("10.0.0.3", "new", 40), RegisterResult::Updated);
  pool = lookup("foo.com");
  EXPECT_EQ(pool->weighted()->apps()[0].weight, 60);
  EXPECT_EQ(pool->weighted()->apps()[1].weight, 40);
  // A heartbeat of the other, older instance does not change it back.
  EXPECT_EQ(weighted("10.0.0.1", "old", 80), RegisterResult::Heartbeat);
  EXPECT_FALSE(registry_.dirty());

  // No weight anywhere: an ordinary pool again.
  for (const char* host : {"10.0.0.1", "10.0.0.2", "10.0.0.3"}) weighted(host, "old", 0);
  EXPECT_EQ(lookup("foo.com")->weighted(), nullptr);
}

TEST_F(RouteRegistryTest, NewInstanceIdOnSameAddressOverwrites) {
  EndpointFields first = endpointFields("10.0.0.1", 1);
  first.private_instance_id = "instance-a";
  add("foo.com", first);
  EndpointFields second = first;
  second.private_instance_id = "instance-b";
  EXPECT_EQ(add("foo.com", second), RegisterResult::Updated);
  PoolConstSharedPtr pool = lookup("foo.com");
  ASSERT_EQ(pool->endpoints().size(), 1u);
  EXPECT_EQ(pool->endpoints()[0]->fields().private_instance_id, "instance-b");
  EXPECT_EQ(pool->endpoints()[0]->instanceIdHeader(), "instance-b");
}

TEST_F(RouteRegistryTest, SameInstanceIdOnNewAddressIsANewEndpoint) {
  EndpointFields first = endpointFields("10.0.0.1", 1);
  first.private_instance_id = "instance-a";
  EndpointFields moved = first;
  moved.port = 2;
  add("foo.com", first);
  EXPECT_EQ(add("foo.com", moved), RegisterResult::Added);
  EXPECT_EQ(addresses(lookup("foo.com")), (std::vector<std::string>{"10.0.0.1:1", "10.0.0.1:2"}));
}

TEST_F(RouteRegistryTest, UnregisterRemovesByAddress) {
  add("foo.com", endpointFields("10.0.0.1", 1));
  add("foo.com", endpointFields("10.0.0.2", 2));
  add("foo.com", endpointFields("10.0.0.3", 3));
  lookup("foo.com");
  EXPECT_EQ(registry_.unregisterEndpoint(key("FOO.com/"), "10.0.0.1", 1, 0),
            UnregisterResult::Removed);
  EXPECT_TRUE(registry_.dirty());
  EXPECT_EQ(registry_.endpointCount(), 2u);
  // gorouter's pool removes by swapping the last endpoint into the hole.
  EXPECT_EQ(addresses(lookup("foo.com")), (std::vector<std::string>{"10.0.0.3:3", "10.0.0.2:2"}));
}

TEST_F(RouteRegistryTest, UnregisterNotFound) {
  add("foo.com", endpointFields("10.0.0.1", 1));
  lookup("foo.com");
  EXPECT_EQ(registry_.unregisterEndpoint(key("bar.com"), "10.0.0.1", 1, 0),
            UnregisterResult::NotFound);
  EXPECT_EQ(registry_.unregisterEndpoint(key("foo.com/path"), "10.0.0.1", 1, 0),
            UnregisterResult::NotFound);
  EXPECT_EQ(registry_.unregisterEndpoint(key("foo.com"), "10.0.0.1", 2, 0),
            UnregisterResult::NotFound);
  EXPECT_EQ(registry_.unregisterEndpoint(key("foo.com"), "10.0.0.2", 1, 0),
            UnregisterResult::NotFound);
  EXPECT_FALSE(registry_.dirty());
  EXPECT_EQ(registry_.endpointCount(), 1u);
}

TEST_F(RouteRegistryTest, LastUnregisterDeletesPoolAndHost) {
  add("foo.com", endpointFields("10.0.0.1", 1));
  add("*.foo.com", endpointFields("10.0.0.1", 1));
  ASSERT_NE(lookup("foo.com"), nullptr);
  registry_.unregisterEndpoint(key("foo.com"), "10.0.0.1", 1, 0);
  EXPECT_EQ(lookup("foo.com"), nullptr);  // 404, not an empty pool
  EXPECT_EQ(registry_.routeCount(), 1u);
  EXPECT_EQ(table_->hostCount(), 1u);
  EXPECT_NE(lookup("x.foo.com"), nullptr);
  registry_.unregisterEndpoint(key("*.foo.com"), "10.0.0.1", 1, 0);
  EXPECT_EQ(lookup("x.foo.com"), nullptr);
  EXPECT_EQ(registry_.routeCount(), 0u);
  EXPECT_EQ(table_->hostCount(), 0u);
  EXPECT_EQ(table_->wildcard_host_count_, 0u);
}

TEST_F(RouteRegistryTest, UnregisterOnePathKeepsOthers) {
  add("foo.com", endpointFields("10.0.0.1", 1));
  add("foo.com/api", endpointFields("10.0.0.2", 2));
  ASSERT_EQ(lookup("foo.com", "/api/x")->contextPath(), "/api");
  registry_.unregisterEndpoint(key("foo.com/api"), "10.0.0.2", 2, 0);
  EXPECT_EQ(lookup("foo.com", "/api/x")->contextPath(), "");
  EXPECT_EQ(registry_.routeCount(), 1u);
}

TEST_F(RouteRegistryTest, ReRegisterAfterDeleteStartsWithDefaults) {
  EndpointFields f = endpointFields("10.0.0.1", 1);
  f.lb_algo = "least-connection";
  add("foo.com", f);
  registry_.unregisterEndpoint(key("foo.com"), "10.0.0.1", 1, 0);
  add("foo.com", endpointFields("10.0.0.1", 1));
  EXPECT_EQ(lookup("foo.com")->lbAlgorithm(), LbAlgorithm::RoundRobin);
}

TEST_F(RouteRegistryTest, LbAlgorithmLastValidValueWinsAndIsNeverReset) {
  add("foo.com", endpointFields("10.0.0.1", 1));
  EXPECT_EQ(lookup("foo.com")->lbAlgorithm(), LbAlgorithm::RoundRobin);
  EndpointFields b = endpointFields("10.0.0.2", 2);
  b.lb_algo = "least-connection";
  add("foo.com", b);
  EXPECT_EQ(lookup("foo.com")->lbAlgorithm(), LbAlgorithm::LeastConnection);
  // Empty and invalid values keep the pool's algorithm.
  EndpointFields c = endpointFields("10.0.0.3", 3);
  add("foo.com", c);
  c.lb_algo = "bogus";
  add("foo.com", c);
  EXPECT_EQ(lookup("foo.com")->lbAlgorithm(), LbAlgorithm::LeastConnection);
  // Removing the endpoint that set it does not reset it either.
  registry_.unregisterEndpoint(key("foo.com"), "10.0.0.2", 2, 0);
  EXPECT_EQ(lookup("foo.com")->lbAlgorithm(), LbAlgorithm::LeastConnection);
  EndpointFields d = endpointFields("10.0.0.4", 4);
  d.lb_algo = "round-robin";
  add("foo.com", d);
  EXPECT_EQ(lookup("foo.com")->lbAlgorithm(), LbAlgorithm::RoundRobin);
  // Pools are independent.
  add("bar.com", b);
  EXPECT_EQ(lookup("bar.com")->lbAlgorithm(), LbAlgorithm::LeastConnection);
  EXPECT_EQ(lookup("foo.com")->lbAlgorithm(), LbAlgorithm::RoundRobin);
}

TEST(RouteRegistryOptionsTest, DefaultLbAlgorithmFromOptions) {
  RouteRegistry::Options options;
  options.default_lb = LbAlgorithm::LeastConnection;
  RouteRegistry registry(options);
  registry.registerEndpoint(key("foo.com"), endpointFields("10.0.0.1", 1), 0);
  EXPECT_EQ(registry.publish()->lookup("foo.com", "/")->lbAlgorithm(),
            LbAlgorithm::LeastConnection);
}

TEST_F(RouteRegistryTest, RouteServiceUrlLastWriterWins) {
  EndpointFields a = endpointFields("10.0.0.1", 1);
  a.route_service_url = "https://rs-a";
  add("foo.com", a);
  EXPECT_EQ(lookup("foo.com")->routeServiceUrl(), "https://rs-a");
  EndpointFields b = endpointFields("10.0.0.2", 2);
  b.route_service_url = "https://rs-b";
  add("foo.com", b);
  EXPECT_EQ(lookup("foo.com")->routeServiceUrl(), "https://rs-b");
  a.route_service_url = "";
  add("foo.com", a);  // unbinding: a changed endpoint with no route service
  EXPECT_EQ(lookup("foo.com")->routeServiceUrl(), "");
}

TEST_F(RouteRegistryTest, PruneRemovesOnlyStaleNonTlsEndpoints) {
  const int64_t t0 = 1000 * kSecond;
  add("foo.com", endpointFields("10.0.0.1", 1), t0);
  EndpointFields tls = endpointFields("10.0.0.2", 2);
  tls.tls = true;
  add("foo.com", tls, t0);
  add("foo.com", endpointFields("10.0.0.3", 3), t0 + 60 * kSecond);
  lookup("foo.com");

  // Exactly at the threshold is not stale yet (strictly older is).
  EXPECT_EQ(registry_.pruneStale(t0 + 120 * kSecond), 0u);
  EXPECT_FALSE(registry_.dirty());
  EXPECT_EQ(registry_.pruneStale(t0 + 120 * kSecond + 1), 1u);
  EXPECT_TRUE(registry_.dirty());
  EXPECT_EQ(registry_.endpointCount(), 2u);
  std::vector<std::string> left = addresses(lookup("foo.com"));
  std::sort(left.begin(), left.end());
  EXPECT_EQ(left, (std::vector<std::string>{"10.0.0.2:2", "10.0.0.3:3"}));

  // The TLS endpoint survives forever; the heartbeated one until its own TTL.
  EXPECT_EQ(registry_.pruneStale(t0 + 10'000 * kSecond), 1u);
  EXPECT_EQ(addresses(lookup("foo.com")), (std::vector<std::string>{"10.0.0.2:2"}));
}

TEST_F(RouteRegistryTest, HeartbeatKeepsEndpointAlive) {
  add("foo.com", endpointFields("10.0.0.1", 1), 0);
  add("foo.com", endpointFields("10.0.0.1", 1), 100 * kSecond);
  EXPECT_EQ(registry_.pruneStale(200 * kSecond), 0u);
  EXPECT_EQ(registry_.pruneStale(221 * kSecond), 1u);
  EXPECT_EQ(lookup("foo.com"), nullptr);
  EXPECT_EQ(registry_.routeCount(), 0u);
}

TEST_F(RouteRegistryTest, PerEndpointThresholdCanOnlyShorten) {
  EndpointFields shorter = endpointFields("10.0.0.1", 1);
  shorter.stale_threshold_s = 10;
  EndpointFields longer = endpointFields("10.0.0.2", 2);
  longer.stale_threshold_s = 500;
  EndpointFields zero = endpointFields("10.0.0.3", 3);
  zero.stale_threshold_s = 0;
  add("foo.com", shorter, 0);
  add("foo.com", longer, 0);
  add("foo.com", zero, 0);
  EXPECT_EQ(registry_.pruneStale(10 * kSecond), 0u);
  EXPECT_EQ(registry_.pruneStale(10 * kSecond + 1), 1u);
  EXPECT_EQ(registry_.endpointCount(), 2u);
  EXPECT_EQ(registry_.pruneStale(120 * kSecond), 0u);
  EXPECT_EQ(registry_.pruneStale(121 * kSecond), 2u);  // 500 s capped at the global 120 s
}

TEST_F(RouteRegistryTest, ResetTimestampsGivesAFullTtl) {
  add("foo.com", endpointFields("10.0.0.1", 1), 0);
  add("bar.com/x", endpointFields("10.0.0.2", 2), 0);
  lookup("foo.com");
  registry_.resetTimestamps(500 * kSecond);
  EXPECT_FALSE(registry_.dirty());
  EXPECT_EQ(registry_.pruneStale(620 * kSecond), 0u);
  EXPECT_EQ(registry_.pruneStale(620 * kSecond + 1), 2u);
}

TEST_F(RouteRegistryTest, ForEachRouteVisitsEveryRouteWithCurrentState) {
  add("foo.com", endpointFields("10.0.0.1", 1));
  add("foo.com/Api", endpointFields("10.0.0.2", 2));
  add("*.bar.com", endpointFields("10.0.0.3", 3));
  registry_.publish();
  add("foo.com", endpointFields("10.0.0.4", 4));  // not yet published
  std::map<std::string, size_t> seen;
  registry_.forEachRoute(
      [&](const std::string& uri, const Pool& pool) { seen[uri] = pool.endpoints().size(); });
  EXPECT_EQ(seen,
            (std::map<std::string, size_t>{{"foo.com", 2}, {"foo.com/api", 1}, {"*.bar.com", 1}}));
}

TEST_F(RouteRegistryTest, PublishSharesUnchangedShards) {
  for (int i = 0; i < 2000; ++i) {
    add("app-" + std::to_string(i) + ".com", endpointFields("10.0.0.1", 1));
  }
  RouteTableConstSharedPtr first = registry_.publish();
  EXPECT_EQ(first->hostCount(), 2000u);
  EXPECT_EQ(first->generation(), 1u);

  // Nothing changed: every shard is shared, generation still advances.
  RouteTableConstSharedPtr second = registry_.publish();
  EXPECT_EQ(second->generation(), 2u);
  for (size_t s = 0; s < RouteTable::kShards; ++s) {
    ASSERT_EQ(second->shard(s), first->shard(s));
  }

  // One change copies exactly the shard of that host; unchanged hosts in it keep their
  // HostRoutes, and the pool of the untouched hosts is the same object.
  add("app-7.com", endpointFields("10.0.0.2", 2));
  RouteTableConstSharedPtr third = registry_.publish();
  size_t changed_shard = RouteTable::shardOf("app-7.com");
  for (size_t s = 0; s < RouteTable::kShards; ++s) {
    if (s == changed_shard) {
      EXPECT_NE(third->shard(s), second->shard(s));
    } else {
      ASSERT_EQ(third->shard(s), second->shard(s)) << s;
    }
  }
  std::set<const HostRoutes*> before;
  for (const HostRoutes* routes : second->shard(changed_shard)->hosts()) {
    before.insert(routes);
  }
  size_t shared = 0;
  for (const HostRoutes* routes : third->shard(changed_shard)->hosts()) {
    shared += before.count(routes);
  }
  EXPECT_EQ(shared, third->shard(changed_shard)->hosts().size() - 1);
  EXPECT_EQ(third->lookup("app-7.com", "/")->endpoints().size(), 2u);
  EXPECT_EQ(second->lookup("app-7.com", "/")->endpoints().size(), 1u);  // snapshot unchanged
  EXPECT_EQ(third->lookup("app-8.com", "/"), second->lookup("app-8.com", "/"));

  // A heartbeat changes nothing at all.
  add("app-9.com", endpointFields("10.0.0.1", 1), 5);
  EXPECT_FALSE(registry_.dirty());
  RouteTableConstSharedPtr fourth = registry_.publish();
  for (size_t s = 0; s < RouteTable::kShards; ++s) {
    ASSERT_EQ(fourth->shard(s), third->shard(s));
  }
}

TEST_F(RouteRegistryTest, OnlyChangedPoolIsRebuiltWithinAHost) {
  add("foo.com", endpointFields("10.0.0.1", 1));
  add("foo.com/a", endpointFields("10.0.0.2", 2));
  PoolConstSharedPtr root = lookup("foo.com", "/");
  PoolConstSharedPtr a = lookup("foo.com", "/a");
  add("foo.com/a", endpointFields("10.0.0.3", 3));
  EXPECT_EQ(lookup("foo.com", "/"), root);
  EXPECT_NE(lookup("foo.com", "/a"), a);
}

TEST_F(RouteRegistryTest, LargePoolIndexStaysConsistent) {
  // Past the linear-search threshold the registry keeps an address index; exercise add,
  // update, swap-removal and pruning through it.
  for (int i = 0; i < 100; ++i) {
    add("big.com", endpointFields("10.0.1." + std::to_string(i), 8080), i * kSecond);
  }
  EXPECT_EQ(registry_.endpointCount(), 100u);
  for (int i = 0; i < 100; i += 3) {
    EXPECT_EQ(registry_.unregisterEndpoint(key("big.com"), "10.0.1." + std::to_string(i), 8080, 0),
              UnregisterResult::Removed);
  }
  for (int i = 0; i < 100; ++i) {
    RegisterResult expected = i % 3 == 0 ? RegisterResult::Added : RegisterResult::Heartbeat;
    EXPECT_EQ(add("big.com", endpointFields("10.0.1." + std::to_string(i), 8080), i * kSecond), expected)
        << i;
  }
  EndpointFields changed = endpointFields("10.0.1.50", 8080);
  changed.app_id = "new";
  EXPECT_EQ(add("big.com", changed, 50 * kSecond), RegisterResult::Updated);
  // Endpoints 0..9 were last seen at i s; at 129.5 s those with i < 9.5 are stale.
  EXPECT_EQ(registry_.pruneStale(129 * kSecond + kSecond / 2), 10u);
  EXPECT_EQ(registry_.endpointCount(), 90u);
  for (int i = 0; i < 100; ++i) {
    UnregisterResult expected = i < 10 ? UnregisterResult::NotFound : UnregisterResult::Removed;
    EXPECT_EQ(registry_.unregisterEndpoint(key("big.com"), "10.0.1." + std::to_string(i), 8080, 0),
              expected)
        << i;
  }
  EXPECT_EQ(registry_.endpointCount(), 0u);
  EXPECT_EQ(lookup("big.com"), nullptr);
}

class EmptyPoolTimeoutTest : public RouteRegistryTest {
 protected:
  static RouteRegistry::Options options() {
    RouteRegistry::Options o;
    o.empty_pool_timeout_ns = 10 * kSecond;
    return o;
  }
  EmptyPoolTimeoutTest() : RouteRegistryTest(options()) {}
};

TEST_F(EmptyPoolTimeoutTest, EmptyPoolKeptUntilTimeout) {
  add("foo.com", endpointFields("10.0.0.1", 1), 0);
  add("*.com", endpointFields("10.0.0.9", 9), 0);
  registry_.unregisterEndpoint(key("foo.com"), "10.0.0.1", 1, 100 * kSecond);
  PoolConstSharedPtr pool = lookup("foo.com");
  ASSERT_NE(pool, nullptr);
  EXPECT_TRUE(pool->empty());  // 503, and it blocks the *.com wildcard
  EXPECT_EQ(registry_.routeCount(), 2u);
  EXPECT_EQ(registry_.unregisterEndpoint(key("foo.com"), "10.0.0.1", 1, 0),
            UnregisterResult::NotFound);

  registry_.resetTimestamps(110 * kSecond);  // keep *.com alive
  EXPECT_EQ(registry_.pruneStale(110 * kSecond), 0u);
  EXPECT_FALSE(registry_.dirty());
  EXPECT_NE(lookup("foo.com"), nullptr);
  EXPECT_EQ(registry_.pruneStale(110 * kSecond + 1), 0u);
  EXPECT_TRUE(registry_.dirty());
  EXPECT_EQ(registry_.routeCount(), 1u);
  EXPECT_EQ(lookup("foo.com")->host(), "*.com");
}

TEST_F(EmptyPoolTimeoutTest, PrunedToEmptyThenRepopulated) {
  add("foo.com", endpointFields("10.0.0.1", 1), 0);
  EXPECT_EQ(registry_.pruneStale(121 * kSecond), 1u);
  ASSERT_NE(lookup("foo.com"), nullptr);
  EXPECT_TRUE(lookup("foo.com")->empty());
  EXPECT_EQ(add("foo.com", endpointFields("10.0.0.2", 2), 125 * kSecond), RegisterResult::Added);
  // Repopulated: the old emptiness no longer counts toward the timeout.
  EXPECT_EQ(registry_.pruneStale(140 * kSecond), 0u);
  EXPECT_EQ(lookup("foo.com")->endpoints().size(), 1u);
}

TEST_F(EmptyPoolTimeoutTest, EmptyDeeperPathFallsBackToPopulatedRoot) {
  add("foo.com", endpointFields("10.0.0.1", 1), 0);
  add("foo.com/a", endpointFields("10.0.0.2", 2), 0);
  registry_.unregisterEndpoint(key("foo.com/a"), "10.0.0.2", 2, 0);
  EXPECT_EQ(lookup("foo.com", "/a/b")->contextPath(), "");
}

// Many publishes, each patching the shards of a few changed hosts (adds, changes, removals,
// re-adds): every table must answer exactly like the model, and the table before a publish
// must keep answering as it did.
TEST_F(RouteRegistryTest, IncrementalPublishesMatchModel) {
  std::mt19937 rng(99);
  std::map<std::string, std::set<uint16_t>> model;  // host -> ports
  RouteTableConstSharedPtr previous = registry_.publish();
  std::map<std::string, size_t> previous_sizes;
  for (int round = 0; round < 300; ++round) {
    for (int op = 0; op < 40; ++op) {
      std::string host = "app-" + std::to_string(rng() % 3000) + ".com";
      auto port = static_cast<uint16_t>(1 + rng() % 3);
      if (rng() % 4 == 0) {
        registry_.unregisterEndpoint(key(host), "10.0.0.1", port, 0);
        model[host].erase(port);
        if (model[host].empty()) model.erase(host);
      } else {
        add(host, endpointFields("10.0.0.1", port));
        model[host].insert(port);
      }
    }
    RouteTableConstSharedPtr table = registry_.publish();
    ASSERT_EQ(table->hostCount(), model.size());
    for (int i = 0; i < 3000; i += 7) {
      std::string host = "app-" + std::to_string(i) + ".com";
      PoolConstSharedPtr pool = table->lookup(host, "/");
      auto it = model.find(host);
      ASSERT_EQ(pool == nullptr ? 0u : pool->endpoints().size(),
                it == model.end() ? 0u : it->second.size())
          << host << " round " << round;
      PoolConstSharedPtr old = previous->lookup(host, "/");
      auto was = previous_sizes.find(host);
      ASSERT_EQ(old == nullptr ? 0u : old->endpoints().size(),
                was == previous_sizes.end() ? 0u : was->second)
          << "older table changed: " << host << " round " << round;
    }
    previous = table;
    previous_sizes.clear();
    for (const auto& [host, ports] : model) previous_sizes[host] = ports.size();
  }
}

// Pruning visits only stale endpoints, but must find every one of them, whatever order they
// were registered, heartbeated, changed (TLS on and off, thresholds) and unregistered in.
TEST_F(RouteRegistryTest, PruneFindsExactlyTheStaleEndpoints) {
  std::mt19937 rng(5);
  struct Expect {
    int64_t seen;
    int64_t ttl;  // 0: never pruned
  };
  std::map<std::string, Expect> model;  // "host:port" -> expectation
  int64_t now = 1000 * kSecond;
  for (int step = 0; step < 20000; ++step) {
    now += static_cast<int64_t>(rng() % 50) * kSecond / 1000;
    int n = static_cast<int>(rng() % 500);
    std::string host = "h" + std::to_string(n % 100) + ".com";
    auto port = static_cast<uint16_t>(n / 100 + 1);
    std::string id = host + ":" + std::to_string(port);
    EndpointFields f = endpointFields("10.0.0.1", port);
    int kind = static_cast<int>(rng() % 10);
    if (kind == 0) {
      registry_.unregisterEndpoint(key(host), "10.0.0.1", port, now);
      model.erase(id);
      continue;
    }
    f.tls = kind == 1;
    f.stale_threshold_s = kind == 2 ? 30 : 0;
    add(host, f, now);
    model[id] = Expect{now, f.tls ? 0 : (kind == 2 ? 30 : 120) * kSecond};
    if (step % 997 == 0) {
      size_t expected = 0;
      for (auto it = model.begin(); it != model.end();) {
        if (it->second.ttl != 0 && now - it->second.seen > it->second.ttl) {
          ++expected;
          it = model.erase(it);
        } else {
          ++it;
        }
      }
      ASSERT_EQ(registry_.pruneStale(now), expected) << "step " << step;
      ASSERT_EQ(registry_.endpointCount(), model.size());
    }
  }
  now += 1000 * kSecond;
  size_t tls = 0;
  for (const auto& [id, e] : model) tls += e.ttl == 0;
  EXPECT_EQ(registry_.pruneStale(now), model.size() - tls);
  EXPECT_EQ(registry_.endpointCount(), tls);
}

// Many changes to one host between two publishes (endpoints added and removed, the host erased
// and registered again) reach the next table as its final state.
TEST_F(RouteRegistryTest, ManyChangesToOneHostInOneWindow) {
  add("other.com", endpointFields("10.0.0.9", 9));
  lookup("other.com");
  for (uint16_t port = 1; port <= 50; ++port) {
    add("busy.com", endpointFields("10.0.0.1", port));
  }
  EXPECT_EQ(lookup("busy.com")->endpoints().size(), 50u);
  for (uint16_t port = 1; port <= 50; ++port) {
    registry_.unregisterEndpoint(key("busy.com"), "10.0.0.1", port, 0);
  }
  add("busy.com", endpointFields("10.0.0.2", 7));  // the host was erased and comes back
  add("busy.com/api", endpointFields("10.0.0.3", 8));
  PoolConstSharedPtr root = lookup("busy.com");
  ASSERT_NE(root, nullptr);
  EXPECT_EQ(addresses(root), (std::vector<std::string>{"10.0.0.2:7"}));
  EXPECT_EQ(addresses(table_->lookup("busy.com", "/api/x")),
            (std::vector<std::string>{"10.0.0.3:8"}));
  EXPECT_EQ(table_->hostCount(), 2u);
  EXPECT_NE(table_->lookup("other.com", "/"), nullptr);
}

TEST_F(EmptyPoolTimeoutTest, EmptiedTwiceCountsFromTheLastTime) {
  add("foo.com", endpointFields("10.0.0.1", 1), 0);
  registry_.unregisterEndpoint(key("foo.com"), "10.0.0.1", 1, 100 * kSecond);
  add("foo.com", endpointFields("10.0.0.1", 1), 101 * kSecond);
  registry_.unregisterEndpoint(key("foo.com"), "10.0.0.1", 1, 105 * kSecond);
  // 10 s after the first emptying, but only 6 s after the second: kept.
  EXPECT_EQ(registry_.pruneStale(111 * kSecond), 0u);
  EXPECT_EQ(registry_.routeCount(), 1u);
  EXPECT_EQ(registry_.pruneStale(115 * kSecond + 1), 0u);
  EXPECT_EQ(registry_.routeCount(), 0u);
  EXPECT_EQ(lookup("foo.com"), nullptr);
}

}  // namespace
}  // namespace foundry::router
