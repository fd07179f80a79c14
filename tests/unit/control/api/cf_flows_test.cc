// The requests the real cf CLI v8 sends for push (apply_manifest + its job) and env, replayed
// against Api::handle (PLATFORM-APIS.md B.4), with the roles that may and may not send them.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "control/api/api.h"
#include "control/store/sqlite_store.h"
#include "tests/unit/control/api_harness.h"

namespace foundry::control {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

class CfFlowsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    space_ = h_.api().defaultSpaceGuid();
    std::string org = call(tokens_->admin, "GET", "/v3/organizations").body["resources"][0]["guid"];
    std::string guid;
    dev_ = tokens_->newUser("dev", &guid);
    role(guid, "organization_user", "organization", org);
    role(guid, "space_developer", "space", space_);
    auditor_ = tokens_->newUser("auditor", &guid);
    role(guid, "organization_user", "organization", org);
    role(guid, "space_auditor", "space", space_);
  }
  void role(const std::string& user, const std::string& type, const std::string& kind,
            const std::string& where) {
    json r = {{"type", type},
              {"relationships",
               {{"user", {{"data", {{"guid", user}}}}}, {kind, {{"data", {{"guid", where}}}}}}}};
    ASSERT_EQ(call(tokens_->admin, "POST", "/v3/roles", r.dump()).status, 201);
  }
  ApiResponse call(const std::string& auth, const std::string& method, const std::string& target,
                   const std::string& body = "", const std::string& type = "application/json") {
    return h_.call(auth, method, target, body, type);
  }
  json job(const ApiResponse& r) {
    EXPECT_EQ(r.status, 202) << r.body;
    return call(dev_, "GET", test_support::ApiHarness::jobPath(r)).body;
  }
  json appNamed(const std::string& name) {
    auto r = call(dev_, "GET", "/v3/apps?names=" + name + "&space_guids=" + space_);
    return r.body["resources"].empty() ? json() : r.body["resources"][0];
  }

  test_support::ApiHarness h_{"cfflows"};
  test_support::TestTokens* tokens_ = &h_.tokens();
  std::string space_, dev_, auditor_;
};

TEST_F(CfFlowsTest, ApplyManifestCreatesAndConfiguresTheApp) {
  const std::string manifest = R"(---
applications:
- name: web
  instances: 3
  memory: 256M
  disk_quota: 512M
  command: node server.js
  health-check-type: http
  health-check-http-endpoint: /health
  timeout: 30
  buildpacks: [nodejs_buildpack]
  env:
    GREETING: hello
  default-route: true
  metadata: {labels: {team: a}}
- name: worker
  no-route: true
  instances: 2
)";
  auto diff = call(dev_, "POST", "/v3/spaces/" + space_ + "/manifest_diff", manifest,
                   "application/x-yaml");
  EXPECT_EQ(diff.status, 201);
  json j = job(call(dev_, "POST", "/v3/spaces/" + space_ + "/actions/apply_manifest", manifest,
                    "application/x-yaml"));
  EXPECT_EQ(j["state"], "COMPLETE") << j;
  EXPECT_EQ(j["operation"], "space.apply_manifest");

  json web = appNamed("web");
  ASSERT_FALSE(web.is_null());
  EXPECT_EQ(web["lifecycle"]["data"]["buildpacks"], json::array({"nodejs_buildpack"}));
  json p = call(dev_, "GET", "/v3/apps/" + web["guid"].get<std::string>() + "/processes/web").body;
  EXPECT_EQ(p["instances"], 3);
  EXPECT_EQ(p["memory_in_mb"], 256);
  EXPECT_EQ(p["disk_in_mb"], 512);
  EXPECT_EQ(p["command"], "node server.js");
  EXPECT_EQ(p["health_check"]["type"], "http");
  EXPECT_EQ(p["health_check"]["data"]["endpoint"], "/health");
  EXPECT_EQ(p["health_check"]["data"]["timeout"], 30);
  // default-route: host = app name on the default domain.
  json routes = call(dev_, "GET", "/v3/apps/" + web["guid"].get<std::string>() + "/routes").body;
  ASSERT_EQ(routes["resources"].size(), 1u);
  EXPECT_EQ(routes["resources"][0]["url"], "web.apps.internal");
  json env = call(dev_, "GET", "/v3/apps/" + web["guid"].get<std::string>() + "/env").body;
  EXPECT_EQ(env["environment_variables"]["GREETING"], "hello");
  EXPECT_EQ(env["application_env_json"]["VCAP_APPLICATION"]["application_name"], "web");

  json worker = appNamed("worker");
  ASSERT_FALSE(worker.is_null());
  EXPECT_EQ(call(dev_, "GET", "/v3/apps/" + worker["guid"].get<std::string>() + "/routes")
                .body["resources"]
                .size(),
            0u);

  // Applying again changes what changed, creates nothing twice, keeps the route.
  json again = job(call(dev_, "POST", "/v3/spaces/" + space_ + "/actions/apply_manifest",
                        "applications:\n- name: web\n  instances: 1\n  default-route: true\n",
                        "application/x-yaml"));
  EXPECT_EQ(again["state"], "COMPLETE") << again;
  EXPECT_EQ(call(dev_, "GET", "/v3/apps?names=web").body["pagination"]["total_results"], 1);
  EXPECT_EQ(call(dev_, "GET", "/v3/apps/" + web["guid"].get<std::string>() + "/processes/web")
                .body["instances"],
            1);
  EXPECT_EQ(call(dev_, "GET", "/v3/routes").body["pagination"]["total_results"], 1);
}

