// RouteTable lookup (ROUTER-PROTOCOL.md 2). Checklist ported from gorouter
// registry/container/trie_test.go and the lookup cases of registry/registry_test.go: case
// folding, query stripping, trailing slash, context paths (segment-wise, deepest populated
// wins, empty fallback), wildcards (nearest wins, exact beats wildcard, exact empty pool blocks).
// Tables are built directly from HostRoutes/HostShard, without the registry.

#include "router/route/route_table.h"

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

namespace foundry::router {
namespace {

EndpointSharedPtr makeEndpoint(const std::string& host, uint16_t port) {
  EndpointFields fields;
  fields.host = host;
  fields.port = port;
  return std::make_shared<Endpoint>(fields);
}

// Builds a table from "host[/path]" -> endpoint count (0 = empty pool).
class TableBuilder {
 public:
  TableBuilder& add(const std::string& host, const std::string& path, int endpoints) {
    std::vector<EndpointSharedPtr> list;
    for (int i = 0; i < endpoints; ++i) {
      list.push_back(makeEndpoint("10.0.0." + std::to_string(i + 1), 8080));
    }
    routes_[host].push_back(HostRoutes::PathPool{
        path, std::make_shared<const Pool>(host, path, std::move(list), LbAlgorithm::RoundRobin)});
    return *this;
  }

  RouteTableConstSharedPtr build() {
    auto table = std::make_shared<RouteTable>();
    std::map<size_t, std::vector<HostRoutesConstSharedPtr>> shards;
    for (auto& [host, pools] : routes_) {
      shards[RouteTable::shardOf(host)].push_back(HostRoutes::create(host, pools));
      if (host.starts_with("*.")) {
        ++table->wildcard_host_count_;
      }
    }
    for (auto& [index, hosts] : shards) {
      table->host_count_ += hosts.size();
      table->setShard(index, std::make_shared<const HostShard>(std::move(hosts)));
    }
    return table;
  }

