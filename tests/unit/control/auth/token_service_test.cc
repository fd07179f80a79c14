// The UAA-compatible token service through its HTTP shapes (what the cf CLI sends): the
// password grant with client "cf" and an empty secret, refresh, client_credentials, lockout
// after failed logins, SCIM users, password changes revoking refresh tokens.
#include "control/auth/token_service.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "control/store/sqlite_store.h"
#include "tests/unit/control/test_tokens.h"

namespace foundry::control {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

const char* const kCfClient = "Basic Y2Y6";  // "cf:" as the cf CLI sends it

class TokenServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/control-uaa-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    store_ = std::make_unique<SqliteStore>(dir_ + "/controller.db");
    tokens_ = std::make_unique<test_support::TestTokens>(*store_);
  }
  void TearDown() override {
    tokens_.reset();
    store_.reset();
    fs::remove_all(dir_);
  }
  ApiResponse call(const std::string& method, const std::string& path, const std::string& body,
                   const std::string& authorization) {
    ApiRequest r;
    r.method = method;
    size_t q = path.find('?');
    r.path = path.substr(0, q);
    r.query = q == std::string::npos ? "" : path.substr(q + 1);
    r.body = body;
    r.base_url = "http://ctl";
    r.authorization = authorization;
    return tokens_->service->handle(r);
  }
  ApiResponse login(const std::string& user, const std::string& password) {
    return call("POST", "/uaa/oauth/token",
                "grant_type=password&username=" + user + "&password=" + password, kCfClient);
  }
  static json claims(const std::string& jwt) {
    size_t a = jwt.find('.'), b = jwt.rfind('.');
    return json::parse(*auth::base64UrlDecode(jwt.substr(a + 1, b - a - 1)));
  }

  std::string dir_;
  std::unique_ptr<SqliteStore> store_;
  std::unique_ptr<test_support::TestTokens> tokens_;
};

TEST_F(TokenServiceTest, PasswordGrantAsTheCfCliSendsIt) {
  auto r = login("admin", "admin-password");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.body["token_type"], "bearer");
  EXPECT_EQ(r.body["expires_in"], 1200);
  json c = claims(r.body["access_token"]);
  // The CLI reads these as strings (a user token without origin makes cf v8 panic).
  EXPECT_EQ(c["user_name"], "admin");
  EXPECT_TRUE(c["user_id"].is_string());
  EXPECT_EQ(c["origin"], "uaa");
  EXPECT_EQ(c["client_id"], "cf");
  EXPECT_TRUE(c["exp"].is_number_integer());
  EXPECT_TRUE(c["iat"].is_number_integer());
  EXPECT_TRUE(c["jti"].is_string());
  EXPECT_NE(c["scope"].dump().find("cloud_controller.admin"), std::string::npos);
  // The password never travels back, and the refresh token works once.
  EXPECT_EQ(r.body.dump().find("admin-password"), std::string::npos);
  auto refreshed = call("POST", "/uaa/oauth/token",
                        "grant_type=refresh_token&refresh_token=" +
                            r.body["refresh_token"].get<std::string>(),
                        kCfClient);
  ASSERT_EQ(refreshed.status, 200) << refreshed.body;
  EXPECT_NE(refreshed.body["access_token"], r.body["access_token"]);
}

TEST_F(TokenServiceTest, BadCredentialsAndClients) {
  auto bad = login("admin", "wrong");
  EXPECT_EQ(bad.status, 401);
  EXPECT_EQ(bad.body["error"], "unauthorized");
  EXPECT_EQ(login("nobody", "x").status, 401);
  // A client secret for the public client, or an unknown client: invalid_client.
  EXPECT_EQ(call("POST", "/uaa/oauth/token", "grant_type=password&username=admin&password=admin-password",
                 "Basic Y2Y6c2VjcmV0")  // cf:secret
                .body["error"],
            "invalid_client");
  EXPECT_EQ(call("POST", "/uaa/oauth/token", "grant_type=password", "").status, 401);
  // The cf client cannot use client_credentials.
  EXPECT_EQ(call("POST", "/uaa/oauth/token", "grant_type=client_credentials", kCfClient).status, 401);
  // Credentials in the query string are refused outright.
  EXPECT_EQ(call("POST", "/uaa/oauth/token?grant_type=password&username=admin&password=admin-password",
                 "", kCfClient)
                .status,
            400);
}

TEST_F(TokenServiceTest, FiveFailuresLockTheAccount) {
  tokens_->service->createUser("victim", auth::Secret("right"));
  for (int i = 0; i < 5; ++i) EXPECT_EQ(login("victim", "guess" + std::to_string(i)).status, 401);
  auto locked = login("victim", "right");
  EXPECT_EQ(locked.status, 401);
  EXPECT_NE(locked.body["error_description"].get<std::string>().find("locked"), std::string::npos);
  // Others are not affected.
  EXPECT_EQ(login("admin", "admin-password").status, 200);
}

