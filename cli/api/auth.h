#pragma once
// Logging in against the UAA the root document names (links.uaa.href): the OAuth token grants
// cf uses, the session the API client carries (bearer token + how to refresh it), and reading
// (not verifying) the claims of a token for "who am I".
//
// Tokens and passwords never appear in messages this code returns.
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "cli/common/result.h"

namespace foundry::cli {

// cf's wording, with this CLI's commands.
inline constexpr const char* kNotLoggedIn =
    "Not logged in. Use 'foundry login' or 'foundry auth' to log in.";

struct TokenSet {
  std::string access_token;
  std::string refresh_token;  // "" for client_credentials
  long expires_in = 0;
};

// POST <uaa>/oauth/token, form-encoded. The password and refresh grants authenticate as the
// public client `cf` (HTTP basic "cf:"), as the cf CLI does; client_credentials as the given
// client. Errors carry UAA's error_description ("Bad credentials"), never the credentials.
class UaaClient {
 public:
  explicit UaaClient(std::string uaa_url, long timeout_ms = 30000);
  Result<TokenSet> passwordGrant(const std::string& username, const std::string& password) const;
  Result<TokenSet> refreshGrant(const std::string& refresh_token) const;
  Result<TokenSet> clientCredentialsGrant(const std::string& client_id,
                                          const std::string& client_secret) const;

 private:
  Result<TokenSet> grant(const std::string& form, const std::string& client_id,
                         const std::string& client_secret) const;
  std::string uaa_url_;
  long timeout_ms_;
};

// What a CcClient sends and how it recovers from an expired token. Shared (by pointer) between
// the clients a command makes, so a refresh done by one is used by all.
struct AuthSession {
  std::string access_token;
  // Gets a new access token (refresh grant, or client_credentials again), stores it in
  // access_token and saves it; an error when that is not possible.
  std::function<Status()> refresh;
};

// The refresh decision: a 401 whose CC error title is CF-InvalidAuthToken (expired or otherwise
// invalid token), or UAA's 401 {"error":"invalid_token"} (SCIM calls). CF-NotAuthenticated (no
// token sent) is not: refreshing cannot help.
bool shouldRefreshToken(long status, const nlohmann::json& body);

// The claims of a JWT (its middle part, base64url JSON), without verifying it; null when the
// token is not a JWT.
nlohmann::json decodeTokenClaims(const std::string& token);
// The user a token names: `user_name`, else (a client token) `client_id`; "" if neither.
std::string tokenUserName(const std::string& token);
// `user_id` of a user token; "" for client tokens.
std::string tokenUserGuid(const std::string& token);
// `origin` of a user token ("uaa" when absent).
std::string tokenOrigin(const std::string& token);

// application/x-www-form-urlencoded value encoding (space as %20, everything but unreserved
// characters escaped).
std::string formEncode(const std::string& value);
std::string base64Encode(const std::string& bytes);
// base64url (or plain base64), padding optional; nullopt-like empty Result on bad input.
Result<std::string> base64UrlDecode(const std::string& text);

}  // namespace foundry::cli
