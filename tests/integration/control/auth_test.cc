// The real controller's token service and tenancy over HTTP, as the cf CLI meets them: the
// first admin's generated password (0600, never in a log), the password grant with client "cf",
// expiry and refresh (a CLI session survives expiry), tampered tokens, the signing key kept
// across a restart, and a developer's push through apply_manifest in their own org.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>
#include <thread>

#include "tests/test_common/child_process.h"
#include "tests/test_common/controller_login.h"
#include "tests/test_common/ports.h"

namespace foundry::test {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using namespace std::chrono_literals;

class ControllerAuthTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/control-auth-it-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    port_ = freeTcpPort();
    base_ = "http://127.0.0.1:" + std::to_string(port_);
  }
  void TearDown() override {
    if (controller_) controller_->stop();
    if (HasFailure()) {
      std::cerr << "kept " << dir_ << "\n" << (controller_ ? controller_->logs() : "") << "\n";
    } else {
      fs::remove_all(dir_);
    }
  }

  void start(std::vector<std::string> extra = {}) {
    if (controller_) controller_->stop();
    std::vector<std::string> args = {"--listen", "127.0.0.1:" + std::to_string(port_),
                                     "--data-dir", dir_ + "/data", "--scheduler", ""};
    args.insert(args.end(), extra.begin(), extra.end());
    controller_ = std::make_unique<ChildProcess>("controller", CONTROLLER_BINARY, args, dir_);
    ASSERT_TRUE(controller_->start());
    ASSERT_TRUE(waitHttpOk(base_ + "/v3", 10s)) << controller_->logs();
  }

  net::HttpResponse call(const std::string& bearer, const std::string& method,
                         const std::string& path, const std::string& body = "",
                         const std::string& type = "application/json") {
    net::HttpRequest r;
    r.method = method;
    r.url = base_ + path;
    r.body = body;
    if (!body.empty()) r.headers = {{"Content-Type", type}};
    if (!bearer.empty()) r.headers.emplace_back("Authorization", bearer);
    return net::perform(r);
  }
  json callJson(const std::string& bearer, const std::string& method, const std::string& path,
                const json& body = nullptr, long want = 0) {
    auto r = call(bearer, method, path, body.is_null() ? "" : body.dump());
    if (want) {
      EXPECT_EQ(r.status, want) << method << " " << path << " " << r.body;
    }
    return r.body.empty() ? json() : json::parse(r.body, nullptr, false);
  }
  json token(const std::string& form) {
    net::HttpRequest r;
    r.method = "POST";
    r.url = base_ + "/uaa/oauth/token";
    r.headers = {{"Content-Type", "application/x-www-form-urlencoded"},
                 {"Authorization", "Basic Y2Y6"}};
    r.body = form;
    auto resp = net::perform(r);
    json j = json::parse(resp.body, nullptr, false);
    j["_status"] = resp.status;
    return j;
  }

  std::string dir_, base_;
  uint16_t port_ = 0;
  std::unique_ptr<ChildProcess> controller_;
};

