#pragma once
// TokenService: the UAA-compatible token service the controller serves under /uaa (the root
// document's `login` and `uaa` links point there), so running the platform needs no extra
// process and the real cf CLI logs in unchanged. It shares the controller's store: a UAA user
// and a Cloud Controller user are one record.
//
//   POST /uaa/oauth/token     password, refresh_token and client_credentials grants; the client
//                             authenticates with HTTP basic ("cf" with an empty secret, as the
//                             CLI sends) or client_id/client_secret in the form
//   GET  /uaa/token_keys      {"keys":[JWK]}, GET /uaa/token_key: the JWK
//   GET  /uaa/userinfo        the caller's user (bearer token)
//   GET  /uaa/login           the prompts `cf login` reads
//   POST /uaa/Users, GET /uaa/Users?filter=, DELETE /uaa/Users/:id, PUT /uaa/Users/:id/password
//                             the SCIM calls of cf create-user / delete-user / passwd
//   POST /uaa/Groups/:name/members, DELETE /uaa/Groups/:name/members/:id
//                             the global roles: cloud_controller.admin, .admin_read_only,
//                             .global_auditor (a user's next token carries the scope)
//
// Tokens are RS256 JWTs (common/auth/jwt.h) with UAA's claims. Refresh tokens are JWTs too,
// told apart by a jti ending in "-r" (as UAA's) and never accepted as access tokens; they die
// when the user's password changes (claim `rev` = the user's password_changed_at). Passwords
// are PBKDF2 hashes (common/auth/password.h). Five failed logins within 5 minutes lock the
// user for 5 minutes (UAA's defaults), so a password cannot be guessed at API speed.
//
// Clients: `cf` (public: empty secret; password and refresh_token grants) and `admin`
// (client_credentials, secret from the operator, authorities cloud_controller.admin,
// scim.read, scim.write, uaa.admin).
//
// Thread context: the controller's event loop.

#include <cstdint>
#include <map>
#include <string>

#include "common/auth/jwt.h"
#include "common/auth/secret.h"
#include "control/api/api.h"
#include "control/auth/identity.h"
#include "control/store/store.h"

namespace foundry::control {

struct TokenServiceConfig {
  std::string issuer = "http://127.0.0.1:9022/uaa/oauth/token";  // the `iss` claim
  int64_t access_token_ttl = 1200;      // seconds (cf-deployment's cf client)
  int64_t refresh_token_ttl = 1209600;  // 14 days
  auth::Secret admin_client_secret;     // "" = no admin client
  int password_iterations = 100000;     // PBKDF2 cost of new hashes
};

struct TokenGrant {
  std::string access_token;
  std::string refresh_token;  // "" for client_credentials
  int64_t expires_in = 0;
  std::string scope;  // space-separated
  std::string jti;
};

class TokenService {
 public:
  TokenService(Store& store, const auth::SigningKey& key, TokenServiceConfig config);

  // Creates the user `admin` with every global scope when absent (idempotent: an existing
  // admin keeps its password). Returns true when it was created.
  bool bootstrapAdmin(const auth::Secret& password);

  // Answers a request under /uaa (path starts with "/uaa"). Never throws.
  ApiResponse handle(const ApiRequest& request);

  // The caller of an API request, from its Authorization header. Throws ApiError 401:
  // CF-NotAuthenticated without a bearer token, CF-InvalidAuthToken for a token that is
  // malformed, expired, tampered, signed otherwise, a refresh token, or of a deleted user.
  Identity authenticate(const std::string& authorization_header, int64_t now);

  // The password grant without HTTP (tests, benchmarks). Throws ApiError 401 on bad
  // credentials.
  TokenGrant passwordGrant(const std::string& username, const auth::Secret& password,
                           int64_t now);
  // Creates a user with a password and the default scopes (tests, the demo's bootstrap).
  User createUser(const std::string& username, const auth::Secret& password,
                  const std::vector<std::string>& extra_scopes = {});

  auth::TokenVerifier& verifier() { return verifier_; }

 private:
  struct Client {
    std::string id;
    bool is_public;  // empty secret accepted
    std::vector<std::string> grants;
    std::vector<std::string> authorities;  // scopes of its client_credentials tokens
  };

  ApiResponse tokenEndpoint(const ApiRequest& request, int64_t now);
  ApiResponse userinfo(const ApiRequest& request, int64_t now);
  ApiResponse loginInfo(const ApiRequest& request);
  ApiResponse createScimUser(const ApiRequest& request, int64_t now);
  ApiResponse listScimUsers(const ApiRequest& request, int64_t now);
  ApiResponse deleteScimUser(const ApiRequest& request, const std::string& id, int64_t now);
  ApiResponse changePassword(const ApiRequest& request, const std::string& id, int64_t now);
  // Group membership for the global roles (uaac's `member add`): POST /uaa/Groups/:name/members
  // {"value": user id}, DELETE /uaa/Groups/:name/members/:user_id. Groups are named by their
  // display name; only the Cloud Controller global-role groups exist.
  ApiResponse addGroupMember(const ApiRequest& request, const std::string& group, int64_t now);
  ApiResponse removeGroupMember(const ApiRequest& request, const std::string& group,
                                const std::string& user_id, int64_t now);

  const Client* authenticateClient(const ApiRequest& request,
                                   const std::map<std::string, std::string>& form) const;
  TokenGrant issue(const User& user, const Client& client, const std::string& grant_type,
                   int64_t now);
  TokenGrant issueClient(const Client& client, int64_t now);
  std::vector<std::string> userScopes(const User& user) const;
  // A bearer token of the caller with `scope` (SCIM). Throws ApiError in UAA's shape.
  Identity requireScope(const ApiRequest& request, const std::string& scope, int64_t now);
  bool lockedOut(const std::string& username, int64_t now);
  void recordFailure(const std::string& username, int64_t now);

  Store& store_;
  const auth::SigningKey& key_;
  TokenServiceConfig config_;
  auth::TokenVerifier verifier_;
  std::string dummy_hash_;  // checked against for unknown users (same cost as a real one)
  std::vector<Client> clients_;
  struct Failures {
    int count = 0;
    int64_t first = 0;
    int64_t locked_until = 0;
  };
  std::map<std::string, Failures> failures_;  // by lower-cased username
};

// The scopes every user holds, and the ones the global roles add.
std::vector<std::string> defaultUserScopes();
std::vector<std::string> adminScopes();

}  // namespace foundry::control