TEST_F(TokenServiceTest, ClientCredentialsForTheAdminClient) {
  // admin:admin-client-secret
  auto r = call("POST", "/uaa/oauth/token", "grant_type=client_credentials",
                "Basic YWRtaW46YWRtaW4tY2xpZW50LXNlY3JldA==");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_FALSE(r.body.contains("refresh_token"));
  json c = claims(r.body["access_token"]);
  EXPECT_FALSE(c.contains("user_name"));
  EXPECT_EQ(c["client_id"], "admin");
  Identity id = tokens_->service->authenticate("bearer " + r.body["access_token"].get<std::string>(),
                                               std::time(nullptr));
  EXPECT_TRUE(id.isClient());
  EXPECT_TRUE(id.hasScope("cloud_controller.admin"));
  EXPECT_EQ(call("POST", "/uaa/oauth/token", "grant_type=client_credentials",
                 "Basic YWRtaW46d3Jvbmc=")  // admin:wrong
                .status,
            401);
}

TEST_F(TokenServiceTest, KeysUserinfoAndLoginPrompts) {
  auto keys = call("GET", "/uaa/token_keys", "", "");
  ASSERT_EQ(keys.status, 200);
  EXPECT_EQ(keys.body["keys"][0]["alg"], "RS256");
  EXPECT_EQ(keys.body["keys"][0]["kty"], "RSA");
  auto prompts = call("GET", "/uaa/login", "", "");
  EXPECT_EQ(prompts.body["prompts"]["password"][0], "password");
  EXPECT_EQ(call("GET", "/uaa/userinfo", "", "").status, 401);
  auto me = call("GET", "/uaa/userinfo", "", tokens_->admin);
  ASSERT_EQ(me.status, 200);
  EXPECT_EQ(me.body["user_name"], "admin");
}

TEST_F(TokenServiceTest, ScimUsersAsCreateUserAndDeleteUserSendThem) {
  json body = {{"userName", "carol"}, {"password", "carol-pw"}, {"origin", "uaa"},
               {"emails", json::array({{{"value", "carol@example.com"}}})}};
  // Only scim.write holders create users.
  std::string plain = tokens_->newUser("plain");
  EXPECT_EQ(call("POST", "/uaa/Users", body.dump(), plain).status, 403);
  EXPECT_EQ(call("POST", "/uaa/Users", body.dump(), "").status, 401);
  auto created = call("POST", "/uaa/Users", body.dump(), tokens_->admin);
  ASSERT_EQ(created.status, 201) << created.body;
  EXPECT_EQ(created.body["userName"], "carol");
  EXPECT_FALSE(created.body.contains("password"));
  EXPECT_EQ(call("POST", "/uaa/Users", body.dump(), tokens_->admin).status, 409);
  auto found = call("GET", "/uaa/Users?filter=userName+eq+%22carol%22+and+origin+eq+%22uaa%22", "",
                    tokens_->admin);
  ASSERT_EQ(found.status, 200);
  ASSERT_EQ(found.body["resources"].size(), 1u);
  EXPECT_EQ(found.body["resources"][0]["id"], created.body["id"]);
  auto carol = login("carol", "carol-pw");
  EXPECT_EQ(carol.status, 200);
  const std::string id = created.body["id"];
  EXPECT_EQ(call("DELETE", "/uaa/Users/" + id, "", tokens_->admin).status, 200);
  // Gone from the UAA: no login, no SCIM record, its tokens and refresh tokens dead at once.
  EXPECT_EQ(login("carol", "carol-pw").status, 401);
  EXPECT_EQ(call("DELETE", "/uaa/Users/" + id, "", tokens_->admin).status, 404);
  EXPECT_EQ(call("GET", "/uaa/Users?filter=userName+eq+%22carol%22", "", tokens_->admin)
                .body["resources"]
                .size(),
            0u);
  EXPECT_THROW(tokens_->service->authenticate(
                   "bearer " + carol.body["access_token"].get<std::string>(), std::time(nullptr)),
               ApiError);
  EXPECT_EQ(call("POST", "/uaa/oauth/token",
                 "grant_type=refresh_token&refresh_token=" +
                     carol.body["refresh_token"].get<std::string>(),
                 kCfClient)
                .status,
            401);
  // Created again, the same record logs in with the new password.
  EXPECT_EQ(call("POST", "/uaa/Users", body.dump(), tokens_->admin).status, 201);
  EXPECT_EQ(login("carol", "carol-pw").status, 200);
}

TEST_F(TokenServiceTest, PasswordChangeRevokesRefreshTokens) {
  std::string guid;
  std::string bearer = tokens_->newUser("dave", &guid);
  auto before = login("dave", "dave-pw");
  ASSERT_EQ(before.status, 200);
  // Another user may not change it; dave must know the old password.
  std::string eve = tokens_->newUser("eve");
  EXPECT_EQ(call("PUT", "/uaa/Users/" + guid + "/password", R"({"password":"x"})", eve).status, 403);
  EXPECT_EQ(call("PUT", "/uaa/Users/" + guid + "/password",
                 R"({"password":"new-pw","oldPassword":"wrong"})", bearer)
                .status,
            401);
  ASSERT_EQ(call("PUT", "/uaa/Users/" + guid + "/password",
                 R"({"password":"new-pw","oldPassword":"dave-pw"})", bearer)
                .status,
            200);
  EXPECT_EQ(login("dave", "dave-pw").status, 401);
  EXPECT_EQ(login("dave", "new-pw").status, 200);
  auto refresh = call("POST", "/uaa/oauth/token",
                      "grant_type=refresh_token&refresh_token=" +
                          before.body["refresh_token"].get<std::string>(),
                      kCfClient);
  EXPECT_EQ(refresh.status, 401);
}

}  // namespace
}  // namespace foundry::control
