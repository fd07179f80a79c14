// Regex routes through the real router (options.path_regex): a request whose path no exact or
// prefix route serves is matched against the host's RE2 patterns; no match is gorouter's 404;
// a path route always wins; an invalid pattern is logged and its register skipped, and the
// router keeps serving.

#include "tests/integration/proxy/router_fixture.h"

namespace foundry::test {
namespace {

using namespace std::chrono_literals;

class RegexRoutesTest : public RouterFixture {
 protected:
  static std::string regexJson(const std::string& pattern) {
    return "\"options\":{\"path_regex\":\"" + pattern + "\"}";
  }

  // Registers `be` under `host` with the regex `pattern` and waits for the workers to have it.
  void addRegexRoute(const std::string& host, const FakeBackend& be, const std::string& pattern) {
    ASSERT_TRUE(emitter_->registerRoute(host, "127.0.0.1", be.port(), regexJson(pattern)));
    ASSERT_TRUE(router_->waitForRoute(host + "~" + pattern)) << router_->logs();
    std::this_thread::sleep_for(20ms);  // /routes reads the registry; the table follows
  }

  // The body of GET host+path ("backend <name>"), or the status with the router error.
  std::string get(const std::string& host, const std::string& path) {
    HttpClient client(port());
    auto r = client.get(host, path);
    if (!r) return "error: " + client.lastError();
    if (r->status != 200) {
      return std::to_string(r->status) + " " + r->header("X-Cf-Routererror").value_or("");
    }
    return r->body;
  }
};

TEST_F(RegexRoutesTest, MatchesNoMatchAndPathRoutesWin) {
  FakeBackend versioned("versioned"), catch_all("catch-all"), assets("assets");
  addRegexRoute("regex.example.com", versioned, "/v[0-9]+/.*");

  EXPECT_EQ(get("regex.example.com", "/v1/users"), "backend versioned");
  EXPECT_EQ(get("regex.example.com", "/V22/users/7?q=1"), "backend versioned");
  EXPECT_EQ(get("regex.example.com", "/users"), "404 unknown_route");
  EXPECT_EQ(get("regex.example.com", "/v1"), "404 unknown_route");  // the whole path must match

  // A prefix route of the host wins where it matches, the regex still serves the rest.
  addRoute("regex.example.com/v1/assets", assets.port());
  EXPECT_EQ(get("regex.example.com", "/v1/assets/logo.png"), "backend assets");
  EXPECT_EQ(get("regex.example.com", "/v1/users"), "backend versioned");

  // A second, shorter pattern: tried after the longer one.
  addRegexRoute("regex.example.com", catch_all, "/.*");
  EXPECT_EQ(get("regex.example.com", "/users"), "backend catch-all");
  EXPECT_EQ(get("regex.example.com", "/v3/x"), "backend versioned");

  // Unregistering names the pattern too.
  ASSERT_TRUE(emitter_->publish(
      "router.unregister", registryJson("regex.example.com", "127.0.0.1", catch_all.port(),
                                        regexJson("/.*"))));
  ASSERT_TRUE(router_->waitForRouteGone("regex.example.com~/.*")) << router_->logs();
  std::this_thread::sleep_for(20ms);
  EXPECT_EQ(get("regex.example.com", "/users"), "404 unknown_route");
  EXPECT_EQ(get("regex.example.com", "/v1/users"), "backend versioned");
}

TEST_F(RegexRoutesTest, InvalidPatternsAreLoggedAndSkipped) {
  FakeBackend good("good");
  ASSERT_TRUE(emitter_->registerRoute("bad.example.com", "127.0.0.1", good.port(),
                                      regexJson("/v[0-9")));
  ASSERT_TRUE(router_->waitForLog("invalid-path-regex")) << router_->logs();
  // Too long: refused the same way.
  ASSERT_TRUE(emitter_->registerRoute("long.example.com", "127.0.0.1", good.port(),
                                      regexJson("/" + std::string(2000, 'a'))));
  // A regex on a uri with a context path is refused rather than guessed at.
  ASSERT_TRUE(emitter_->registerRoute("path.example.com/api", "127.0.0.1", good.port(),
                                      regexJson("/api/.*")));
  // A wrong type drops the whole message, as any other field.
  ASSERT_TRUE(emitter_->registerRoute("type.example.com", "127.0.0.1", good.port(),
                                      "\"options\":{\"path_regex\":42}"));
  // Then a good route, which must still work: the router did not stop.
  addRoute("ok.example.com", good.port());
  EXPECT_EQ(get("ok.example.com", "/"), "backend good");
  for (const char* host : {"bad.example.com", "long.example.com", "path.example.com",
                           "type.example.com"}) {
    EXPECT_EQ(get(host, "/v1"), "404 unknown_route") << host;
  }
  EXPECT_EQ(get("path.example.com", "/api/x"), "404 unknown_route");
  const std::string routes = router_->routesJson();
  EXPECT_EQ(routes.find("bad.example.com"), std::string::npos) << routes;
  EXPECT_EQ(routes.find("long.example.com"), std::string::npos) << routes;
  EXPECT_EQ(routes.find("path.example.com"), std::string::npos) << routes;
  const std::string logs = router_->logs();
  EXPECT_NE(logs.find("a regex route's uri must not have a path"), std::string::npos) << logs;
  EXPECT_NE(logs.find("longer than"), std::string::npos) << logs;
}

}  // namespace
}  // namespace foundry::test
