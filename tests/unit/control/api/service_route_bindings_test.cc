// /v3/service_route_bindings (control/api/service_route_bindings_handlers.cc): user-provided
// instances with a route_service_url bound to routes, Cloud Controller's rules and wording,
// and who may see and change them.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "tests/unit/control/api_harness.h"
#include "tests/unit/control/tenants.h"

namespace foundry::control {
namespace {

using nlohmann::json;
using test_support::ApiHarness;
using test_support::Tenants;

class ServiceRouteBindingsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    org_ = tenants_.org("acme");
    space_ = tenants_.space(org_, "dev");
    other_space_ = tenants_.space(org_, "prod");
    developer_ = tenants_.member("dev-user", org_, space_, "space_developer");
    auditor_ = tenants_.member("auditor", org_, space_, "space_auditor");
    outsider_ = tenants_.member("outsider", org_, other_space_, "space_developer");
    domain_ = h_.api().defaultDomainGuid();
  }

  static json rel(const std::string& guid) { return {{"data", {{"guid", guid}}}}; }
  ApiResponse as(const std::string& who, const std::string& method, const std::string& target,
                 const json& body = nullptr) {
    return h_.call(who, method, target, body);
  }
  std::string created(const ApiResponse& r) {
    EXPECT_EQ(r.status, 201) << r.body;
    return r.body.is_object() ? r.body.value("guid", "") : "";
  }
  std::string route(const std::string& host, const std::string& space) {
    return created(as(h_.tokens().admin, "POST", "/v3/routes",
                      {{"host", host},
                       {"relationships", {{"space", rel(space)}, {"domain", rel(domain_)}}}}));
  }
  std::string upsi(const std::string& name, const std::string& space,
                   const std::string& route_service_url) {
    json b = {{"type", "user-provided"}, {"name", name}, {"relationships", {{"space", rel(space)}}}};
    if (!route_service_url.empty()) b["route_service_url"] = route_service_url;
    return created(as(h_.tokens().admin, "POST", "/v3/service_instances", b));
  }
  static json bindingBody(const std::string& route, const std::string& instance) {
    return {{"relationships", {{"route", rel(route)}, {"service_instance", rel(instance)}}}};
  }
  std::string detail(const ApiResponse& r) {
    return r.body.is_object() && r.body.contains("errors") ? r.body["errors"][0].value("detail", "")
                                                           : "";
  }

  ApiHarness h_{"route-bindings"};
  Tenants tenants_{h_};
  std::string org_, space_, other_space_, developer_, auditor_, outsider_, domain_;
};

TEST_F(ServiceRouteBindingsTest, DeveloperBindsReadsAndUnbinds) {
  std::string r = route("shop", space_);
  std::string si = upsi("gate", space_, "https://gate.example.com/check");
  auto made = as(developer_, "POST", "/v3/service_route_bindings", bindingBody(r, si));
  ASSERT_EQ(made.status, 201) << made.body;
  const json& b = made.body;
  const std::string guid = b["guid"];
  EXPECT_EQ(b["route_service_url"], "https://gate.example.com/check");
  EXPECT_EQ(b["relationships"]["route"]["data"]["guid"], r);
  EXPECT_EQ(b["relationships"]["service_instance"]["data"]["guid"], si);
  EXPECT_EQ(b["last_operation"]["type"], "create");
  EXPECT_EQ(b["last_operation"]["state"], "succeeded");
  EXPECT_EQ(b["links"]["self"]["href"],
            std::string(ApiHarness::kBase) + "/v3/service_route_bindings/" + guid);
  EXPECT_EQ(b["links"]["route"]["href"], std::string(ApiHarness::kBase) + "/v3/routes/" + r);

  // Read: the binding, and lists filtered by route and instance (guid or name).
  auto got = as(auditor_, "GET", "/v3/service_route_bindings/" + guid);
  ASSERT_EQ(got.status, 200) << got.body;
  EXPECT_EQ(got.body["guid"], guid);
  for (const std::string& query : {"route_guids=" + r, "service_instance_guids=" + si,
                                  std::string("service_instance_names=gate"), std::string("")}) {
    auto list = as(developer_, "GET", "/v3/service_route_bindings?" + query);
    ASSERT_EQ(list.status, 200) << query;
    ASSERT_EQ(list.body["resources"].size(), 1u) << query;
    EXPECT_EQ(list.body["pagination"]["total_results"], 1);
  }
  EXPECT_EQ(as(developer_, "GET", "/v3/service_route_bindings?route_guids=nope")
                .body["resources"].size(),
            0u);
  // No broker, so no parameters (CC answers this for user-provided bindings).
  auto params = as(developer_, "GET", "/v3/service_route_bindings/" + guid + "/parameters");
  EXPECT_GE(params.status, 400) << params.body;

  ASSERT_EQ(as(developer_, "DELETE", "/v3/service_route_bindings/" + guid).status, 204);
  EXPECT_EQ(as(developer_, "GET", "/v3/service_route_bindings/" + guid).status, 404);
  EXPECT_TRUE(h_.store().listServiceRouteBindings({}).empty());
}