TEST_F(ControllerAuthTest, GeneratedAdminPasswordIsPrivateAndNeverLogged) {
  start();
  const std::string file = dir_ + "/data/admin-password";
  struct stat st {};
  ASSERT_EQ(stat(file.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  std::ifstream in(file);
  std::string password;
  std::getline(in, password);
  ASSERT_GE(password.size(), 20u);
  auto printed = [&] {
    std::string logs = controller_->logs();
    size_t n = 0, at = 0;
    while ((at = logs.find(password, at)) != std::string::npos) ++n, ++at;
    return n;
  };
  // stdout is the log file here, not a terminal: it names the file, never the password.
  EXPECT_EQ(printed(), 0u);
  EXPECT_NE(controller_->logs().find("admin password generated into"), std::string::npos);
  struct stat key {};
  ASSERT_EQ(stat((dir_ + "/data/token-signing-key.pem").c_str(), &key), 0);
  EXPECT_EQ(key.st_mode & 0777, 0600u);
  EXPECT_FALSE(loginBearer(base_, "admin", password).empty());
  EXPECT_TRUE(loginBearer(base_, "admin", "wrong").empty());
  start();
  EXPECT_EQ(printed(), 0u);
  EXPECT_FALSE(loginBearer(base_, "admin", password).empty());
}

TEST_F(ControllerAuthTest, ExpiryRefreshTamperingAndRestart) {
  auto flags = adminPasswordFlags(dir_);
  flags.push_back("--access-token-ttl");
  flags.push_back("3");  // whole seconds: a token lives between 2 and 3 s
  start(flags);
  json t = token(std::string("grant_type=password&username=admin&password=") + kTestAdminPassword);
  ASSERT_EQ(t["_status"], 200) << t;
  const std::string access = "bearer " + t["access_token"].get<std::string>();
  EXPECT_EQ(call(access, "GET", "/v3/organizations").status, 200);
  EXPECT_EQ(call("", "GET", "/v3/organizations").status, 401);
  // Tampered: flip a character of the signature.
  std::string tampered = access;
  tampered.back() = tampered.back() == 'A' ? 'B' : 'A';
  auto bad = callJson(tampered, "GET", "/v3/organizations", nullptr, 401);
  EXPECT_EQ(bad["errors"][0]["title"], "CF-InvalidAuthToken");
  // Expired after its life: the CLI's cue to refresh.
  std::this_thread::sleep_for(3100ms);
  auto expired = callJson(access, "GET", "/v3/organizations", nullptr, 401);
  EXPECT_EQ(expired["errors"][0]["title"], "CF-InvalidAuthToken");
  json r = token("grant_type=refresh_token&refresh_token=" + t["refresh_token"].get<std::string>());
  ASSERT_EQ(r["_status"], 200) << r;
  const std::string renewed = "bearer " + r["access_token"].get<std::string>();
  EXPECT_EQ(call(renewed, "GET", "/v3/organizations").status, 200);
  // The key survives a restart: a refresh token from before still works after it.
  start(flags);
  json after = token("grant_type=refresh_token&refresh_token=" + r["refresh_token"].get<std::string>());
  EXPECT_EQ(after["_status"], 200) << after;
}

TEST_F(ControllerAuthTest, DeveloperPushesThroughApplyManifestInTheirOwnOrg) {
  start(adminPasswordFlags(dir_));
  const std::string admin = loginBearer(base_);
  ASSERT_FALSE(admin.empty());
  // What cf create-org, create-space, create-user and set-space-role send.
  const std::string org = callJson(admin, "POST", "/v3/organizations", {{"name", "acme"}}, 201)["guid"];
  const std::string space = callJson(admin, "POST", "/v3/spaces",
                                     {{"name", "dev"},
                                      {"relationships", {{"organization", {{"data", {{"guid", org}}}}}}}},
                                     201)["guid"];
  json scim = callJson(admin, "POST", "/uaa/Users",
                       {{"userName", "dana"}, {"password", "dana-pw"}, {"origin", "uaa"},
                        {"emails", json::array({{{"value", "dana@example.com"}}})}},
                       201);
  const std::string user = scim["id"];
  callJson(admin, "POST", "/v3/users", {{"guid", user}}, 201);
  for (auto [type, kind, guid] : {std::tuple{"organization_user", "organization", org},
                                  std::tuple{"space_developer", "space", space}}) {
    callJson(admin, "POST", "/v3/roles",
             {{"type", type},
              {"relationships",
               {{"user", {{"data", {{"username", "dana"}, {"origin", "uaa"}}}}},
                {kind, {{"data", {{"guid", guid}}}}}}}},
             201);
  }
  const std::string dana = loginBearer(base_, "dana", "dana-pw");
  ASSERT_FALSE(dana.empty());
  // cf target: the org and space are visible, nothing else.
  json orgs = callJson(dana, "GET", "/v3/organizations", nullptr, 200);
  ASSERT_EQ(orgs["resources"].size(), 1u);
  EXPECT_EQ(orgs["resources"][0]["name"], "acme");
  // cf push: apply_manifest (YAML), poll the job, find the app.
  auto applied = call(dana, "POST", "/v3/spaces/" + space + "/actions/apply_manifest",
                      "---\napplications:\n- name: hello\n  instances: 2\n  memory: 64M\n"
                      "  default-route: true\n",
                      "application/x-yaml");
  ASSERT_EQ(applied.status, 202) << applied.body;
  std::string location;
  for (const auto& [k, v] : applied.headers) {
    if (k == "Location" || k == "location") location = v;
  }
  ASSERT_EQ(location.rfind(base_ + "/v3/jobs/", 0), 0u) << location;
  json job = callJson(dana, "GET", location.substr(base_.size()), nullptr, 200);
  EXPECT_EQ(job["state"], "COMPLETE") << job;
  json apps = callJson(dana, "GET", "/v3/apps?names=hello&space_guids=" + space, nullptr, 200);
  ASSERT_EQ(apps["resources"].size(), 1u);
  const std::string app = apps["resources"][0]["guid"];
  json web = callJson(dana, "GET", "/v3/apps/" + app + "/processes/web", nullptr, 200);
  EXPECT_EQ(web["instances"], 2);
  EXPECT_EQ(web["memory_in_mb"], 64);
  json routes = callJson(dana, "GET", "/v3/apps/" + app + "/routes", nullptr, 200);
  ASSERT_EQ(routes["resources"].size(), 1u);
  EXPECT_EQ(routes["resources"][0]["host"], "hello");
  // The default org's space is not dana's: 404 for apply_manifest there.
  json spaces = callJson(admin, "GET", "/v3/spaces?names=default", nullptr, 200);
  const std::string other = spaces["resources"][0]["guid"];
  EXPECT_EQ(call(dana, "POST", "/v3/spaces/" + other + "/actions/apply_manifest",
                 "applications:\n- name: x\n", "application/x-yaml")
                .status,
            404);
  // Events show who did it.
  json events = callJson(dana, "GET", "/v3/audit_events?target_guids=" + app, nullptr, 200);
  ASSERT_FALSE(events["resources"].empty());
  EXPECT_EQ(events["resources"][0]["actor"]["name"], "dana");
}

}  // namespace
}  // namespace foundry::test
