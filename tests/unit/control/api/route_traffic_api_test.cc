// Weighted destinations and route options (loadbalancing, path_regex, health_check) through
// Api::handle: validation (422 naming the field), the JSON shapes, and who may change them
// (404 outside the space, 403 read-only). What the scheduler gets: scheduling_hooks_test.cc.
#include <gtest/gtest.h>

#include "tests/unit/control/api_harness.h"
#include "tests/unit/control/tenants.h"

namespace foundry::control {
namespace {

using nlohmann::json;
using test_support::ApiHarness;
using test_support::Tenants;

class RouteTrafficApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    admin_ = h_.tokens().admin;
    space_ = h_.api().defaultSpaceGuid();
    domain_ = h_.api().defaultDomainGuid();
    blue_ = createApp("blue");
    green_ = createApp("green");
    route_ = createRoute(json{{"host", "demo"}});
    dests_ = "/v3/routes/" + route_ + "/destinations";
  }

  ApiResponse call(const std::string& method, const std::string& target,
                   const json& body = nullptr) {
    return h_.call(admin_, method, target, body);
  }
  std::string createApp(const std::string& name) {
    auto r = call("POST", "/v3/apps",
                  {{"name", name}, {"relationships", {{"space", Tenants::rel(space_)}}}});
    EXPECT_EQ(r.status, 201) << r.body;
    return r.body.value("guid", "");
  }
  json routeBody(json fields) {
    fields["relationships"] = {{"space", Tenants::rel(space_)}, {"domain", Tenants::rel(domain_)}};
    return fields;
  }
  std::string createRoute(const json& fields) {
    auto r = call("POST", "/v3/routes", routeBody(fields));
    EXPECT_EQ(r.status, 201) << r.body;
    return r.body.value("guid", "");
  }
  static json dest(const std::string& app, const json& weight) {
    json d = {{"app", {{"guid", app}}}};
    if (!weight.is_null()) d["weight"] = weight;
    return d;
  }
  static void expect422(const ApiResponse& r, const std::string& detail_part) {
    EXPECT_EQ(r.status, 422) << r.body;
    ASSERT_TRUE(r.body.contains("errors")) << r.body;
    EXPECT_NE(r.body["errors"][0]["detail"].get<std::string>().find(detail_part),
              std::string::npos)
        << r.body;
  }

  ApiHarness h_{"route-traffic"};
  std::string admin_, space_, domain_, blue_, green_, route_, dests_;
};

TEST_F(RouteTrafficApiTest, DestinationsTakeWeightsFromOneToHundred) {
  auto r = call("POST", dests_, {{"destinations", {dest(blue_, 80), dest(green_, 20)}}});
  ASSERT_EQ(r.status, 200) << r.body;
  ASSERT_EQ(r.body["destinations"].size(), 2u);
  EXPECT_EQ(r.body["destinations"][0]["weight"], 80);
  EXPECT_EQ(r.body["destinations"][1]["weight"], 20);
  EXPECT_EQ(call("GET", "/v3/routes/" + route_).body["destinations"][1]["weight"], 20);

  // PATCH replaces them with new weights (a traffic-shift step).
  r = call("PATCH", dests_, {{"destinations", {dest(blue_, 30), dest(green_, 70)}}});
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.body["destinations"][0]["weight"], 30);
  EXPECT_EQ(r.body["destinations"][1]["weight"], 70);
  r = call("PATCH", dests_, {{"destinations", {dest(green_, 100)}}});
  ASSERT_EQ(r.status, 200) << r.body;
  ASSERT_EQ(r.body["destinations"].size(), 1u);
  EXPECT_EQ(r.body["destinations"][0]["app"]["guid"], green_);

  // Unweighted again: weight is null.
  r = call("PATCH", dests_, {{"destinations", {dest(blue_, nullptr)}}});
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_TRUE(r.body["destinations"][0]["weight"].is_null());
}

TEST_F(RouteTrafficApiTest, BadWeightsAre422AndChangeNothing) {
  for (const json& bad : {json(0), json(101), json(-1), json(2.5), json("50"), json(true),
                          json::array({10})}) {
    for (const char* method : {"POST", "PATCH"}) {
      expect422(call(method, dests_, {{"destinations", {dest(blue_, bad)}}}),
                "Destinations[0]: weight must be an integer between 1 and 100");
    }
  }
  // All or none: a weighted and an unweighted destination do not mix, in one request or
  // appended to the route's current ones.
  expect422(call("PATCH", dests_, {{"destinations", {dest(blue_, 50), dest(green_, nullptr)}}}),
            "cannot contain both weighted and unweighted");
  ASSERT_EQ(call("POST", dests_, {{"destinations", {dest(blue_, nullptr)}}}).status, 200);
  expect422(call("POST", dests_, {{"destinations", {dest(green_, 10)}}}),
            "cannot contain both weighted and unweighted");
  auto left = call("GET", dests_).body["destinations"];
  ASSERT_EQ(left.size(), 1u);
  EXPECT_EQ(left[0]["app"]["guid"], blue_);
}

