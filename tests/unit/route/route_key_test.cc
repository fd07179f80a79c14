// Route key normalisation (ROUTER-PROTOCOL.md 1.4, 2); cases from gorouter route/uris_test.go
// and registry/registry_test.go.

#include "router/route/route_key.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>

#include "router/route/endpoint.h"
#include "router/route/pool.h"

namespace foundry::router {
namespace {

RouteKey parse(std::string_view uri) {
  RouteKey key;
  EXPECT_TRUE(parseRegisteredUri(uri, &key)) << uri;
  return key;
}

TEST(RouteKeyTest, HostOnly) {
  RouteKey key = parse("app.example.com");
  EXPECT_EQ(key.host, "app.example.com");
  EXPECT_EQ(key.path, "");
  EXPECT_EQ(key.path_original_case, "");
}

TEST(RouteKeyTest, LowerCasesHostAndPathKeepsOriginalPath) {
  RouteKey key = parse("App.Example.COM/Foo/Bar");
  EXPECT_EQ(key.host, "app.example.com");
  EXPECT_EQ(key.path, "/foo/bar");
  EXPECT_EQ(key.path_original_case, "/Foo/Bar");
}

TEST(RouteKeyTest, StripsQuery) {
  EXPECT_EQ(parse("app.com/foo?bar=1").path, "/foo");
  EXPECT_EQ(parse("app.com?bar=1").host, "app.com");
  EXPECT_EQ(parse("app.com?bar=1").path, "");
  // The query goes before the trailing slash is looked at.
  RouteKey key = parse("App.com/Foo/?q=/x/");
  EXPECT_EQ(key.path, "/foo");
  EXPECT_EQ(key.path_original_case, "/Foo");
}

TEST(RouteKeyTest, TrimsExactlyOneTrailingSlash) {
  EXPECT_EQ(parse("app.com/foo/").path, "/foo");
  EXPECT_EQ(parse("app.com/").path, "");
  EXPECT_EQ(parse("app.com/foo//").path, "/foo/");
}

TEST(RouteKeyTest, WildcardHostKeptLiterally) {
  RouteKey key = parse("*.Example.com/Path");
  EXPECT_EQ(key.host, "*.example.com");
  EXPECT_EQ(key.path, "/path");
}

TEST(RouteKeyTest, PortInRegisteredUriIsNotStripped) {
  // gorouter keys the registration literally; such a route is unreachable, as in gorouter.
  EXPECT_EQ(parse("app.com:8080/x").host, "app.com:8080");
}

TEST(RouteKeyTest, EmptyHostRejected) {
  RouteKey key;
  EXPECT_FALSE(parseRegisteredUri("", &key));
  EXPECT_FALSE(parseRegisteredUri("/foo", &key));
  EXPECT_FALSE(parseRegisteredUri("?x", &key));
  EXPECT_FALSE(parseRegisteredUri("/", &key));
}

TEST(RouteKeyTest, PercentEncodingNotDecoded) {
  RouteKey key = parse("app.com/A%2Fb");
  EXPECT_EQ(key.path, "/a%2fb");
  EXPECT_EQ(key.path_original_case, "/A%2Fb");
}

TEST(RouteKeyTest, NormalizeRequestHost) {
  std::string out;
  EXPECT_TRUE(normalizeRequestHost("App.Example.Com", &out));
  EXPECT_EQ(out, "app.example.com");
  EXPECT_TRUE(normalizeRequestHost("app.com:8080", &out));
  EXPECT_EQ(out, "app.com");
  // First ':' ends the host, so an IPv6 literal is cut (gorouter's hostWithoutPort).
  EXPECT_TRUE(normalizeRequestHost("[::1]:80", &out));
  EXPECT_EQ(out, "[");
  EXPECT_FALSE(normalizeRequestHost("", &out));
  EXPECT_FALSE(normalizeRequestHost(":80", &out));
  EXPECT_TRUE(out.empty());
}

TEST(RouteEndpointTest, AddressAndIpv4Sockaddr) {
  EndpointFields fields;
  fields.host = "10.0.0.7";
  fields.port = 8080;
  Endpoint endpoint(fields);
  EXPECT_EQ(endpoint.address(), "10.0.0.7:8080");
  ASSERT_EQ(endpoint.sockaddr().ss_family, AF_INET);
  EXPECT_EQ(endpoint.sockaddrLen(), sizeof(sockaddr_in));
  const auto* v4 = reinterpret_cast<const sockaddr_in*>(&endpoint.sockaddr());
  EXPECT_EQ(ntohs(v4->sin_port), 8080);
  char text[INET_ADDRSTRLEN];
  inet_ntop(AF_INET, &v4->sin_addr, text, sizeof(text));
  EXPECT_STREQ(text, "10.0.0.7");
  EXPECT_EQ(endpoint.instanceIdHeader(), "10.0.0.7:8080");
}

TEST(RouteEndpointTest, Ipv6Sockaddr) {
  EndpointFields fields;
  fields.host = "::1";
  fields.port = 443;
  fields.private_instance_id = "abc";
  Endpoint endpoint(fields);
  EXPECT_EQ(endpoint.address(), "::1:443");
  ASSERT_EQ(endpoint.sockaddr().ss_family, AF_INET6);
  EXPECT_EQ(endpoint.sockaddrLen(), sizeof(sockaddr_in6));
  EXPECT_EQ(ntohs(reinterpret_cast<const sockaddr_in6*>(&endpoint.sockaddr())->sin6_port), 443);
  EXPECT_EQ(endpoint.instanceIdHeader(), "abc");
}

TEST(RouteEndpointTest, HostnameResolvedAndUnresolvable) {
  EndpointFields fields;
  fields.host = "localhost";
  fields.port = 80;
  Endpoint local(fields);
  EXPECT_TRUE(local.sockaddr().ss_family == AF_INET || local.sockaddr().ss_family == AF_INET6);
  EXPECT_GT(local.sockaddrLen(), 0u);

  fields.host = "no-such-host.invalid";
  Endpoint bad(fields);
  EXPECT_EQ(bad.sockaddr().ss_family, AF_UNSPEC);
  EXPECT_EQ(bad.sockaddrLen(), 0u);
  EXPECT_EQ(bad.address(), "no-such-host.invalid:80");
}

TEST(RoutePoolTest, CursorAdvancesAndStartsRandomly) {
  // Round-robin start points are random per pool, so 16 pools all starting at the same index is
  // (1/2^64)^15 unlikely.
  bool differs = false;
  size_t first = Pool("h", "", {}, LbAlgorithm::RoundRobin).nextIndex();
  for (int i = 0; i < 16; ++i) {
    Pool pool("h", "", {}, LbAlgorithm::RoundRobin);
    size_t a = pool.nextIndex();
    EXPECT_EQ(pool.nextIndex(), a + 1);
    differs = differs || a != first;
  }
  EXPECT_TRUE(differs);
}

}  // namespace
}  // namespace foundry::router
