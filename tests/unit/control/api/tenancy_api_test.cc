// Tenancy driven through Api::handle with real tokens: authentication (missing, malformed,
// expired, tampered, alg none, refresh-as-access), every role's allowed and refused calls,
// isolation between two orgs for every resource type, suspended orgs, quotas at their exact
// boundaries, and the audit trail.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "common/auth/jwt.h"
#include "control/api/api.h"
#include "control/store/sqlite_store.h"
#include "tests/unit/control/api_harness.h"

namespace foundry::control {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

json rel(const std::string& guid) { return {{"data", {{"guid", guid}}}}; }

class TenancyTest : public ::testing::Test {
 protected:
  void SetUp() override { domain_ = h_.api().defaultDomainGuid(); }

  ApiResponse call(const std::string& auth, const std::string& method, const std::string& target,
                   const json& body = nullptr) {
    return h_.call(auth, method, target, body);
  }
  ApiResponse admin(const std::string& method, const std::string& target,
                    const json& body = nullptr) {
    return call(tokens_->admin, method, target, body);
  }
  std::string created(const ApiResponse& r) {
    EXPECT_EQ(r.status, 201) << r.body;
    return r.body.value("guid", "");
  }
  std::string org(const std::string& name) {
    return created(admin("POST", "/v3/organizations", {{"name", name}}));
  }
  std::string space(const std::string& org_guid, const std::string& name) {
    return created(admin("POST", "/v3/spaces",
                         {{"name", name}, {"relationships", {{"organization", rel(org_guid)}}}}));
  }
  void grant(const std::string& user_guid, const std::string& type, const std::string& where) {
    json r = {{"user", rel(user_guid)}};
    r[type.rfind("space_", 0) == 0 ? "space" : "organization"] = rel(where);
    auto resp = admin("POST", "/v3/roles", {{"type", type}, {"relationships", r}});
    EXPECT_EQ(resp.status, 201) << resp.body;
  }
  // A user with organization_user in the org and `space_role` in the space.
  std::string member(const std::string& name, const std::string& org_guid,
                     const std::string& space_guid, const std::string& space_role) {
    std::string guid;
    std::string bearer = tokens_->newUser(name, &guid);
    grant(guid, "organization_user", org_guid);
    if (!space_role.empty()) grant(guid, space_role, space_guid);
    return bearer;
  }
  std::string app(const std::string& auth, const std::string& space_guid,
                  const std::string& name) {
    return created(call(auth, "POST", "/v3/apps",
                        {{"name", name}, {"relationships", {{"space", rel(space_guid)}}}}));
  }
  std::string webProcess(const std::string& app_guid) {
    return admin("GET", "/v3/apps/" + app_guid + "/processes").body["resources"][0]["guid"];
  }
  // Gives the app a STAGED droplet as its current one, straight in the store (staging is
  // tested elsewhere), so it can be started.
  void giveDroplet(const std::string& app_guid) {
    const std::string now = nowIso8601();
    Package p{newGuid(), app_guid, "bits", "READY", "00", std::nullopt, now, now};
    ASSERT_EQ(store_->createPackage(p), WriteResult::Ok);
    Build b;
    b.guid = newGuid();
    b.app_guid = app_guid;
    b.package_guid = p.guid;
    b.created_at = b.updated_at = now;
    ASSERT_EQ(store_->createBuild(b), WriteResult::Ok);
    Droplet d;
    d.guid = newGuid();
    d.app_guid = app_guid;
    d.package_guid = p.guid;
    d.build_guid = b.guid;
    d.sha256 = "00";
    d.created_at = d.updated_at = now;
    ASSERT_EQ(store_->createDroplet(d), WriteResult::Ok);
    ASSERT_EQ(store_->setCurrentDroplet(app_guid, d.guid, now), WriteResult::Ok);
  }
  static std::string detail(const ApiResponse& r) {
    return r.body.contains("errors") ? r.body["errors"][0].value("detail", "") : "";
  }
  static std::string title(const ApiResponse& r) {
    return r.body.contains("errors") ? r.body["errors"][0].value("title", "") : "";
  }

