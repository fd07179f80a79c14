// The CLI's login plumbing: the config file's mode (it holds tokens), cf's role names, the
// token-refresh decision, reading a token's claims, quota flags, and CcClient's refresh-once-
// and-retry against a fake CC + UAA.
#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <mutex>
#include <sstream>

#include "cli/api/auth.h"
#include "cli/api/cc_client.h"
#include "cli/commands/context.h"
#include "cli/commands/quotas.h"
#include "cli/commands/roles.h"
#include "cli/config/config.h"
#include "tests/test_common/fake_backend.h"

namespace foundry::cli {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// FOUNDRY_HOME pointed at a fresh temp dir for the test's lifetime.
class TempHome {
 public:
  TempHome() {
    char tmpl[] = "/tmp/cli-unit-XXXXXX";
    dir_ = mkdtemp(tmpl);
    const char* old = getenv("FOUNDRY_HOME");
    if (old) old_ = old;
    setenv("FOUNDRY_HOME", dir_.c_str(), 1);
  }
  ~TempHome() {
    if (old_) {
      setenv("FOUNDRY_HOME", old_->c_str(), 1);
    } else {
      unsetenv("FOUNDRY_HOME");
    }
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  const fs::path& dir() const { return dir_; }

 private:
  fs::path dir_;
  std::optional<std::string> old_;
};

mode_t fileMode(const fs::path& path) {
  struct stat st {};
  EXPECT_EQ(::stat(path.c_str(), &st), 0) << path;
  return st.st_mode & 0777;
}

// A JWT-shaped token with these claims (unsigned: the CLI only reads them).
std::string fakeToken(const json& claims) {
  auto b64url = [](const std::string& s) {
    std::string out = base64Encode(s);
    for (auto& c : out) c = c == '+' ? '-' : c == '/' ? '_' : c;
    while (!out.empty() && out.back() == '=') out.pop_back();
    return out;
  };
  return b64url(R"({"alg":"RS256","typ":"JWT"})") + "." + b64url(claims.dump()) + ".c2ln";
}

TEST(CliConfig, IsWrittenWithMode0600AndReadBack) {
  TempHome home;
  Config config;
  config.api = "http://127.0.0.1:9022";
  config.uaa_url = "http://127.0.0.1:9022/uaa";
  config.access_token = "access.token.value";
  config.refresh_token = "refresh.token.value";
  config.grant_type = "password";
  config.org_guid = "o-1";
  config.org_name = "acme";
  config.space_guid = "s-1";
  config.space_name = "dev";
  ::umask(022);
  ASSERT_TRUE(saveConfig(config));
  EXPECT_EQ(fileMode(configFile()), 0600u);
  EXPECT_EQ(fileMode(configDirectory()), 0700u);
  auto loaded = loadConfig();
  ASSERT_TRUE(loaded);
  EXPECT_EQ(loaded->access_token, "access.token.value");
  EXPECT_EQ(loaded->refresh_token, "refresh.token.value");
  EXPECT_EQ(loaded->uaa_url, config.uaa_url);
  EXPECT_EQ(loaded->org_name, "acme");
  EXPECT_EQ(loaded->space_guid, "s-1");
  EXPECT_TRUE(loaded->loggedIn());
}

TEST(CliConfig, AnExistingWorldReadableFileIsTightened) {
  TempHome home;
  std::ofstream(configFile()) << R"({"api":"http://x","access_token":"t"})";
  ::chmod(configFile().c_str(), 0644);
  auto loaded = loadConfig();
  ASSERT_TRUE(loaded);
  EXPECT_EQ(loaded->access_token, "t");
  EXPECT_EQ(fileMode(configFile()), 0600u);
  // Saving over a 0644 file leaves a 0600 one (a stale temp file does not leak its mode).
  ::chmod(configFile().c_str(), 0644);
  std::ofstream(fs::path(configFile()).concat(".tmp")) << "stale";
  ::chmod(fs::path(configFile()).concat(".tmp").c_str(), 0666);
  ASSERT_TRUE(saveConfig(*loaded));
  EXPECT_EQ(fileMode(configFile()), 0600u);
}

TEST(CliConfig, ClearingTheLoginAndTarget) {
  Config c;
  c.access_token = "a";
  c.refresh_token = "r";
  c.client_secret = "s";
  c.org_guid = "o";
  c.space_guid = "s";
  c.clearSpace();
  EXPECT_EQ(c.org_guid, "o");
  EXPECT_TRUE(c.space_guid.empty());
  c.clearTokens();
  c.clearOrg();
  EXPECT_FALSE(c.loggedIn());
  EXPECT_TRUE(c.refresh_token.empty());
  EXPECT_TRUE(c.client_secret.empty());
  EXPECT_TRUE(c.org_guid.empty());
}

TEST(CliRoles, OrgRoleNamesMapToV3Types) {
  EXPECT_EQ(*orgRoleType("OrgManager"), "organization_manager");
  EXPECT_EQ(*orgRoleType("BillingManager"), "organization_billing_manager");
  EXPECT_EQ(*orgRoleType("OrgAuditor"), "organization_auditor");
  EXPECT_EQ(*orgRoleType("orgmanager"), "organization_manager");  // cf is case-insensitive
  for (const char* bad : {"OrgUser", "SpaceManager", "", "Manager"}) {
    auto type = orgRoleType(bad);
    EXPECT_FALSE(type) << bad;
    EXPECT_NE(type.error().find("ROLE must be"), std::string::npos);
  }
}

TEST(CliRoles, SpaceRoleNamesMapToV3Types) {
  EXPECT_EQ(*spaceRoleType("SpaceManager"), "space_manager");
  EXPECT_EQ(*spaceRoleType("SpaceDeveloper"), "space_developer");
  EXPECT_EQ(*spaceRoleType("SpaceAuditor"), "space_auditor");
  EXPECT_EQ(*spaceRoleType("SPACESUPPORTER"), "space_supporter");
  EXPECT_FALSE(spaceRoleType("OrgManager"));
  EXPECT_EQ(roleCliName("organization_user"), "OrgUser");
  EXPECT_EQ(roleCliName("space_developer"), "SpaceDeveloper");
  EXPECT_EQ(roleHeading("organization_manager"), "ORG MANAGER");
  EXPECT_EQ(roleHeading("organization_billing_manager"), "BILLING MANAGER");
  EXPECT_EQ(roleHeading("space_supporter"), "SPACE SUPPORTER");
  EXPECT_TRUE(isRoleAlreadyExists(
      "User 'dev' already has 'space_developer' role in space 'dev'."));
  EXPECT_FALSE(isRoleAlreadyExists("Invalid user."));
}

TEST(CliAuth, RefreshOnlyForAnInvalidTokenNotForAMissingOne) {
  json expired = {{"errors", {{{"code", 1000}, {"title", "CF-InvalidAuthToken"},
                               {"detail", "Invalid Auth Token"}}}}};
  json missing = {{"errors", {{{"code", 10002}, {"title", "CF-NotAuthenticated"},
                               {"detail", "Authentication error"}}}}};
  json forbidden = {{"errors", {{{"code", 10003}, {"title", "CF-NotAuthorized"},
                                 {"detail", "You are not authorized"}}}}};
  EXPECT_TRUE(shouldRefreshToken(401, expired));
  EXPECT_FALSE(shouldRefreshToken(401, missing));
  EXPECT_FALSE(shouldRefreshToken(403, forbidden));
  EXPECT_FALSE(shouldRefreshToken(403, expired));  // only a 401
  EXPECT_FALSE(shouldRefreshToken(401, json()));
  EXPECT_FALSE(shouldRefreshToken(401, json("not json")));
  // UAA's SCIM endpoints say it their way.
  EXPECT_TRUE(shouldRefreshToken(401, {{"error", "invalid_token"}}));
  EXPECT_FALSE(shouldRefreshToken(401, {{"error", "unauthorized"}}));
  EXPECT_EQ(errorMessage(401, missing.dump()), kNotLoggedIn);
}

TEST(CliAuth, ReadsTheUserFromTheTokenClaims) {
  std::string user = fakeToken({{"user_name", "dev@example.com"},
                                {"user_id", "u-1"},
                                {"origin", "uaa"},
                                {"client_id", "cf"}});
  EXPECT_EQ(tokenUserName(user), "dev@example.com");
  EXPECT_EQ(tokenUserGuid(user), "u-1");
  EXPECT_EQ(tokenOrigin(user), "uaa");
  std::string client = fakeToken({{"client_id", "admin"}});
  EXPECT_EQ(tokenUserName(client), "admin");
  EXPECT_EQ(tokenUserGuid(client), "");
  EXPECT_EQ(tokenUserName("not-a-jwt"), "");
  EXPECT_TRUE(decodeTokenClaims("a.%%%.c").is_null());
}

TEST(CliAuth, EncodingHelpers) {
  EXPECT_EQ(base64Encode("cf:"), "Y2Y6");
  EXPECT_EQ(base64Encode(""), "");
  EXPECT_EQ(base64Encode("ab"), "YWI=");
  EXPECT_EQ(*base64UrlDecode("YWI"), "ab");
  EXPECT_EQ(*base64UrlDecode("YWI="), "ab");
  EXPECT_EQ(formEncode("a b&c=d+é"), "a%20b%26c%3Dd%2B%C3%A9");
}

TEST(CliQuotas, FlagsBecomeTheV3Body) {
  QuotaFlags flags;
  flags.total_memory = "2G";
  flags.instance_memory = "512M";
  flags.app_instances = "10";
  flags.routes = "-1";
  flags.service_instances = "0";
  auto body = quotaBody("small", flags);
  ASSERT_TRUE(body) << body.error();
  EXPECT_EQ((*body)["name"], "small");
  EXPECT_EQ((*body)["apps"]["total_memory_in_mb"], 2048);
  EXPECT_EQ((*body)["apps"]["per_process_memory_in_mb"], 512);
  EXPECT_EQ((*body)["apps"]["total_instances"], 10);
  EXPECT_TRUE((*body)["routes"]["total_routes"].is_null());
  EXPECT_EQ((*body)["services"]["total_service_instances"], 0);
  EXPECT_EQ((*body)["services"]["paid_services_allowed"], false);
  EXPECT_FALSE(body->contains("domains"));

  QuotaFlags bad;
  bad.total_memory = "2";
  EXPECT_NE(quotaBody("x", bad).error().find("unit of measurement"), std::string::npos);
  QuotaFlags bad_count;
  bad_count.app_instances = "ten";
  EXPECT_FALSE(quotaBody("x", bad_count));

  EXPECT_EQ(formatLimit(json(), true), "unlimited");
  EXPECT_EQ(formatLimit(2048, true), "2G");
  EXPECT_EQ(formatLimit(0, true), "0");
  EXPECT_EQ(formatLimit(7, false), "7");
}

// A fake CC + UAA: /v3/orgs needs token "new"; "old" is expired. The refresh grant turns
// refresh token "r1" into access "new" / refresh "r2".
class FakeController {
 public:
  FakeController() {
    backend_.setHandler([this](const test::BackendRequest& r) { return handle(r); });
  }
  std::string url() const { return "http://" + backend_.address(); }
  std::vector<test::BackendRequest> requests() const { return backend_.requests(); }
  int refreshes() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return refreshes_;
  }
  void refuseRefresh() {
    std::lock_guard<std::mutex> lock(mutex_);
    refuse_ = true;
  }

