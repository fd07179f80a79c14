// Service instances and bindings in a shared platform: user-provided instances (credentials
// copied to bindings, VCAP_SERVICES's "user-provided" shape), who may read credentials, two
// orgs that cannot see or bind each other's instances, plan visibility, and the service
// quotas — through the Api, beside a real test broker for the managed instances.
#include <gtest/gtest.h>

#include "tests/integration/services/broker_harness.h"
#include "tests/unit/control/tenants.h"

namespace foundry::test {
namespace {

using control::ApiResponse;
using nlohmann::json;

json rel(const std::string& guid) { return {{"data", {{"guid", guid}}}}; }

class ServiceTenancyTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(h.brokerStarted()) << h.brokerProcess().logs(); }

  ApiResponse admin(const std::string& method, const std::string& target,
                    const json& body = nullptr) {
    return h.call(h.admin(), method, target, body);
  }
  std::string created(const ApiResponse& r) {
    EXPECT_TRUE(r.status == 201 || r.status == 202) << r.body;
    return r.body.is_object() ? r.body.value("guid", "") : "";
  }
  std::string org(const std::string& name) { return tenants.org(name); }
  std::string space(const std::string& org_guid, const std::string& name) {
    return tenants.space(org_guid, name);
  }
  std::string member(const std::string& name, const std::string& org_guid,
                     const std::string& space_guid, const std::string& space_role) {
    return tenants.member(name, org_guid, space_guid, space_role);
  }
  std::string app(const std::string& auth, const std::string& space_guid,
                  const std::string& name) {
    return created(h.call(auth, "POST", "/v3/apps",
                          {{"name", name}, {"relationships", {{"space", rel(space_guid)}}}}));
  }
  ApiResponse managed(const std::string& auth, const std::string& space_guid,
                      const std::string& name, const std::string& plan = "sync") {
    return h.call(auth, "POST", "/v3/service_instances",
                  {{"type", "managed"},
                   {"name", name},
                   {"relationships",
                    {{"space", rel(space_guid)}, {"service_plan", rel(h.planGuid(plan))}}}});
  }
  std::string instanceGuid(const std::string& name) {
    auto list = h.api().store().listServiceInstances({{}, {name}, {}, {}, {}});
    return list.empty() ? "" : list[0].guid;
  }
  ApiResponse bindApp(const std::string& auth, const std::string& app_guid,
                      const std::string& si) {
    return h.call(auth, "POST", "/v3/service_credential_bindings",
                  {{"type", "app"},
                   {"relationships", {{"app", rel(app_guid)}, {"service_instance", rel(si)}}}});
  }

  BrokerHarness h{"svc-tenancy"};
  control::test_support::Tenants tenants{h.api()};
};

