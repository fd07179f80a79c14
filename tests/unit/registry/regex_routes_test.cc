// Regex routes in the registry and the published table (options.path_regex): keyed by host and
// pattern, compiled once when the route appears, tried only after every path route of the host
// failed (exact and prefix routes win), longest pattern first; a bad pattern registers nothing.

#include <gtest/gtest.h>

#include <string>

#include "router/registry/route_registry.h"

namespace foundry::router {
namespace {

EndpointFields fields(const std::string& host, uint16_t port) {
  EndpointFields f;
  f.host = host;
  f.port = port;
  return f;
}

RouteKey regexKey(const std::string& host, const std::string& pattern) {
  RouteKey k;
  EXPECT_TRUE(parseRegisteredUri(host, &k));
  k.path_regex = pattern;
  return k;
}

RouteKey pathKey(std::string_view uri) {
  RouteKey k;
  EXPECT_TRUE(parseRegisteredUri(uri, &k));
  return k;
}

class RegexRouteRegistryTest : public ::testing::Test {
 protected:
  RegexRouteRegistryTest() : registry_(RouteRegistry::Options{}) {}

  // The address of the first endpoint of the pool matched, "404" for none, "503" for empty.
  std::string route(std::string_view host, std::string_view path) {
    table_ = registry_.publish();
    PoolConstSharedPtr pool = table_->lookup(host, path);
    if (pool == nullptr) return "404";
    return pool->empty() ? "503" : pool->endpoints()[0]->address();
  }