TEST_F(ServiceRouteBindingsTest, RolesAndVisibility) {
  std::string r = route("shop", space_);
  std::string si = upsi("gate", space_, "https://gate.example.com/");
  // An auditor sees the space but may not change it: 403.
  auto denied = as(auditor_, "POST", "/v3/service_route_bindings", bindingBody(r, si));
  EXPECT_EQ(denied.status, 403) << denied.body;
  // Someone who cannot see the space: the route and the instance do not exist for them.
  auto hidden = as(outsider_, "POST", "/v3/service_route_bindings", bindingBody(r, si));
  EXPECT_EQ(hidden.status, 422);
  EXPECT_EQ(detail(hidden), "The service instance could not be found: " + si);

  const std::string guid =
      created(as(developer_, "POST", "/v3/service_route_bindings", bindingBody(r, si)));
  EXPECT_EQ(as(outsider_, "GET", "/v3/service_route_bindings/" + guid).status, 404);
  EXPECT_EQ(as(outsider_, "DELETE", "/v3/service_route_bindings/" + guid).status, 404);
  EXPECT_EQ(as(outsider_, "GET", "/v3/service_route_bindings").body["resources"].size(), 0u);
  EXPECT_EQ(as(auditor_, "DELETE", "/v3/service_route_bindings/" + guid).status, 403);
  EXPECT_EQ(as("", "GET", "/v3/service_route_bindings").status, 401);
}

TEST_F(ServiceRouteBindingsTest, CloudControllerRules) {
  std::string r = route("shop", space_);
  std::string gate = upsi("gate", space_, "https://gate.example.com/");
  std::string plain = upsi("creds-only", space_, "");
  std::string elsewhere = upsi("far-gate", other_space_, "https://far.example.com/");
  auto admin = h_.tokens().admin;

  auto r1 = as(admin, "POST", "/v3/service_route_bindings", bindingBody(r, plain));
  EXPECT_EQ(r1.status, 422);
  EXPECT_EQ(detail(r1), "This service instance does not support route binding");
  auto r2 = as(admin, "POST", "/v3/service_route_bindings", bindingBody(r, elsewhere));
  EXPECT_EQ(r2.status, 422);
  EXPECT_EQ(detail(r2), "The service instance and the route are in different spaces");
  auto r3 = as(admin, "POST", "/v3/service_route_bindings", bindingBody("no-route", gate));
  EXPECT_EQ(detail(r3), "The route could not be found: no-route");
  auto r4 = as(admin, "POST", "/v3/service_route_bindings",
               json{{"relationships", {{"route", rel(r)}}}});
  EXPECT_EQ(detail(r4), "Relationships service_instance can't be blank");
  auto r5 = as(admin, "POST", "/v3/service_route_bindings",
               json{{"relationships", {{"route", rel(r)}, {"service_instance", rel(gate)}}},
                    {"parameters", {{"a", 1}}}});
  EXPECT_EQ(r5.status, 422);

  ASSERT_EQ(as(admin, "POST", "/v3/service_route_bindings", bindingBody(r, gate)).status, 201);
  auto again = as(admin, "POST", "/v3/service_route_bindings", bindingBody(r, gate));
  EXPECT_EQ(detail(again), "The route and service instance are already bound");
  std::string gate2 = upsi("gate2", space_, "https://gate2.example.com/");
  auto second = as(admin, "POST", "/v3/service_route_bindings", bindingBody(r, gate2));
  EXPECT_EQ(detail(second), "A route may only be bound to a single service instance");
}

TEST_F(ServiceRouteBindingsTest, InstanceUpdatesAndDeletesCarryToTheBindings) {
  std::string r = route("shop", space_);
  std::string si = upsi("gate", space_, "https://gate.example.com/");
  const std::string guid =
      created(as(developer_, "POST", "/v3/service_route_bindings", bindingBody(r, si)));
  ASSERT_EQ(as(developer_, "PATCH", "/v3/service_instances/" + si,
               {{"route_service_url", "https://gate-v2.example.com/x"}})
                .status,
            200);
  EXPECT_EQ(as(developer_, "GET", "/v3/service_route_bindings/" + guid).body["route_service_url"],
            "https://gate-v2.example.com/x");
  // Removing the URL while routes use it is refused.
  auto removed = as(developer_, "PATCH", "/v3/service_instances/" + si,
                    json{{"route_service_url", nullptr}});
  EXPECT_EQ(removed.status, 422) << removed.body;
  // Deleting the instance (user-provided: at once) unbinds its routes.
  ASSERT_EQ(as(developer_, "DELETE", "/v3/service_instances/" + si).status, 204);
  EXPECT_TRUE(h_.store().listServiceRouteBindings({}).empty());

  // A route's deletion takes its binding along.
  std::string si2 = upsi("gate-b", space_, "https://gate.example.com/");
  created(as(developer_, "POST", "/v3/service_route_bindings", bindingBody(r, si2)));
  ASSERT_EQ(as(developer_, "DELETE", "/v3/routes/" + r).status, 202);
  EXPECT_TRUE(h_.store().listServiceRouteBindings({}).empty());
  ASSERT_EQ(as(developer_, "DELETE", "/v3/service_instances/" + si2).status, 204);
}

}  // namespace
}  // namespace foundry::control