TEST_F(ServiceTenancyTest, UserProvidedInstancesAndTheirBindings) {
  const std::string o = org("acme");
  const std::string s = space(o, "dev");
  const std::string dev = member("dev", o, s, "space_developer");
  const std::string auditor = member("aud", o, s, "space_auditor");
  auto bad = h.call(dev, "POST", "/v3/service_instances",
                    {{"type", "user-provided"},
                     {"name", "proxy"},
                     {"route_service_url", "http://insecure.example.com"},
                     {"relationships", {{"space", rel(s)}}}});
  EXPECT_EQ(bad.status, 422);
  EXPECT_EQ(bad.body["errors"][0]["detail"], "Route service url must be https");
  auto ups = h.call(dev, "POST", "/v3/service_instances",
                    {{"type", "user-provided"},
                     {"name", "legacy-db"},
                     {"credentials", {{"uri", "postgres://u:s3cret@db.example.com/x"}}},
                     {"syslog_drain_url", "syslog-tls://logs.example.com:6514"},
                     {"tags", {"sql"}},
                     {"relationships", {{"space", rel(s)}}}});
  ASSERT_EQ(ups.status, 201) << ups.body;
  const std::string si = ups.body["guid"];
  EXPECT_EQ(ups.body["type"], "user-provided");
  EXPECT_EQ(ups.body["last_operation"]["state"], "succeeded");
  EXPECT_EQ(ups.body.dump().find("s3cret"), std::string::npos) << "credentials only via /credentials";
  auto creds = h.call(dev, "GET", "/v3/service_instances/" + si + "/credentials");
  EXPECT_EQ(creds.body["uri"], "postgres://u:s3cret@db.example.com/x");
  EXPECT_EQ(h.call(auditor, "GET", "/v3/service_instances/" + si + "/credentials").status, 403);
  EXPECT_EQ(h.call(auditor, "GET", "/v3/service_instances/" + si).status, 200);

  const std::string web = app(dev, s, "web");
  auto bound = bindApp(dev, web, si);
  ASSERT_EQ(bound.status, 201) << bound.body;
  auto env = h.call(dev, "GET", "/v3/apps/" + web + "/env");
  const json& e = env.body["system_env_json"]["VCAP_SERVICES"]["user-provided"][0];
  EXPECT_EQ(e["label"], "user-provided");
  EXPECT_EQ(e["name"], "legacy-db");
  EXPECT_EQ(e["credentials"]["uri"], "postgres://u:s3cret@db.example.com/x");
  EXPECT_EQ(e["syslog_drain_url"], "syslog-tls://logs.example.com:6514");
  EXPECT_EQ(e["tags"], json({"sql"}));
  EXPECT_FALSE(e.contains("plan"));
  EXPECT_FALSE(e.contains("provider"));
  EXPECT_EQ(e["binding_guid"], bound.body["guid"]);
  EXPECT_EQ(h.call(auditor, "GET", "/v3/apps/" + web + "/env").status, 403);

  // New credentials reach the bindings (the app sees them after a restart).
  auto updated = h.call(dev, "PATCH", "/v3/service_instances/" + si,
                        {{"credentials", {{"uri", "postgres://u:rotated@db.example.com/x"}}}});
  ASSERT_EQ(updated.status, 200) << updated.body;
  env = h.call(dev, "GET", "/v3/apps/" + web + "/env");
  EXPECT_EQ(env.body["system_env_json"]["VCAP_SERVICES"]["user-provided"][0]["credentials"]["uri"],
            "postgres://u:rotated@db.example.com/x");
  // Keys are for managed instances only; deleting the instance takes its bindings.
  auto key = h.call(dev, "POST", "/v3/service_credential_bindings",
                    {{"type", "key"}, {"name", "k"}, {"relationships", {{"service_instance", rel(si)}}}});
  EXPECT_EQ(key.status, 422);
  EXPECT_EQ(h.call(dev, "DELETE", "/v3/service_instances/" + si).status, 204);
  env = h.call(dev, "GET", "/v3/apps/" + web + "/env");
  EXPECT_EQ(env.body["system_env_json"]["VCAP_SERVICES"], json::object());
}