  test_support::ApiHarness h_{"tenancy"};
  test_support::TestTokens* tokens_ = &h_.tokens();
  SqliteStore* store_ = &h_.store();
  std::string domain_;
};

TEST_F(TenancyTest, OnlyTheRootDocumentsAreOpen) {
  EXPECT_EQ(call("", "GET", "/").status, 200);
  EXPECT_EQ(call("", "GET", "/v3").status, 200);
  EXPECT_EQ(call("", "GET", "/v3/info").status, 200);
  EXPECT_EQ(call("", "GET", "/").body["links"]["uaa"]["href"], "http://api.test/uaa");
  for (const char* path : {"/v3/apps", "/v3/organizations", "/v3/spaces", "/v3/routes",
                           "/v3/users", "/v3/roles", "/v3/organization_quotas",
                           "/v3/audit_events", "/api/v1/read/x"}) {
    auto r = call("", "GET", path);
    EXPECT_EQ(r.status, 401) << path;
    EXPECT_EQ(title(r), "CF-NotAuthenticated") << path;
  }
  auto post = call("", "POST", "/v3/apps", json{{"name", "x"}});
  EXPECT_EQ(post.status, 401);
}

TEST_F(TenancyTest, BadTokensAreRefusedAsInvalid) {
  const std::string good = tokens_->admin.substr(7);
  auto invalid = [&](const std::string& header) {
    auto r = call(header, "GET", "/v3/apps");
    EXPECT_EQ(r.status, 401) << header;
    EXPECT_EQ(title(r), "CF-InvalidAuthToken") << header;
    EXPECT_EQ(r.body["errors"][0]["code"], 1000);
  };
  invalid("bearer garbage");
  invalid("bearer a.b.c");
  // Tampered payload: grant ourselves another user_id, keep the signature.
  size_t dot1 = good.find('.'), dot2 = good.rfind('.');
  json claims = json::parse(*auth::base64UrlDecode(good.substr(dot1 + 1, dot2 - dot1 - 1)));
  claims["scope"] = json::array({"cloud_controller.admin"});
  claims["user_name"] = "someone-else";
  invalid("bearer " + good.substr(0, dot1 + 1) + auth::base64UrlEncode(claims.dump()) +
          good.substr(dot2));
  // alg none with the same claims.
  invalid("bearer " + auth::base64UrlEncode(R"({"alg":"none","typ":"JWT"})") + "." +
          auth::base64UrlEncode(claims.dump()) + ".");
  // Signed by another key.
  auth::SigningKey other = auth::SigningKey::generate();
  invalid("bearer " + other.sign(claims));
  // Expired: issued two hours ago with a 20-minute life.
  auto old = tokens_->service->passwordGrant("admin", auth::Secret("admin-password"),
                                             std::time(nullptr) - 7200);
  invalid("bearer " + old.access_token);
  // A refresh token is not an access token.
  auto fresh = tokens_->service->passwordGrant("admin", auth::Secret("admin-password"),
                                               std::time(nullptr));
  invalid("bearer " + fresh.refresh_token);
  EXPECT_EQ(call("bearer " + fresh.access_token, "GET", "/v3/apps").status, 200);
}

TEST_F(TenancyTest, DeletedUsersTokensStopWorking) {
  std::string guid;
  std::string bearer = tokens_->newUser("leaver", &guid);
  EXPECT_EQ(call(bearer, "GET", "/v3/apps").status, 200);
  EXPECT_EQ(admin("DELETE", "/v3/users/" + guid).status, 202);
  EXPECT_EQ(call(bearer, "GET", "/v3/apps").status, 401);
}

TEST_F(TenancyTest, RolesDecideWhatEachUserMayDo) {
  const std::string o = org("acme"), s = space(o, "dev");
  const std::string dev = member("dev", o, s, "space_developer");
  const std::string auditor = member("auditor", o, s, "space_auditor");
  const std::string manager = member("spacemgr", o, s, "space_manager");
  const std::string supporter = member("supporter", o, s, "space_supporter");
  const std::string orguser = member("orguser", o, s, "");
  std::string orgmgr_guid;
  const std::string orgmgr = tokens_->newUser("orgmgr", &orgmgr_guid);
  grant(orgmgr_guid, "organization_manager", o);

  // Developers push; the app is visible to every space role and the org manager.
  const std::string a = app(dev, s, "web");
  giveDroplet(a);
  for (const auto* who : {&dev, &auditor, &manager, &supporter, &orgmgr}) {
    EXPECT_EQ(call(*who, "GET", "/v3/apps/" + a).status, 200);
    EXPECT_EQ(call(*who, "GET", "/v3/apps").body["resources"].size(), 1u);
  }
  // An org user without a space role sees the org but not the space's apps.
  EXPECT_EQ(call(orguser, "GET", "/v3/organizations/" + o).status, 200);
  EXPECT_EQ(call(orguser, "GET", "/v3/apps/" + a).status, 404);
  EXPECT_EQ(call(orguser, "GET", "/v3/apps").body["resources"].size(), 0u);

  // Auditors and managers read but may not change apps: 403.
  for (const auto* who : {&auditor, &manager}) {
    auto r = call(*who, "PATCH", "/v3/apps/" + a, json{{"name", "x"}});
    EXPECT_EQ(r.status, 403);
    EXPECT_EQ(title(r), "CF-NotAuthorized");
    EXPECT_EQ(call(*who, "POST", "/v3/apps/" + a + "/actions/stop").status, 403);
    EXPECT_EQ(call(*who, "POST", "/v3/apps",
                   json{{"name", "mine"}, {"relationships", {{"space", rel(s)}}}})
                  .status,
              403);
  }
  // Supporters operate (start/stop/scale) but do not create or rename.
  EXPECT_EQ(call(supporter, "POST", "/v3/apps/" + a + "/actions/start").status, 200);
  EXPECT_EQ(call(supporter, "POST", "/v3/processes/" + webProcess(a) + "/actions/scale",
                 json{{"instances", 2}})
                .status,
            202);
  EXPECT_EQ(call(supporter, "PATCH", "/v3/apps/" + a, json{{"name", "x"}}).status, 403);
  // Developers change everything in their space.
  EXPECT_EQ(call(dev, "PATCH", "/v3/apps/" + a, json{{"name", "web2"}}).status, 200);
  EXPECT_EQ(call(dev, "POST", "/v3/routes",
                 json{{"host", "web"},
                      {"relationships", {{"space", rel(s)}, {"domain", rel(domain_)}}}})
                .status,
            201);

  // Space roles are given by space managers and org managers, not by developers.
  std::string newbie_guid;
  tokens_->newUser("newbie", &newbie_guid);
  json to_space = {{"type", "space_auditor"},
                   {"relationships", {{"user", rel(newbie_guid)}, {"space", rel(s)}}}};
  auto no_org_role = call(manager, "POST", "/v3/roles", to_space);
  EXPECT_EQ(no_org_role.status, 422);
  EXPECT_NE(detail(no_org_role).find("do not have a role in that space's organization"),
            std::string::npos);
  EXPECT_EQ(call(dev, "POST", "/v3/roles",
                 json{{"type", "organization_user"},
                      {"relationships", {{"user", rel(newbie_guid)}, {"organization", rel(o)}}}})
                .status,
            403);
  EXPECT_EQ(call(orgmgr, "POST", "/v3/roles",
                 json{{"type", "organization_user"},
                      {"relationships",
                       {{"user", {{"data", {{"username", "newbie"}, {"origin", "uaa"}}}}},
                        {"organization", rel(o)}}}})
                .status,
            201);
  EXPECT_EQ(call(dev, "POST", "/v3/roles", to_space).status, 403);
  EXPECT_EQ(call(manager, "POST", "/v3/roles", to_space).status, 201);
  auto again = call(manager, "POST", "/v3/roles", to_space);
  EXPECT_EQ(again.status, 422);
  EXPECT_EQ(detail(again), "User 'newbie' already has 'space_auditor' role in space 'dev'.");

  // Org managers create spaces; developers and org users may not; only admins create orgs.
  json new_space = {{"name", "qa"}, {"relationships", {{"organization", rel(o)}}}};
  EXPECT_EQ(call(dev, "POST", "/v3/spaces", new_space).status, 403);
  EXPECT_EQ(call(orguser, "POST", "/v3/spaces", new_space).status, 403);
  EXPECT_EQ(call(orgmgr, "POST", "/v3/spaces", new_space).status, 201);
  EXPECT_EQ(call(orgmgr, "POST", "/v3/organizations", json{{"name", "mine"}}).status, 403);
  EXPECT_EQ(call(orgmgr, "POST", "/v3/organization_quotas", json{{"name", "q"}}).status, 403);
}

TEST_F(TenancyTest, TwoOrgsCannotSeeOrTouchEachOther) {
  const std::string o1 = org("one"), s1 = space(o1, "s");
  const std::string o2 = org("two"), s2 = space(o2, "s");
  const std::string alice = member("alice", o1, s1, "space_developer");
  const std::string bob = member("bob", o2, s2, "space_developer");

  // Alice's world: an app with a package, a build, a droplet, a route with a destination,
  // a job, an audit trail.
  const std::string a = app(alice, s1, "secret-app");
  giveDroplet(a);
  const std::string pkg = admin("GET", "/v3/apps/" + a + "/packages").body["resources"][0]["guid"];
  const std::string build = admin("GET", "/v3/apps/" + a + "/builds").body["resources"][0]["guid"];
  const std::string droplet = admin("GET", "/v3/apps/" + a + "/droplets/current").body["guid"];
  const std::string proc = webProcess(a);
  const std::string route = created(
      call(alice, "POST", "/v3/routes",
           json{{"host", "alice"}, {"relationships", {{"space", rel(s1)}, {"domain", rel(domain_)}}}}));
  auto dests = call(alice, "POST", "/v3/routes/" + route + "/destinations",
                    json{{"destinations", json::array({{{"app", {{"guid", a}}}}})}});
  ASSERT_EQ(dests.status, 200);
  const std::string dest = dests.body["destinations"][0]["guid"];
  auto del = call(alice, "DELETE", "/v3/routes/" + route + "/destinations/" + dest);
  ASSERT_EQ(del.status, 204);
  auto job_resp = call(alice, "DELETE", "/v3/apps/" + app(alice, s1, "doomed"));
  ASSERT_EQ(job_resp.status, 202);
  const std::string job = test_support::ApiHarness::jobPath(job_resp);
  const std::string role = call(alice, "GET", "/v3/roles").body["resources"][0]["guid"];
  const std::string event = call(alice, "GET", "/v3/audit_events").body["resources"][0]["guid"];

  // Bob can read none of it: 404 for every GUID, and lists never show it.
  for (const std::string& path : std::vector<std::string>{
           "/v3/organizations/" + o1, "/v3/spaces/" + s1, "/v3/apps/" + a,
        "/v3/apps/" + a + "/processes", "/v3/processes/" + proc, "/v3/processes/" + proc + "/stats",
        "/v3/apps/" + a + "/packages", "/v3/packages/" + pkg, "/v3/builds/" + build,
        "/v3/apps/" + a + "/builds", "/v3/droplets/" + droplet, "/v3/apps/" + a + "/droplets",
        "/v3/apps/" + a + "/droplets/current", "/v3/routes/" + route,
        "/v3/routes/" + route + "/destinations", "/v3/apps/" + a + "/routes", job,
        "/v3/roles/" + role, "/v3/audit_events/" + event, "/api/v1/read/" + a,
        "/v3/organizations/" + o1 + "/domains/default"}) {
    auto r = call(bob, "GET", path);
    EXPECT_EQ(r.status, 404) << path << " " << r.body;
  }
  for (const std::string& path : std::vector<std::string>{
           "/v3/apps", "/v3/packages", "/v3/builds", "/v3/droplets", "/v3/routes", "/v3/spaces",
        "/v3/audit_events", "/v3/apps?space_guids=" + s1, "/v3/routes?space_guids=" + s1,
        "/v3/spaces?organization_guids=" + o1, "/v3/packages?app_guids=" + a}) {
    auto r = call(bob, "GET", path);
    ASSERT_EQ(r.status, 200) << path;
    for (const auto& res : r.body["resources"]) {
      EXPECT_EQ(res.dump().find(a), std::string::npos) << path;
      EXPECT_EQ(res.dump().find(s1), std::string::npos) << path;
    }
  }
  auto orgs = call(bob, "GET", "/v3/organizations");
  ASSERT_EQ(orgs.body["resources"].size(), 1u);
  EXPECT_EQ(orgs.body["resources"][0]["guid"], o2);
  auto users = call(bob, "GET", "/v3/users");
  for (const auto& u : users.body["resources"]) EXPECT_NE(u["username"], "alice");

  // Nor change it: every write answers 404 (he cannot know it exists) and changes nothing.
  EXPECT_EQ(call(bob, "PATCH", "/v3/apps/" + a, json{{"name", "pwned"}}).status, 404);
  EXPECT_EQ(call(bob, "DELETE", "/v3/apps/" + a).status, 404);
  EXPECT_EQ(call(bob, "POST", "/v3/apps/" + a + "/actions/stop").status, 404);
  EXPECT_EQ(call(bob, "POST", "/v3/processes/" + proc + "/actions/scale", json{{"instances", 9}}).status,
            404);
  EXPECT_EQ(call(bob, "PATCH", "/v3/processes/" + proc, json{{"command", "evil"}}).status, 404);
  EXPECT_EQ(call(bob, "POST", "/v3/packages",
                 json{{"type", "bits"}, {"relationships", {{"app", rel(a)}}}})
                .status,
            422);
  EXPECT_EQ(call(bob, "POST", "/v3/builds", json{{"package", {{"guid", pkg}}}}).status, 422);
  EXPECT_EQ(call(bob, "PATCH", "/v3/apps/" + a + "/relationships/current_droplet",
                 json{{"data", {{"guid", droplet}}}})
                .status,
            404);
  EXPECT_EQ(call(bob, "DELETE", "/v3/routes/" + route).status, 404);
  EXPECT_EQ(call(bob, "POST", "/v3/routes/" + route + "/destinations",
                 json{{"destinations", json::array({{{"app", {{"guid", a}}}}})}})
                .status,
            404);
  // Bob may not point his own route at Alice's app, nor create routes or apps in her space.
  const std::string bob_route = created(
      call(bob, "POST", "/v3/routes",
           json{{"host", "bob"}, {"relationships", {{"space", rel(s2)}, {"domain", rel(domain_)}}}}));
  EXPECT_EQ(call(bob, "POST", "/v3/routes/" + bob_route + "/destinations",
                 json{{"destinations", json::array({{{"app", {{"guid", a}}}}})}})
                .status,
            422);
  EXPECT_EQ(call(bob, "POST", "/v3/apps", json{{"name", "x"}, {"relationships", {{"space", rel(s1)}}}})
                .status,
            422);
  EXPECT_EQ(call(bob, "POST", "/v3/routes",
                 json{{"host", "x"}, {"relationships", {{"space", rel(s1)}, {"domain", rel(domain_)}}}})
                .status,
            422);
  // A host already taken on the shared domain is taken for everyone.
  EXPECT_EQ(call(bob, "POST", "/v3/routes",
                 json{{"host", "alice"}, {"relationships", {{"space", rel(s2)}, {"domain", rel(domain_)}}}})
                .status,
            422);
  EXPECT_EQ(call(bob, "POST", "/v3/roles",
                 json{{"type", "space_developer"},
                      {"relationships", {{"user", {{"data", {{"username", "bob"}}}}}, {"space", rel(s1)}}}})
                .status,
            404);
  EXPECT_EQ(admin("GET", "/v3/apps/" + a).body["name"], "secret-app");
  EXPECT_EQ(admin("GET", "/v3/processes/" + proc).body["instances"], 1);
}

TEST_F(TenancyTest, SuspendedOrgRefusesChangesButNotReads) {
  const std::string o = org("frozen"), s = space(o, "s");
  const std::string dev = member("dev", o, s, "space_developer");
  const std::string a = app(dev, s, "a");
  EXPECT_EQ(call(dev, "PATCH", "/v3/organizations/" + o, json{{"suspended", true}}).status, 403);
  ASSERT_EQ(admin("PATCH", "/v3/organizations/" + o, json{{"suspended", true}}).status, 200);
  auto r = call(dev, "POST", "/v3/apps", json{{"name", "b"}, {"relationships", {{"space", rel(s)}}}});
  EXPECT_EQ(r.status, 403);
  EXPECT_EQ(title(r), "CF-OrgSuspended");
  EXPECT_EQ(r.body["errors"][0]["code"], 10017);
  EXPECT_EQ(call(dev, "DELETE", "/v3/apps/" + a).status, 403);
  EXPECT_EQ(call(dev, "GET", "/v3/apps/" + a).status, 200);
  // Admins still act inside it.
  EXPECT_EQ(admin("PATCH", "/v3/apps/" + a, json{{"name", "renamed"}}).status, 200);
}

TEST_F(TenancyTest, OrgQuotaLimitsAreHitAtTheirExactBoundary) {
  const std::string o = org("q"), s = space(o, "s");
  const std::string dev = member("dev", o, s, "space_developer");
  auto q = admin("POST", "/v3/organization_quotas",
                 json{{"name", "small"},
                      {"apps", {{"total_memory_in_mb", 1024}, {"per_process_memory_in_mb", 512},
                                {"total_instances", 4}}},
                      {"routes", {{"total_routes", 2}}},
                      {"relationships", {{"organizations", {{"data", json::array({{{"guid", o}}})}}}}}});
  ASSERT_EQ(q.status, 201) << q.body;
  EXPECT_EQ(q.body["apps"]["total_memory_in_mb"], 1024);
  EXPECT_TRUE(q.body["services"]["total_service_instances"].is_null());
  auto dup = admin("POST", "/v3/organization_quotas", json{{"name", "small"}});
  EXPECT_EQ(detail(dup), "Organization Quota 'small' already exists.");

  const std::string a = app(dev, s, "a");
  giveDroplet(a);
  const std::string proc = webProcess(a);
  auto scale = [&](json body) {
    return call(dev, "POST", "/v3/processes/" + proc + "/actions/scale", body);
  };
  // Stopped apps count nothing: 4 x 256 MB while stopped is fine.
  ASSERT_EQ(scale({{"instances", 4}, {"memory_in_mb", 256}}).status, 202);
  // Started: 4 x 256 = 1024 = the limit exactly.
  ASSERT_EQ(call(dev, "POST", "/v3/apps/" + a + "/actions/start").status, 200);
  auto over = scale({{"instances", 5}});
  EXPECT_EQ(over.status, 422);
  EXPECT_EQ(detail(over), "memory quota_exceeded, app_instance_limit app_instance_limit_exceeded");
  EXPECT_EQ(detail(scale({{"memory_in_mb", 513}, {"instances", 1}})),
            "memory instance_memory_limit_exceeded");
  EXPECT_EQ(scale({{"memory_in_mb", 512}, {"instances", 2}}).status, 202);  // 1024 again
  EXPECT_EQ(detail(scale({{"memory_in_mb", 257}, {"instances", 4}})), "memory quota_exceeded");

  // A second app cannot start past what is left (0 MB).
  const std::string b = app(dev, s, "b");
  giveDroplet(b);
  ASSERT_EQ(call(dev, "POST", "/v3/processes/" + webProcess(b) + "/actions/scale",
                 json{{"memory_in_mb", 1}})
                .status,
            202);
  auto start_b = call(dev, "POST", "/v3/apps/" + b + "/actions/start");
  EXPECT_EQ(start_b.status, 422);
  EXPECT_EQ(detail(start_b), "memory quota_exceeded");
  EXPECT_EQ(admin("GET", "/v3/apps/" + b).body["state"], "STOPPED");

  // Routes: two fit, the third does not.
  auto route = [&](const std::string& host) {
    return call(dev, "POST", "/v3/routes",
                json{{"host", host}, {"relationships", {{"space", rel(s)}, {"domain", rel(domain_)}}}});
  };
  EXPECT_EQ(route("r1").status, 201);
  EXPECT_EQ(route("r2").status, 201);
  auto r3 = route("r3");
  EXPECT_EQ(r3.status, 422);
  EXPECT_EQ(detail(r3), "Routes quota exceeded for organization 'q'.");
}

TEST_F(TenancyTest, SpaceQuotaAppliesInsideTheOrgQuota) {
  const std::string o = org("sq"), s = space(o, "s"), other = space(o, "other");
  std::string mgr_guid;
  const std::string mgr = tokens_->newUser("mgr", &mgr_guid);
  grant(mgr_guid, "organization_manager", o);
  const std::string dev = member("dev", o, s, "space_developer");
  auto q = call(mgr, "POST", "/v3/space_quotas",
                json{{"name", "tiny"},
                     {"apps", {{"total_instances", 2}}},
                     {"routes", {{"total_routes", 1}}},
                     {"relationships", {{"organization", rel(o)}}}});
  ASSERT_EQ(q.status, 201) << q.body;
  const std::string quota = q.body["guid"];
  EXPECT_EQ(call(dev, "POST", "/v3/space_quotas",
                 json{{"name", "x"}, {"relationships", {{"organization", rel(o)}}}})
                .status,
            403);
  ASSERT_EQ(call(mgr, "POST", "/v3/space_quotas/" + quota + "/relationships/spaces",
                 json{{"data", json::array({{{"guid", s}}})}})
                .status,
            200);
  const std::string a = app(dev, s, "a");
  giveDroplet(a);
  ASSERT_EQ(call(dev, "POST", "/v3/processes/" + webProcess(a) + "/actions/scale",
                 json{{"instances", 3}, {"memory_in_mb", 64}})
                .status,
            202);
  auto start = call(dev, "POST", "/v3/apps/" + a + "/actions/start");
  EXPECT_EQ(detail(start), "app_instance_limit space_app_instance_limit_exceeded");
  ASSERT_EQ(call(dev, "POST", "/v3/processes/" + webProcess(a) + "/actions/scale",
                 json{{"instances", 2}})
                .status,
            202);
  EXPECT_EQ(call(dev, "POST", "/v3/apps/" + a + "/actions/start").status, 200);
  auto route = [&](const std::string& host) {
    return call(dev, "POST", "/v3/routes",
                json{{"host", host}, {"relationships", {{"space", rel(s)}, {"domain", rel(domain_)}}}});
  };
  EXPECT_EQ(route("one").status, 201);
  EXPECT_EQ(detail(route("two")), "Routes quota exceeded for space 's'.");
  // Removing the quota lifts the limit; it can't be applied outside its org.
  EXPECT_EQ(call(mgr, "DELETE", "/v3/space_quotas/" + quota + "/relationships/spaces/" + s).status,
            204);
  EXPECT_EQ(route("two").status, 201);
  const std::string o2 = org("elsewhere"), s2 = space(o2, "s");
  EXPECT_EQ(admin("POST", "/v3/space_quotas/" + quota + "/relationships/spaces",
                  json{{"data", json::array({{{"guid", s2}}})}})
                .status,
            422);
  (void)other;
}

TEST_F(TenancyTest, AuditEventsRecordWhoDidWhat) {
  const std::string o = org("audited"), s = space(o, "s");
  const std::string dev = member("dev", o, s, "space_developer");
  const std::string a = app(dev, s, "a");
  giveDroplet(a);
  call(dev, "POST", "/v3/apps/" + a + "/actions/start");
  auto events = call(dev, "GET", "/v3/audit_events?target_guids=" + a);
  ASSERT_EQ(events.status, 200);
  std::vector<std::string> types;
  for (const auto& e : events.body["resources"]) {
    types.push_back(e["type"]);
    EXPECT_EQ(e["actor"]["name"], "dev");
    EXPECT_EQ(e["space"]["guid"], s);
    EXPECT_EQ(e["organization"]["guid"], o);
  }
  EXPECT_EQ(types, (std::vector<std::string>{"audit.app.create", "audit.app.start"}));
}

TEST_F(TenancyTest, OrgDeleteIsAJobThatTakesEverythingWithIt) {
  const std::string o = org("gone"), s = space(o, "s");
  const std::string dev = member("dev", o, s, "space_developer");
  const std::string a = app(dev, s, "a");
  auto r = admin("DELETE", "/v3/organizations/" + o);
  ASSERT_EQ(r.status, 202);
  const std::string job = test_support::ApiHarness::jobPath(r);
  EXPECT_EQ(admin("GET", job).body["state"], "COMPLETE");
  EXPECT_EQ(admin("GET", job).body["operation"], "organization.delete");
  EXPECT_EQ(admin("GET", "/v3/organizations/" + o).status, 404);
  EXPECT_EQ(admin("GET", "/v3/spaces/" + s).status, 404);
  EXPECT_EQ(admin("GET", "/v3/apps/" + a).status, 404);
  EXPECT_EQ(call(dev, "GET", "/v3/roles").body["resources"].size(), 0u);
}

TEST_F(TenancyTest, PrivateDomainsBelongToTheirOrgAndCountAgainstItsQuota) {
  const std::string o1 = org("d1"), s1 = space(o1, "s");
  const std::string o2 = org("d2"), s2 = space(o2, "s");
  std::string mgr_guid;
  const std::string mgr = tokens_->newUser("mgr", &mgr_guid);
  grant(mgr_guid, "organization_manager", o1);
  const std::string bob = member("bob", o2, s2, "space_developer");
  auto q = admin("POST", "/v3/organization_quotas",
                 json{{"name", "one-domain"},
                      {"domains", {{"total_domains", 1}}},
                      {"relationships", {{"organizations", {{"data", json::array({{{"guid", o1}}})}}}}}});
  ASSERT_EQ(q.status, 201) << q.body;
  auto domain = [&](const std::string& auth, const std::string& name) {
    return call(auth, "POST", "/v3/domains",
                json{{"name", name}, {"relationships", {{"organization", rel(o1)}}}});
  };
  // Shared domains are the operator's; an org manager adds private ones up to the quota.
  EXPECT_EQ(call(mgr, "POST", "/v3/domains", json{{"name", "shared.example"}}).status, 403);
  const std::string d = created(domain(mgr, "acme.example"));
  auto second = domain(mgr, "acme2.example");
  EXPECT_EQ(second.status, 422);
  EXPECT_EQ(detail(second), "The number of private domains exceeds the quota for organization \"d1\"");
  // Another org neither sees it nor routes on it.
  EXPECT_EQ(call(bob, "GET", "/v3/domains/" + d).status, 404);
  const json bobs_domains = call(bob, "GET", "/v3/domains").body["resources"];
  for (const auto& dd : bobs_domains) EXPECT_NE(dd["guid"], d);
  EXPECT_EQ(call(bob, "POST", "/v3/routes",
                 json{{"host", "x"}, {"relationships", {{"space", rel(s2)}, {"domain", rel(d)}}}})
                .status,
            422);
  EXPECT_EQ(domain(bob, "evil.example").status, 404);
  (void)s1;
}

TEST_F(TenancyTest, RemovingARoleTakesTheAccessAway) {
  const std::string o = org("r"), s = space(o, "s");
  const std::string dev = member("dev", o, s, "space_developer");
  const std::string a = app(dev, s, "a");
  auto roles = admin("GET", "/v3/roles?types=space_developer&space_guids=" + s + "&include=user");
  ASSERT_EQ(roles.body["resources"].size(), 1u);
  EXPECT_EQ(roles.body["included"]["users"][0]["username"], "dev");
  const std::string role = roles.body["resources"][0]["guid"];
  EXPECT_EQ(admin("DELETE", "/v3/roles/" + role).status, 202);
  EXPECT_EQ(call(dev, "GET", "/v3/apps/" + a).status, 404);
  EXPECT_EQ(call(dev, "GET", "/v3/apps").body["resources"].size(), 0u);
}

TEST_F(TenancyTest, GlobalAuditorsAndReadOnlyAdminsReadEverythingAndChangeNothing) {
  const std::string o = org("g"), s = space(o, "s");
  std::string dev_guid;
  const std::string dev = tokens_->newUser("dev", &dev_guid);
  grant(dev_guid, "organization_user", o);
  grant(dev_guid, "space_developer", s);
  const std::string a = app(dev, s, "a");
  std::string auditor_guid, reader_guid;
  tokens_->newUser("auditor", &auditor_guid);
  tokens_->newUser("reader", &reader_guid);
  // The global roles are UAA group memberships, given by admins only.
  EXPECT_EQ(call(dev, "POST", "/uaa/Groups/cloud_controller.admin/members",
                 json{{"value", dev_guid}})
                .status,
            403);
  ASSERT_EQ(admin("POST", "/uaa/Groups/cloud_controller.global_auditor/members",
                  json{{"value", auditor_guid}})
                .status,
            201);
  ASSERT_EQ(admin("POST", "/uaa/Groups/cloud_controller.admin_read_only/members",
                  json{{"value", reader_guid}})
                .status,
            201);
  EXPECT_EQ(admin("POST", "/uaa/Groups/no.such.group/members", json{{"value", reader_guid}}).status,
            404);
  // The scope arrives with the next token.
  const std::string auditor = tokens_->bearer("auditor", "auditor-pw");
  const std::string reader = tokens_->bearer("reader", "reader-pw");
  for (const auto* who : {&auditor, &reader}) {
    EXPECT_EQ(call(*who, "GET", "/v3/apps/" + a).status, 200);
    EXPECT_EQ(call(*who, "GET", "/v3/organizations/" + o).status, 200);
    EXPECT_EQ(call(*who, "GET", "/v3/apps").body["pagination"]["total_results"], 1);
    EXPECT_EQ(call(*who, "PATCH", "/v3/apps/" + a, json{{"name", "x"}}).status, 403);
    EXPECT_EQ(call(*who, "POST", "/v3/organizations", json{{"name", "mine"}}).status, 403);
    EXPECT_EQ(call(*who, "DELETE", "/v3/apps/" + a).status, 403);
  }
  // Read-only admins read secrets; global auditors do not.
  EXPECT_EQ(call(reader, "GET", "/v3/apps/" + a + "/env").status, 200);
  EXPECT_EQ(call(auditor, "GET", "/v3/apps/" + a + "/env").status, 403);
  // Taken away, the next token no longer has it.
  EXPECT_EQ(admin("DELETE", "/uaa/Groups/cloud_controller.global_auditor/members/" + auditor_guid)
                .status,
            200);
  EXPECT_EQ(call(tokens_->bearer("auditor", "auditor-pw"), "GET", "/v3/apps/" + a).status, 404);
}

}  // namespace
}  // namespace foundry::control