 private:
  std::map<std::string, std::vector<HostRoutes::PathPool>> routes_;
};

// "host" + context path of the matched pool, or "404".
std::string match(const RouteTable& table, std::string_view host, std::string_view path) {
  PoolConstSharedPtr pool = table.lookup(host, path);
  if (pool == nullptr) {
    return "404";
  }
  return pool->host() + pool->contextPath() + (pool->empty() ? " (empty)" : "");
}

TEST(RouteTableTest, EmptyTable) {
  RouteTable table;
  EXPECT_EQ(table.lookup("app.com", "/"), nullptr);
  EXPECT_EQ(table.hostCount(), 0u);
  EXPECT_EQ(table.generation(), 0u);
}

TEST(RouteTableTest, ExactHostRootRoute) {
  auto table = TableBuilder().add("app.com", "", 2).build();
  EXPECT_EQ(match(*table, "app.com", "/"), "app.com");
  EXPECT_EQ(match(*table, "app.com", ""), "app.com");
  EXPECT_EQ(match(*table, "app.com", "/anything/deep"), "app.com");
  EXPECT_EQ(match(*table, "other.com", "/"), "404");
  EXPECT_EQ(match(*table, "app.co", "/"), "404");
  EXPECT_EQ(match(*table, "app.comm", "/"), "404");
  EXPECT_EQ(table->hostCount(), 1u);
}

TEST(RouteTableTest, PathIsCaseInsensitive) {
  auto table = TableBuilder().add("app.com", "/foo", 1).build();
  EXPECT_EQ(match(*table, "app.com", "/FOO"), "app.com/foo");
  EXPECT_EQ(match(*table, "app.com", "/Foo/BAR"), "app.com/foo");
}

TEST(RouteTableTest, QueryStringIgnored) {
  auto table = TableBuilder().add("app.com", "/foo", 1).build();
  EXPECT_EQ(match(*table, "app.com", "/foo?x=1"), "app.com/foo");
  EXPECT_EQ(match(*table, "app.com", "/foo/?x=/bar"), "app.com/foo");
  EXPECT_EQ(match(*table, "app.com", "/foobar?x=/foo"), "404");
  EXPECT_EQ(match(*table, "app.com", "?/foo"), "404");
}

TEST(RouteTableTest, TrailingSlashTrimmedOnce) {
  auto table = TableBuilder().add("app.com", "/foo", 1).build();
  EXPECT_EQ(match(*table, "app.com", "/foo/"), "app.com/foo");
  EXPECT_EQ(match(*table, "app.com", "/foo//"), "app.com/foo");
  EXPECT_EQ(match(*table, "app.com", "/"), "404");
}

TEST(RouteTableTest, ContextPathIsSegmentWise) {
  auto table = TableBuilder().add("app.com", "/foo", 1).build();
  EXPECT_EQ(match(*table, "app.com", "/foo"), "app.com/foo");
  EXPECT_EQ(match(*table, "app.com", "/foo/bar/baz"), "app.com/foo");
  EXPECT_EQ(match(*table, "app.com", "/foobar"), "404");
  EXPECT_EQ(match(*table, "app.com", "/fo"), "404");
  EXPECT_EQ(match(*table, "app.com", "/bar/foo"), "404");
}

TEST(RouteTableTest, DeepestPopulatedPrefixWins) {
  auto table = TableBuilder()
                   .add("app.com", "", 1)
                   .add("app.com", "/foo", 1)
                   .add("app.com", "/foo/bar", 1)
                   .add("app.com", "/foobar", 1)
                   .build();
  EXPECT_EQ(match(*table, "app.com", "/foo/bar/baz"), "app.com/foo/bar");
  EXPECT_EQ(match(*table, "app.com", "/foo/bar"), "app.com/foo/bar");
  EXPECT_EQ(match(*table, "app.com", "/foo/baz"), "app.com/foo");
  EXPECT_EQ(match(*table, "app.com", "/foobar/x"), "app.com/foobar");
  EXPECT_EQ(match(*table, "app.com", "/foob"), "app.com");
  EXPECT_EQ(match(*table, "app.com", "/"), "app.com");
}

TEST(RouteTableTest, DeeperEmptyPoolFallsBackToPopulatedShorterPrefix) {
  auto table = TableBuilder().add("app.com", "/foo", 1).add("app.com", "/foo/bar", 0).build();
  EXPECT_EQ(match(*table, "app.com", "/foo/bar/x"), "app.com/foo");
}

TEST(RouteTableTest, EmptyPoolReturnedWhenNothingPopulated) {
  auto table = TableBuilder().add("app.com", "", 0).add("app.com", "/foo", 0).build();
  EXPECT_EQ(match(*table, "app.com", "/foo/x"), "app.com/foo (empty)");
  EXPECT_EQ(match(*table, "app.com", "/bar"), "app.com (empty)");
}

TEST(RouteTableTest, ContextPathKeepsRegisteredCaseInPool) {
  std::vector<EndpointSharedPtr> endpoints{makeEndpoint("10.0.0.1", 1)};
  auto pool = std::make_shared<const Pool>("app.com", "/Foo", endpoints, LbAlgorithm::RoundRobin);
  auto table = std::make_shared<RouteTable>();
  table->setShard(RouteTable::shardOf("app.com"),
                  std::make_shared<const HostShard>(std::vector<HostRoutesConstSharedPtr>{
                      HostRoutes::create("app.com", {{"/foo", pool}})}));
  EXPECT_EQ(table->lookup("app.com", "/FOO/x"), pool);
  EXPECT_EQ(table->lookup("app.com", "/FOO/x")->contextPath(), "/Foo");
}

TEST(RouteTableTest, WildcardMatchesAnyDepth) {
  auto table = TableBuilder().add("*.example.com", "", 1).build();
  EXPECT_EQ(match(*table, "a.example.com", "/"), "*.example.com");
  EXPECT_EQ(match(*table, "a.b.c.example.com", "/x"), "*.example.com");
  EXPECT_EQ(match(*table, "*.example.com", "/x"), "*.example.com");
  EXPECT_EQ(match(*table, "example.com", "/"), "404");
  EXPECT_EQ(match(*table, "a.example.org", "/"), "404");
  EXPECT_EQ(match(*table, "aexample.com", "/"), "404");
}

TEST(RouteTableTest, NearestWildcardWins) {
  auto table = TableBuilder()
                   .add("*.example.com", "", 1)
                   .add("*.b.example.com", "", 1)
                   .add("*.com", "", 1)
                   .build();
  EXPECT_EQ(match(*table, "a.b.example.com", "/"), "*.b.example.com");
  EXPECT_EQ(match(*table, "x.a.b.example.com", "/"), "*.b.example.com");
  EXPECT_EQ(match(*table, "a.c.example.com", "/"), "*.example.com");
  EXPECT_EQ(match(*table, "foo.com", "/"), "*.com");
  EXPECT_EQ(match(*table, "com", "/"), "404");
}

TEST(RouteTableTest, ExactBeatsWildcard) {
  auto table = TableBuilder().add("*.example.com", "", 1).add("a.example.com", "", 1).build();
  EXPECT_EQ(match(*table, "a.example.com", "/"), "a.example.com");
  EXPECT_EQ(match(*table, "b.example.com", "/"), "*.example.com");
}

TEST(RouteTableTest, ExactEmptyPoolBlocksWildcard) {
  auto table = TableBuilder().add("*.example.com", "", 1).add("a.example.com", "", 0).build();
  EXPECT_EQ(match(*table, "a.example.com", "/"), "a.example.com (empty)");
}

TEST(RouteTableTest, ExactHostWithoutMatchingPathFallsBackToWildcard) {
  auto table = TableBuilder().add("*.example.com", "", 1).add("a.example.com", "/only", 1).build();
  EXPECT_EQ(match(*table, "a.example.com", "/only/x"), "a.example.com/only");
  EXPECT_EQ(match(*table, "a.example.com", "/other"), "*.example.com");
}

TEST(RouteTableTest, WildcardWithContextPath) {
  auto table = TableBuilder().add("*.example.com", "/api", 1).add("*.com", "", 1).build();
  EXPECT_EQ(match(*table, "x.example.com", "/API/v1"), "*.example.com/api");
  EXPECT_EQ(match(*table, "x.example.com", "/web"), "*.com");
}

TEST(RouteTableTest, PathDotsDoNotCreateWildcards) {
  // gorouter's NextWildcard can cut into the path; ours walks the host only.
  auto table = TableBuilder().add("*.y", "", 1).build();
  EXPECT_EQ(match(*table, "com", "/x.y"), "404");
}

TEST(RouteTableTest, LongHostsAndPathsUseScratchFallback) {
  std::string long_label(300, 'a');
  std::string host = long_label + ".example.com";
  std::string long_path = "/" + std::string(400, 'P') + "/rest";
  auto table = TableBuilder()
                   .add("*.example.com", "", 1)
                   .add("app.com", "/" + std::string(400, 'p'), 1)
                   .build();
  EXPECT_EQ(match(*table, host, "/"), "*.example.com");
  EXPECT_EQ(match(*table, "app.com", long_path), "app.com/" + std::string(400, 'p'));

  // Both scratch buffers at once: a long host walking to a wildcard whose many long paths
  // go through the lower-casing index.
  TableBuilder nested;
  std::string segment(300, 'q');
  for (int i = 0; i < 100; ++i) {
    nested.add("*.example.com", "/" + segment + std::to_string(i), 1);
  }
  auto nested_table = nested.build();
  EXPECT_EQ(match(*nested_table, host, "/" + std::string(300, 'Q') + "42/x"),
            "*.example.com/" + segment + "42");
  EXPECT_EQ(match(*nested_table, host, "/" + segment + "420"), "404");
}

// Hosts with many context paths: 20 are scanned, 100 go through the hash index; both must
// give the same answers.
class RouteTableManyPathsTest : public ::testing::TestWithParam<int> {};

TEST_P(RouteTableManyPathsTest, SameSemanticsAsFewPaths) {
  TableBuilder builder;
  for (int i = 0; i < GetParam(); ++i) {
    builder.add("app.com", "/p" + std::to_string(i), 1);
  }
  builder.add("app.com", "/p7/deep/er", 1).add("app.com", "/p7/deep", 0).add("app.com", "", 1);
  builder.add("app.com", "/e", 0).add("app.com", "/e/x", 0);
  auto table = builder.build();
  EXPECT_EQ(match(*table, "app.com", "/P7"), "app.com/p7");
  EXPECT_EQ(match(*table, "app.com", "/p7/Deep/er/x?q"), "app.com/p7/deep/er");
  EXPECT_EQ(match(*table, "app.com", "/p7/deep/x"), "app.com/p7");
  EXPECT_EQ(match(*table, "app.com", "/p7000"), "app.com");
  EXPECT_EQ(match(*table, "app.com", "/p19/"), "app.com/p19");
  EXPECT_EQ(match(*table, "app.com", "/" + std::string(1000, 'z')), "app.com");
  EXPECT_EQ(match(*table, "app.com", "/e/x/y"), "app.com");  // root populated beats empties

  TableBuilder empty_root;
  for (int i = 0; i < GetParam(); ++i) {
    empty_root.add("b.com", "/p" + std::to_string(i), 0);
  }
  auto table2 = empty_root.add("b.com", "/p1/q", 0).build();
  EXPECT_EQ(match(*table2, "b.com", "/p1/q/r"), "b.com/p1/q (empty)");
  EXPECT_EQ(match(*table2, "b.com", "/p1/r"), "b.com/p1 (empty)");
  EXPECT_EQ(match(*table2, "b.com", "/z"), "404");
  EXPECT_EQ(match(*table2, "b.com", ""), "404");
}

INSTANTIATE_TEST_SUITE_P(ScanAndIndex, RouteTableManyPathsTest, ::testing::Values(20, 100));

TEST(RouteTableTest, ManyHostsPerShardAllFound) {
  // Enough hosts that shards hold many entries and probe sequences collide.
  TableBuilder builder;
  for (int i = 0; i < 20000; ++i) {
    builder.add("app-" + std::to_string(i) + ".example.com", "", 1);
  }
  auto table = builder.build();
  EXPECT_EQ(table->hostCount(), 20000u);
  for (int i = 0; i < 20000; ++i) {
    std::string host = "app-" + std::to_string(i) + ".example.com";
    ASSERT_EQ(match(*table, host, "/"), host);
  }
  EXPECT_EQ(match(*table, "app-20000.example.com", "/"), "404");
}

TEST(RouteTableTest, HostRoutesSortedDeepestFirst) {
  auto pool = std::make_shared<const Pool>("h", "", std::vector<EndpointSharedPtr>{},
                                           LbAlgorithm::RoundRobin);
  auto routes = HostRoutes::create("h", {{"", pool}, {"/a/b", pool}, {"/a", pool}});
  ASSERT_EQ(routes->pools().size(), 3u);
  EXPECT_EQ(routes->pools()[0].path, "/a/b");
  EXPECT_EQ(routes->pools()[1].path, "/a");
  EXPECT_EQ(routes->pools()[2].path, "");
  EXPECT_EQ(routes->host(), "h");
}

TEST(RouteTableTest, HashIsStableAndSpreads) {
  EXPECT_EQ(RouteTable::hashHost("app.com"), RouteTable::hashHost(std::string("app.com")));
  EXPECT_NE(RouteTable::hashHost("app.com"), RouteTable::hashHost("app.con"));
  EXPECT_NE(RouteTable::hashHost(""), RouteTable::hashHost(std::string_view("\0", 1)));
  std::vector<int> per_shard(RouteTable::kShards);
  for (size_t i = 0; i < 10 * RouteTable::kShards; ++i) {
    ++per_shard[RouteTable::shardOf("host-" + std::to_string(i) + ".apps.internal")];
  }
  // Average 10 per shard; a poor hash would leave many shards empty or overloaded.
  EXPECT_LT(*std::max_element(per_shard.begin(), per_shard.end()), 40);
  EXPECT_LT(std::count(per_shard.begin(), per_shard.end(), 0), 20);
}

}  // namespace
}  // namespace foundry::router