  RouteRegistry registry_;
  RouteTableConstSharedPtr table_;
};

TEST_F(RegexRouteRegistryTest, MatchesWholePathsOfItsHostOnly) {
  ASSERT_EQ(registry_.registerEndpoint(regexKey("api.com", "/v[0-9]+/.*"), fields("10.0.0.1", 1), 0),
            RegisterResult::Added);
  EXPECT_EQ(route("api.com", "/v1/users"), "10.0.0.1:1");
  EXPECT_EQ(route("api.com", "/V2/users/7?x=1"), "10.0.0.1:1");  // case and query as any route
  EXPECT_EQ(route("api.com", "/v1"), "404");  // "/v1" is not "/v1/..."
  EXPECT_EQ(route("api.com", "/x/v1/users"), "404");
  EXPECT_EQ(route("other.com", "/v1/users"), "404");
  EXPECT_EQ(registry_.routeCount(), 1u);
}

TEST_F(RegexRouteRegistryTest, ExactAndPrefixRoutesWinOverRegexRoutes) {
  registry_.registerEndpoint(regexKey("app.com", "/.*"), fields("10.0.0.9", 9), 0);
  registry_.registerEndpoint(pathKey("app.com/static"), fields("10.0.0.2", 2), 0);
  EXPECT_EQ(route("app.com", "/static/logo.png"), "10.0.0.2:2");  // prefix route
  EXPECT_EQ(route("app.com", "/static"), "10.0.0.2:2");           // exact
  EXPECT_EQ(route("app.com", "/dynamic"), "10.0.0.9:9");          // only the regex
  EXPECT_EQ(route("app.com", "/"), "10.0.0.9:9");                 // the root is "/"
  // A root route matches every path: the regex route is never reached.
  registry_.registerEndpoint(pathKey("app.com"), fields("10.0.0.1", 1), 0);
  EXPECT_EQ(route("app.com", "/dynamic"), "10.0.0.1:1");
  // Once the path routes are empty, the regex route serves (a populated route before an
  // empty one, as between context paths).
  registry_.unregisterEndpoint(pathKey("app.com"), "10.0.0.1", 1, 0);
  registry_.unregisterEndpoint(pathKey("app.com/static"), "10.0.0.2", 2, 0);
  EXPECT_EQ(route("app.com", "/static/logo.png"), "10.0.0.9:9");
}

TEST_F(RegexRouteRegistryTest, LongestPatternFirstAndEachPatternIsItsOwnRoute) {
  registry_.registerEndpoint(regexKey("app.com", "/items/.*"), fields("10.0.0.1", 1), 0);
  registry_.registerEndpoint(regexKey("app.com", "/items/[0-9]+"), fields("10.0.0.2", 2), 0);
  EXPECT_EQ(route("app.com", "/items/42"), "10.0.0.2:2");
  EXPECT_EQ(route("app.com", "/items/abc"), "10.0.0.1:1");
  EXPECT_EQ(registry_.routeCount(), 2u);
  // Unregistering one pattern leaves the other.
  EXPECT_EQ(registry_.unregisterEndpoint(regexKey("app.com", "/items/[0-9]+"), "10.0.0.2", 2, 0),
            UnregisterResult::Removed);
  EXPECT_EQ(route("app.com", "/items/42"), "10.0.0.1:1");
  // The pattern is part of the key: the same endpoint under another pattern is not found.
  EXPECT_EQ(registry_.unregisterEndpoint(regexKey("app.com", "/items/x"), "10.0.0.1", 1, 0),
            UnregisterResult::NotFound);
  EXPECT_EQ(registry_.unregisterEndpoint(pathKey("app.com"), "10.0.0.1", 1, 0),
            UnregisterResult::NotFound);
}

TEST_F(RegexRouteRegistryTest, CompiledOnceHeartbeatsReuseIt) {
  registry_.registerEndpoint(regexKey("app.com", "/a.*"), fields("10.0.0.1", 1), 0);
  // The compiled pattern of app.com's first regex route in a new table.
  auto first = [&]() -> const PathRegex* {
    table_ = registry_.publish();
    for (size_t s = 0; s < RouteTable::kShards; ++s) {
      const auto& shard = table_->shard(s);
      if (shard == nullptr) continue;
      for (const HostRoutes* host : shard->hosts()) {
        if (host->host() == "app.com" && host->hasRegexes()) {
          return host->regexPools()[0].regex.get();
        }
      }
    }
    return nullptr;
  };
  const PathRegex* before = first();
  ASSERT_NE(before, nullptr);
  EXPECT_EQ(registry_.registerEndpoint(regexKey("app.com", "/a.*"), fields("10.0.0.1", 1), 5),
            RegisterResult::Heartbeat);
  EXPECT_EQ(registry_.registerEndpoint(regexKey("app.com", "/a.*"), fields("10.0.0.2", 2), 5),
            RegisterResult::Added);
  EXPECT_EQ(first(), before);  // the same compiled object across generations
}

TEST_F(RegexRouteRegistryTest, AnInvalidPatternRegistersNothing) {
  std::string error;
  EXPECT_EQ(registry_.registerEndpoint(regexKey("bad.com", "/v[0-9"), fields("10.0.0.1", 1), 0,
                                       &error),
            RegisterResult::Rejected);
  EXPECT_NE(error, "");
  EXPECT_FALSE(registry_.dirty());
  EXPECT_EQ(registry_.routeCount(), 0u);
  EXPECT_EQ(registry_.endpointCount(), 0u);
  EXPECT_EQ(route("bad.com", "/v1"), "404");
  EXPECT_EQ(registry_.registerEndpoint(regexKey("bad.com", std::string(5000, 'a')),
                                       fields("10.0.0.1", 1), 0, &error),
            RegisterResult::Rejected);
}

TEST_F(RegexRouteRegistryTest, RegexRoutesArePrunedLikeAnyOther) {
  registry_.registerEndpoint(regexKey("app.com", "/.*"), fields("10.0.0.1", 1), 0);
  EXPECT_EQ(route("app.com", "/x"), "10.0.0.1:1");
  EXPECT_EQ(registry_.pruneStale(int64_t{121} * 1'000'000'000), 1u);
  EXPECT_EQ(route("app.com", "/x"), "404");
  EXPECT_EQ(registry_.routeCount(), 0u);
}

TEST_F(RegexRouteRegistryTest, RoutesListShowsThePattern) {
  registry_.registerEndpoint(regexKey("app.com", "/V[0-9]+"), fields("10.0.0.1", 1), 0);
  std::vector<std::string> uris;
  registry_.forEachRoute([&](const std::string& uri, const Pool&) { uris.push_back(uri); });
  EXPECT_EQ(uris, std::vector<std::string>{"app.com~/V[0-9]+"});
}

TEST_F(RegexRouteRegistryTest, WildcardHostsCarryRegexRoutesToo) {
  registry_.registerEndpoint(regexKey("*.app.com", "/v[0-9]+"), fields("10.0.0.1", 1), 0);
  EXPECT_EQ(route("eu.app.com", "/v3"), "10.0.0.1:1");
  EXPECT_EQ(route("eu.app.com", "/w3"), "404");
}

}  // namespace
}  // namespace foundry::router