 private:
  test::BackendResponse json_reply(int status, const json& body) {
    auto r = test::BackendResponse::text(status, body.dump(), "application/json");
    return r;
  }
  test::BackendResponse handle(const test::BackendRequest& r) {
    if (r.method == "POST" && r.target == "/uaa/oauth/token") {
      std::lock_guard<std::mutex> lock(mutex_);
      ++refreshes_;
      if (refuse_ || r.header("Authorization").value_or("") != "Basic Y2Y6" ||
          r.body != "grant_type=refresh_token&refresh_token=r1") {
        return json_reply(401, {{"error", "invalid_token"}, {"error_description", "bad"}});
      }
      return json_reply(200, {{"access_token", "new"},
                              {"refresh_token", "r2"},
                              {"token_type", "bearer"},
                              {"expires_in", 1200}});
    }
    std::string auth = r.header("Authorization").value_or("");
    if (auth.empty()) {
      return json_reply(401, {{"errors", {{{"code", 10002}, {"title", "CF-NotAuthenticated"},
                                           {"detail", "Authentication error"}}}}});
    }
    if (auth != "bearer new") {
      return json_reply(401, {{"errors", {{{"code", 1000}, {"title", "CF-InvalidAuthToken"},
                                           {"detail", "Invalid Auth Token"}}}}});
    }
    return json_reply(200, {{"resources", json::array()}, {"pagination", json::object()}});
  }