TEST_F(CfFlowsTest, ExplicitRoutesAndNoRoute) {
  json j = job(call(dev_, "POST", "/v3/spaces/" + space_ + "/actions/apply_manifest",
                    "applications:\n- name: api\n  routes:\n  - route: api.apps.internal/v1\n"
                    "  - route: API2.apps.internal\n",
                    "application/x-yaml"));
  ASSERT_EQ(j["state"], "COMPLETE") << j;
  const std::string app = appNamed("api")["guid"];
  json routes = call(dev_, "GET", "/v3/apps/" + app + "/routes").body;
  ASSERT_EQ(routes["resources"].size(), 2u);
  EXPECT_EQ(routes["resources"][0]["url"], "api.apps.internal/v1");
  EXPECT_EQ(routes["resources"][1]["url"], "api2.apps.internal");
  // no-route unmaps them (the routes stay, as in CC).
  j = job(call(dev_, "POST", "/v3/spaces/" + space_ + "/actions/apply_manifest",
               "applications:\n- name: api\n  no-route: true\n", "application/x-yaml"));
  ASSERT_EQ(j["state"], "COMPLETE") << j;
  EXPECT_EQ(call(dev_, "GET", "/v3/apps/" + app + "/routes").body["resources"].size(), 0u);
  EXPECT_EQ(call(dev_, "GET", "/v3/routes").body["resources"].size(), 2u);
  // A route on a domain that does not exist fails the job with the reason.
  j = job(call(dev_, "POST", "/v3/spaces/" + space_ + "/actions/apply_manifest",
               "applications:\n- name: api\n  routes:\n  - route: x.nowhere.example\n",
               "application/x-yaml"));
  EXPECT_EQ(j["state"], "FAILED");
  EXPECT_NE(j["errors"][0]["detail"].get<std::string>().find("did not match any existing domains"),
            std::string::npos)
      << j;
}

TEST_F(CfFlowsTest, BadManifestsAnd422) {
  for (const char* bad : {"not: [valid", "applications: []", "applications:\n- instances: 2\n",
                          "applications:\n- name: x\n  memory: lots\n",
                          "applications:\n- name: x\n  no-route: true\n  routes: [{route: a.b}]\n"}) {
    auto r = call(dev_, "POST", "/v3/spaces/" + space_ + "/actions/apply_manifest", bad,
                  "application/x-yaml");
    EXPECT_EQ(r.status, 422) << bad << " " << r.body;
  }
  EXPECT_EQ(call(dev_, "GET", "/v3/apps").body["resources"].size(), 0u);
}

TEST_F(CfFlowsTest, AuditorsCannotPushOrReadEnv) {
  auto r = call(auditor_, "POST", "/v3/spaces/" + space_ + "/actions/apply_manifest",
                "applications:\n- name: sneaky\n", "application/x-yaml");
  EXPECT_EQ(r.status, 403);
  json j = job(call(dev_, "POST", "/v3/spaces/" + space_ + "/actions/apply_manifest",
                    "applications:\n- name: app\n  env: {DB_PASSWORD: s3cret}\n",
                    "application/x-yaml"));
  ASSERT_EQ(j["state"], "COMPLETE");
  const std::string app = appNamed("app")["guid"];
  EXPECT_EQ(call(auditor_, "GET", "/v3/apps/" + app).status, 200);
  EXPECT_EQ(call(auditor_, "GET", "/v3/apps/" + app + "/env").status, 403);
  EXPECT_EQ(call(auditor_, "GET", "/v3/apps/" + app + "/environment_variables").status, 403);
  EXPECT_EQ(call(auditor_, "PATCH", "/v3/apps/" + app + "/environment_variables",
                 R"({"var":{"X":"1"}})")
                .status,
            403);
  // The audit trail names the keys it changed, never the values.
  auto events = call(dev_, "GET", "/v3/audit_events?target_guids=" + app);
  EXPECT_EQ(events.body.dump().find("s3cret"), std::string::npos);
}

TEST_F(CfFlowsTest, SetAndUnsetEnv) {
  json j = job(call(dev_, "POST", "/v3/spaces/" + space_ + "/actions/apply_manifest",
                    "applications:\n- name: app\n", "application/x-yaml"));
  const std::string app = appNamed("app")["guid"];
  auto set = call(dev_, "PATCH", "/v3/apps/" + app + "/environment_variables",
                  R"({"var":{"A":"1","B":"2"}})");
  ASSERT_EQ(set.status, 200) << set.body;
  EXPECT_EQ(set.body["var"], json({{"A", "1"}, {"B", "2"}}));
  auto unset = call(dev_, "PATCH", "/v3/apps/" + app + "/environment_variables", R"({"var":{"A":null}})");
  EXPECT_EQ(unset.body["var"], json({{"B", "2"}}));
  EXPECT_EQ(call(dev_, "PATCH", "/v3/apps/" + app + "/environment_variables",
                 R"({"var":{"VCAP_SERVICES":"x"}})")
                .status,
            422);
}

}  // namespace
}  // namespace foundry::control
