#include "router/routeservice/route_service_url.h"

#include <gtest/gtest.h>

#include "router/routeservice/hairpin_allowlist.h"

namespace foundry::router {
namespace {

TEST(RouteServiceUrlTest, TakesTheUrlApart) {
  RouteServiceUrl u;
  std::string error;
  ASSERT_TRUE(parseRouteServiceUrl("https://rs.example.com", &u, &error)) << error;
  EXPECT_EQ(u.host, "rs.example.com");
  EXPECT_EQ(u.port, 443);
  EXPECT_EQ(u.authority, "rs.example.com");
  EXPECT_EQ(u.path, "/");
  EXPECT_EQ(u.target, "/");

  ASSERT_TRUE(parseRouteServiceUrl("https://user:pw@RS.example.com:8443/a/b?x=1#frag", &u, &error));
  EXPECT_EQ(u.host, "RS.example.com");
  EXPECT_EQ(u.port, 8443);
  EXPECT_EQ(u.authority, "RS.example.com:8443");
  EXPECT_EQ(u.path, "/a/b");
  EXPECT_EQ(u.target, "/a/b?x=1");

  ASSERT_TRUE(parseRouteServiceUrl("HTTPS://[::1]:9443?q", &u, &error));
  EXPECT_EQ(u.host, "::1");
  EXPECT_EQ(u.port, 9443);
  EXPECT_EQ(u.authority, "[::1]:9443");
  EXPECT_EQ(u.target, "/?q");
}

TEST(RouteServiceUrlTest, RefusesWhatCannotBeReached) {
  RouteServiceUrl u;
  std::string error;
  for (const char* bad : {"http://rs.example.com", "rs.example.com", "https://", "https://:443/",
                          "https://rs:0", "https://rs:70000", "https://rs:12a", "https://[::1",
                          "https://rs.example.com/a b", "https://rs\r\n.com"}) {
    EXPECT_FALSE(parseRouteServiceUrl(bad, &u, &error)) << bad;
    EXPECT_FALSE(error.empty());
  }
}

TEST(RouteServiceUrlTest, ForwardedUrl) {
  EXPECT_EQ(forwardedUrl(true, "App.Example.com:8081", "/p?q=1"),
            "https://App.Example.com/p?q=1");
  EXPECT_EQ(forwardedUrl(false, "app.example.com", "/"), "http://app.example.com/");
  std::string host, path;
  ASSERT_TRUE(splitForwardedUrl("https://App.Example.com:8081/Some/Path?q=1#x", &host, &path));
  EXPECT_EQ(host, "app.example.com");
  EXPECT_EQ(path, "/Some/Path");
  ASSERT_TRUE(splitForwardedUrl("http://app.example.com?q", &host, &path));
  EXPECT_EQ(path, "/");
  EXPECT_FALSE(splitForwardedUrl("/relative", &host, &path));
  EXPECT_FALSE(splitForwardedUrl("https:///nohost", &host, &path));
}

TEST(HairpinAllowlistTest, FqdnsAndWildcards) {
  HairpinAllowlist list;
  std::string error;
  ASSERT_TRUE(HairpinAllowlist::parse({"rs.example.com", "*.Internal.Example.com"}, &list, &error))
      << error;
  EXPECT_TRUE(list.allows("rs.example.com"));
  EXPECT_TRUE(list.allows("RS.example.com"));
  EXPECT_TRUE(list.allows("auth.internal.example.com"));
  EXPECT_TRUE(list.allows("*.internal.example.com"));  // a wildcard route's host
  EXPECT_FALSE(list.allows("a.b.internal.example.com"));  // one label only
  EXPECT_FALSE(list.allows("other.example.com"));
  EXPECT_FALSE(list.allows("internal.example.com"));

  HairpinAllowlist empty;
  ASSERT_TRUE(HairpinAllowlist::parse({}, &empty, &error));
  EXPECT_TRUE(empty.allows("anything.example.com"));

  for (const char* bad : {"*.*.example.com", "sub.*.example.com", "localhost", "?!.example.com",
                          "*example.com", "a..b", ""}) {
    EXPECT_FALSE(HairpinAllowlist::parse({bad}, &list, &error)) << bad;
    EXPECT_NE(error.find("invalid entry"), std::string::npos);
  }
}

}  // namespace
}  // namespace foundry::router