  test::FakeBackend backend_{"fake-cc"};
  mutable std::mutex mutex_;
  int refreshes_ = 0;
  bool refuse_ = false;
};

TEST(CliAuth, AnExpiredTokenIsRefreshedOnceSavedAndTheRequestRetried) {
  TempHome home;
  FakeController cc;
  std::ostringstream out, err;
  Ui ui(out, err);
  Context context(ui);
  context.config().api = cc.url();
  context.config().uaa_url = cc.url() + "/uaa";
  context.config().access_token = "old";
  context.config().refresh_token = "r1";
  context.config().grant_type = "password";
  auto client = context.loggedInClient();
  ASSERT_TRUE(client);
  auto reply = client->get("/v3/organizations");
  ASSERT_TRUE(reply) << reply.error();
  EXPECT_EQ(reply->status, 200);
  EXPECT_EQ(cc.refreshes(), 1);
  // old -> 401, refresh, retry with the new token.
  auto log = cc.requests();
  ASSERT_EQ(log.size(), 3u);
  EXPECT_EQ(log[0].header("Authorization").value_or(""), "bearer old");
  EXPECT_EQ(log[2].header("Authorization").value_or(""), "bearer new");
  // Saved, so the next command starts with the new tokens.
  auto saved = loadConfig();
  ASSERT_TRUE(saved);
  EXPECT_EQ(saved->access_token, "new");
  EXPECT_EQ(saved->refresh_token, "r2");
  EXPECT_EQ(fileMode(configFile()), 0600u);
  // The next request needs no refresh.
  ASSERT_TRUE(client->get("/v3/organizations"));
  EXPECT_EQ(cc.refreshes(), 1);
  // Nothing printed a token.
  EXPECT_EQ(out.str().find("r1"), std::string::npos);
  EXPECT_EQ(err.str().find("new"), std::string::npos);
}

TEST(CliAuth, AFailedRefreshSaysNotLoggedInAndDoesNotLoop) {
  TempHome home;
  FakeController cc;
  cc.refuseRefresh();
  std::ostringstream out, err;
  Ui ui(out, err);
  Context context(ui);
  context.config().api = cc.url();
  context.config().uaa_url = cc.url() + "/uaa";
  context.config().access_token = "old";
  context.config().refresh_token = "r1";
  auto client = context.loggedInClient();
  ASSERT_TRUE(client);
  auto reply = client->get("/v3/organizations");
  ASSERT_FALSE(reply);
  EXPECT_EQ(reply.error(), kNotLoggedIn);
  EXPECT_EQ(cc.refreshes(), 1);
  EXPECT_EQ(cc.requests().size(), 2u);  // the request and one refresh, no retry
}

TEST(CliAuth, NoTokenIsNotLoggedInWithoutARequest) {
  TempHome home;
  std::ostringstream out, err;
  Ui ui(out, err);
  Context context(ui);
  context.config().api = "http://127.0.0.1:1";
  auto client = context.loggedInClient();
  ASSERT_FALSE(client);
  EXPECT_EQ(client.error(), kNotLoggedIn);
  context.config().access_token = "t";
  auto targeted = context.targetedClient();
  ASSERT_FALSE(targeted);
  EXPECT_NE(targeted.error().find("No org and space targeted, use 'foundry target -o ORG -s SPACE'"),
            std::string::npos);
}

}  // namespace
}  // namespace foundry::cli