TEST_F(RouteTrafficApiTest, RouteOptionsAreValidatedStoredAndPatched) {
  const std::string regex_route = createRoute(
      json{{"host", "api"},
           {"options",
            {{"loadbalancing", "least-connection"},
             {"path_regex", "/v[0-9]+/users/.*"},
             {"health_check", {{"path", "/healthz"}, {"interval_ms", 500}}}}}});
  json route = call("GET", "/v3/routes/" + regex_route).body;
  EXPECT_EQ(route["options"]["loadbalancing"], "least-connection");
  EXPECT_EQ(route["options"]["path_regex"], "/v[0-9]+/users/.*");
  // Missing health-check fields are stored with their defaults.
  EXPECT_EQ(route["options"]["health_check"],
            json({{"path", "/healthz"},
                  {"interval_ms", 500},
                  {"timeout_ms", 500},  // the default 1000, capped at the interval
                  {"unhealthy_threshold", 2},
                  {"healthy_threshold", 2}}))
      << route;

  // PATCH merges key by key; null removes one.
  auto r = call("PATCH", "/v3/routes/" + regex_route,
                {{"options", {{"loadbalancing", "round-robin"}, {"path_regex", nullptr}}}});
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.body["options"]["loadbalancing"], "round-robin");
  EXPECT_FALSE(r.body["options"].contains("path_regex"));
  EXPECT_TRUE(r.body["options"].contains("health_check"));
  EXPECT_EQ(call("GET", "/v3/routes/" + regex_route).body["options"], r.body["options"]);
}

TEST_F(RouteTrafficApiTest, BadRouteOptionsAre422) {
  auto options = [&](const json& o) {
    return call("POST", "/v3/routes", routeBody(json{{"host", "x"}, {"options", o}}));
  };
  expect422(options({{"loadbalancing", "hash"}}), "Loadbalancing must be one of");
  expect422(options({{"path_regex", "(unclosed"}}), "not a valid RE2 pattern");
  expect422(options({{"path_regex", ""}}), "Path regex must be a non-empty string");
  expect422(options({{"path_regex", 7}}), "Path regex must be a non-empty string");
  expect422(options({{"path_regex", std::string(2000, 'a')}}), "Path regex is too long");
  expect422(options({{"nope", 1}}), "Unknown field(s): 'nope'");
  expect422(options("x"), "Options must be an object");
  expect422(options({{"health_check", "yes"}}), "Health check must be an object");
  expect422(options({{"health_check", {{"path", "health"}}}}), "Health check path");
  expect422(options({{"health_check", {{"interval_ms", 10}}}}), "interval_ms must be between");
  expect422(options({{"health_check", {{"interval_ms", 1000}, {"timeout_ms", 2000}}}}),
            "timeout_ms cannot exceed interval_ms");
  expect422(options({{"health_check", {{"unhealthy_threshold", 0}}}}),
            "unhealthy_threshold must be between");
  expect422(options({{"health_check", {{"healthy_threshold", "2"}}}}),
            "healthy_threshold must be an integer");
  // A regex is the route's path: not both.
  expect422(call("POST", "/v3/routes",
                 routeBody(json{{"host", "x"}, {"path", "/api"}, {"options", {{"path_regex", "/a.*"}}}})),
            "cannot be set on a route with a path");
  const std::string pathed = createRoute(json{{"host", "y"}, {"path", "/api"}});
  expect422(call("PATCH", "/v3/routes/" + pathed, {{"options", {{"path_regex", "/a.*"}}}}),
            "cannot be set on a route with a path");
  expect422(call("PATCH", "/v3/routes/" + pathed, {{"host", "z"}}), "Unknown field(s): 'host'");
  EXPECT_EQ(call("PATCH", "/v3/routes/nope", {{"options", json::object()}}).status, 404);
}

TEST_F(RouteTrafficApiTest, OnlyTheSpacesDevelopersMayChangeThem) {
  Tenants t(h_);
  const std::string org = t.org("acme");
  const std::string mine = t.space(org, "mine");
  const std::string other = t.space(org, "other");
  const std::string dev = t.member("dev", org, mine, "space_developer");
  const std::string auditor = t.member("auditor", org, mine, "space_auditor");
  const std::string stranger = t.member("stranger", org, other, "space_developer");
  const std::string app = h_.call(dev, "POST", "/v3/apps",
                                  json{{"name", "a"}, {"relationships", {{"space", Tenants::rel(mine)}}}})
                              .body.value("guid", "");
  auto created = h_.call(dev, "POST", "/v3/routes",
                         json{{"host", "mine"},
                              {"options", {{"loadbalancing", "round-robin"}}},
                              {"relationships",
                               {{"space", Tenants::rel(mine)}, {"domain", Tenants::rel(domain_)}}}});
  ASSERT_EQ(created.status, 201) << created.body;
  const std::string route = created.body["guid"];
  const std::string dests = "/v3/routes/" + route + "/destinations";
  const json weighted = {{"destinations", {dest(app, 60)}}};
  const json options = {{"options", {{"loadbalancing", "least-connection"}}}};

  // Another space's developer cannot see the route: 404, as for the other destination calls.
  EXPECT_EQ(h_.call(stranger, "POST", dests, weighted).status, 404);
  EXPECT_EQ(h_.call(stranger, "PATCH", dests, weighted).status, 404);
  EXPECT_EQ(h_.call(stranger, "PATCH", "/v3/routes/" + route, options).status, 404);
  // An auditor sees it but may not change it: 403.
  EXPECT_EQ(h_.call(auditor, "PATCH", dests, weighted).status, 403);
  EXPECT_EQ(h_.call(auditor, "PATCH", "/v3/routes/" + route, options).status, 403);
  EXPECT_EQ(h_.call(auditor, "GET", dests).status, 200);
  // The developer may.
  auto ok = h_.call(dev, "PATCH", dests, weighted);
  ASSERT_EQ(ok.status, 200) << ok.body;
  EXPECT_EQ(ok.body["destinations"][0]["weight"], 60);
  auto patched = h_.call(dev, "PATCH", "/v3/routes/" + route, options);
  ASSERT_EQ(patched.status, 200) << patched.body;
  EXPECT_EQ(patched.body["options"]["loadbalancing"], "least-connection");
}

}  // namespace
}  // namespace foundry::control