TEST_F(ServiceTenancyTest, TwoOrgsCannotSeeOrBindEachOthersInstances) {
  const std::string oa = org("org-a"), ob = org("org-b");
  const std::string sa = space(oa, "dev"), sb = space(ob, "dev");
  const std::string alice = member("alice", oa, sa, "space_developer");
  const std::string bob = member("bob", ob, sb, "space_developer");
  ASSERT_EQ(managed(alice, sa, "alice-db").status, 202);
  h.advance();
  const std::string si = instanceGuid("alice-db");
  const std::string alice_app = app(alice, sa, "a-app");
  ASSERT_EQ(bindApp(alice, alice_app, si).status, 202);
  h.advance();
  const std::string binding =
      h.api().store().listServiceBindings({{}, {}, {}, {si}, {}, {}})[0].guid;

  auto listed = h.call(bob, "GET", "/v3/service_instances");
  EXPECT_EQ(listed.body["pagination"]["total_results"], 0) << listed.body;
  EXPECT_EQ(h.call(bob, "GET", "/v3/service_instances/" + si).status, 404);
  EXPECT_EQ(h.call(bob, "GET", "/v3/service_instances?names=alice-db").body["resources"].size(), 0u);
  EXPECT_EQ(h.call(bob, "DELETE", "/v3/service_instances/" + si).status, 404);
  EXPECT_EQ(h.call(bob, "PATCH", "/v3/service_instances/" + si, {{"name", "mine"}}).status, 404);
  const std::string bob_app = app(bob, sb, "b-app");
  auto steal = bindApp(bob, bob_app, si);
  EXPECT_EQ(steal.status, 422) << steal.body;
  EXPECT_EQ(h.call(bob, "GET", "/v3/service_credential_bindings").body["pagination"]["total_results"], 0);
  EXPECT_EQ(h.call(bob, "GET", "/v3/service_credential_bindings/" + binding).status, 404);
  EXPECT_EQ(h.call(bob, "GET", "/v3/service_credential_bindings/" + binding + "/details").status, 404);
  EXPECT_EQ(h.call(bob, "DELETE", "/v3/service_credential_bindings/" + binding).status, 404);
  auto key = h.call(bob, "POST", "/v3/service_credential_bindings",
                    {{"type", "key"}, {"name", "stolen"}, {"relationships", {{"service_instance", rel(si)}}}});
  EXPECT_EQ(key.status, 422);
  // Bob cannot even create an instance in Alice's space.
  EXPECT_EQ(managed(bob, sa, "intruder").status, 422);
  // Alice's auditor sees the binding but not its credentials.
  const std::string carol = member("carol", oa, sa, "space_auditor");
  EXPECT_EQ(h.call(carol, "GET", "/v3/service_credential_bindings/" + binding).status, 200);
  EXPECT_EQ(h.call(carol, "GET", "/v3/service_credential_bindings/" + binding + "/details").status, 403);
  EXPECT_EQ(managed(carol, sa, "auditor-db").status, 403);
}

TEST_F(ServiceTenancyTest, AdminOnlyPlansAreRefusedToDevelopers) {
  auto plan = *h.api().store().getServicePlan(h.planGuid("sync"));
  plan.visibility_type = "admin";
  h.api().store().updateServicePlan(plan);
  const std::string o = org("plain");
  const std::string s = space(o, "dev");
  const std::string dev = member("dave", o, s, "space_developer");
  auto r = managed(dev, s, "nope");
  EXPECT_EQ(r.status, 422);
  EXPECT_NE(r.body.dump().find("Invalid service plan"), std::string::npos);
  // Shared with the org: now it works.
  plan.visibility_type = "organization";
  h.api().store().updateServicePlan(plan);
  h.api().store().createPlanVisibility({control::newGuid(), plan.guid, o, control::nowIso8601(),
                                        control::nowIso8601()});
  EXPECT_EQ(managed(dev, s, "yes").status, 202);
}

TEST_F(ServiceTenancyTest, ServiceInstanceQuotasAndNames) {
  const std::string o = org("tiny");
  const std::string s = space(o, "dev");
  auto quota = admin("POST", "/v3/organization_quotas",
                     {{"name", "one-service"}, {"services", {{"total_service_instances", 1}}}});
  ASSERT_EQ(quota.status, 201) << quota.body;
  ASSERT_EQ(admin("POST", "/v3/organization_quotas/" + quota.body["guid"].get<std::string>() +
                              "/relationships/organizations",
                  {{"data", {{{"guid", o}}}}})
                .status,
            200);
  ASSERT_EQ(managed(h.admin(), s, "first").status, 202);
  auto dup = managed(h.admin(), s, "first");
  EXPECT_EQ(dup.status, 422);
  EXPECT_EQ(dup.body["errors"][0]["detail"], "The service instance name is taken: first.");
  auto over = managed(h.admin(), s, "second");
  EXPECT_EQ(over.status, 422);
  EXPECT_EQ(over.body["errors"][0]["detail"], "You have exceeded your organization's services limit.");
  // User-provided instances do not count.
  auto ups = h.call(h.admin(), "POST", "/v3/service_instances",
                    {{"type", "user-provided"}, {"name", "free"}, {"relationships", {{"space", rel(s)}}}});
  EXPECT_EQ(ups.status, 201);
}

}  // namespace
}  // namespace foundry::test
