#include "control/auth/token_service.h"

#include <openssl/evp.h>

#include <algorithm>
#include <cctype>

#include "common/auth/password.h"
#include "common/log/log.h"

namespace foundry::control {

using nlohmann::json;

namespace {

constexpr int kMaxFailures = 5;
constexpr int64_t kFailureWindow = 300;  // seconds
constexpr int64_t kLockout = 300;

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

std::string joinScopes(const std::vector<std::string>& scopes) {
  std::string out;
  for (const auto& s : scopes) out += (out.empty() ? "" : " ") + s;
  return out;
}

// application/x-www-form-urlencoded; a key seen twice keeps the first value.
std::map<std::string, std::string> parseForm(const std::string& body) {
  std::map<std::string, std::string> form;
  size_t start = 0;
  while (start <= body.size()) {
    size_t end = body.find('&', start);
    if (end == std::string::npos) end = body.size();
    std::string part = body.substr(start, end - start);
    if (!part.empty()) {
      size_t eq = part.find('=');
      std::string key = percentDecode(part.substr(0, eq));
      std::string value = eq == std::string::npos ? "" : percentDecode(part.substr(eq + 1));
      form.emplace(std::move(key), std::move(value));
    }
    start = end + 1;
  }
  return form;
}

std::optional<std::string> base64Decode(const std::string& in) {
  if (in.size() % 4 != 0 || in.size() > 4096) return std::nullopt;
  std::string out(in.size() / 4 * 3, '\0');
  int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(in.data()),
                          static_cast<int>(in.size()));
  if (n < 0) return std::nullopt;
  size_t pad = 0;
  if (!in.empty() && in.back() == '=') ++pad;
  if (in.size() > 1 && in[in.size() - 2] == '=') ++pad;
  out.resize(static_cast<size_t>(n) - pad);
  return out;
}

// UAA's error shape: {"error": ..., "error_description": ...}.
ApiResponse oauthError(int status, const std::string& error, const std::string& description) {
  return {status, {{"error", error}, {"error_description", description}}, {}};
}

ApiError invalidToken() { return {401, 1000, "CF-InvalidAuthToken", "Invalid Auth Token"}; }

std::string bearerToken(const std::string& header) {
  // "bearer <token>", scheme case-insensitive (the cf CLI sends "bearer").
  if (header.size() < 7 || lower(header.substr(0, 7)) != "bearer ") return "";
  size_t start = header.find_first_not_of(' ', 7);
  return start == std::string::npos ? "" : header.substr(start);
}

json scimUser(const User& u) {
  json groups = json::array();
  for (const auto& g : defaultUserScopes()) groups.push_back({{"value", g}, {"display", g}, {"type", "DIRECT"}});
  for (const auto& g : u.groups) groups.push_back({{"value", g}, {"display", g}, {"type", "DIRECT"}});
  return {{"id", u.guid},
          {"externalId", ""},
          {"meta", {{"version", 0}, {"created", u.created_at}, {"lastModified", u.updated_at}}},
          {"userName", u.username},
          {"name", {{"familyName", u.family_name}, {"givenName", u.given_name}}},
          {"emails", json::array({{{"value", u.email}, {"primary", false}}})},
          {"groups", groups},
          {"approvals", json::array()},
          {"active", true},
          {"verified", true},
          {"origin", u.origin},
          {"zoneId", "uaa"},
          {"schemas", json::array({"urn:scim:schemas:core:1.0"})}};
}

ApiResponse scimError(int status, const std::string& error, const std::string& message) {
  return {status, {{"error", error}, {"error_description", message}, {"message", message}}, {}};
}

}  // namespace

std::vector<std::string> defaultUserScopes() {
  return {"openid", "cloud_controller.read", "cloud_controller.write", "password.write",
          "uaa.user", "scim.me"};
}

std::vector<std::string> adminScopes() {
  return {kScopeAdmin, "scim.read", "scim.write", "uaa.admin", "clients.read"};
}

TokenService::TokenService(Store& store, const auth::SigningKey& key, TokenServiceConfig config)
    : store_(store),
      key_(key),
      config_(std::move(config)),
      verifier_(key),
      dummy_hash_(auth::hashPassword(auth::randomSecret(), config_.password_iterations)) {
  clients_.push_back({"cf", true, {"password", "refresh_token"}, {}});
  if (!config_.admin_client_secret.empty()) {
    clients_.push_back({"admin", false, {"client_credentials"}, adminScopes()});
  }
}

bool TokenService::bootstrapAdmin(const auth::Secret& password) {
  if (!store_.listUsers({{}, {"admin"}, {"uaa"}}).empty()) return false;
  createUser("admin", password, adminScopes());
  return true;
}

User TokenService::createUser(const std::string& username, const auth::Secret& password,
                              const std::vector<std::string>& extra_scopes) {
  const std::string now = nowIso8601();
  User u;
  u.guid = newGuid();
  u.username = username;
  u.email = username.find('@') == std::string::npos ? username + "@localhost" : username;
  u.password_hash = auth::hashPassword(password, config_.password_iterations);
  u.groups = extra_scopes;
  u.created_at = u.updated_at = now;
  if (store_.createUser(u) != WriteResult::Ok) {
    throw ApiError{409, 10008, "CF-UnprocessableEntity", "Username already in use: " + username};
  }
  return u;
}

std::vector<std::string> TokenService::userScopes(const User& user) const {
  auto scopes = defaultUserScopes();
  for (const auto& g : user.groups) {
    if (std::find(scopes.begin(), scopes.end(), g) == scopes.end()) scopes.push_back(g);
  }
  return scopes;
}

TokenGrant TokenService::issue(const User& user, const Client& client,
                               const std::string& grant_type, int64_t now) {
  auto scopes = userScopes(user);
  TokenGrant g;
  g.jti = auth::randomSecret(16).reveal();
  json claims = {{"jti", g.jti},
                 {"sub", user.guid},
                 {"scope", scopes},
                 {"client_id", client.id},
                 {"cid", client.id},
                 {"azp", client.id},
                 {"grant_type", grant_type},
                 {"user_id", user.guid},
                 {"origin", user.origin},
                 {"user_name", user.username},
                 {"email", user.email},
                 {"auth_time", now},
                 {"iat", now},
                 {"exp", now + config_.access_token_ttl},
                 {"iss", config_.issuer},
                 {"zid", "uaa"},
                 {"aud", json::array({"cloud_controller", "openid", client.id})}};
  g.access_token = key_.sign(claims);
  json refresh = {{"jti", g.jti + "-r"},
                  {"sub", user.guid},
                  {"scope", scopes},
                  {"client_id", client.id},
                  {"cid", client.id},
                  {"grant_type", grant_type},
                  {"user_id", user.guid},
                  {"origin", user.origin},
                  {"user_name", user.username},
                  {"rev", user.password_changed_at},
                  {"iat", now},
                  {"exp", now + config_.refresh_token_ttl},
                  {"iss", config_.issuer},
                  {"zid", "uaa"},
                  {"aud", json::array({"cloud_controller", "openid", client.id})}};
  g.refresh_token = key_.sign(refresh);
  g.expires_in = config_.access_token_ttl;
  g.scope = joinScopes(scopes);
  return g;
}

TokenGrant TokenService::issueClient(const Client& client, int64_t now) {
  TokenGrant g;
  g.jti = auth::randomSecret(16).reveal();
  json claims = {{"jti", g.jti},
                 {"sub", client.id},
                 {"authorities", client.authorities},
                 {"scope", client.authorities},
                 {"client_id", client.id},
                 {"cid", client.id},
                 {"azp", client.id},
                 {"grant_type", "client_credentials"},
                 {"iat", now},
                 {"exp", now + config_.access_token_ttl},
                 {"iss", config_.issuer},
                 {"zid", "uaa"},
                 {"aud", json::array({"cloud_controller", client.id})}};
  g.access_token = key_.sign(claims);
  g.expires_in = config_.access_token_ttl;
  g.scope = joinScopes(client.authorities);
  return g;
}

bool TokenService::lockedOut(const std::string& username, int64_t now) {
  auto it = failures_.find(lower(username));
  return it != failures_.end() && it->second.locked_until > now;
}

void TokenService::recordFailure(const std::string& username, int64_t now) {
  Failures& f = failures_[lower(username)];
  if (now - f.first > kFailureWindow) f = {0, now, 0};
  if (++f.count >= kMaxFailures) {
    f.locked_until = now + kLockout;
    log::warn("uaa", "user-locked-out", {{"user", username}});
  }
  if (failures_.size() > 100000) failures_.clear();  // bounded: an attacker's names can't grow it
}

TokenGrant TokenService::passwordGrant(const std::string& username, const auth::Secret& password,
                                       int64_t now) {
  if (lockedOut(username, now)) {
    throw ApiError{401, 1000, "unauthorized",
                   "Your account has been locked because of too many failed attempts to login."};
  }
  auto users = store_.listUsers({{}, {username}, {"uaa"}});
  // The hash is computed even for an unknown user, at the same cost, so timing does not tell
  // who exists.
  bool ok = auth::verifyPassword(
      password, !users.empty() && users[0].password_hash ? *users[0].password_hash : dummy_hash_);
  if (users.empty() || !users[0].password_hash || !ok) {
    recordFailure(username, now);
    throw ApiError{401, 1000, "unauthorized", "Bad credentials"};
  }
  failures_.erase(lower(username));
  return issue(users[0], clients_[0], "password", now);
}

const TokenService::Client* TokenService::authenticateClient(
    const ApiRequest& request, const std::map<std::string, std::string>& form) const {
  std::string id, secret;
  const std::string& h = request.authorization;
  if (h.size() > 6 && lower(h.substr(0, 6)) == "basic ") {
    auto decoded = base64Decode(h.substr(6));
    if (!decoded) return nullptr;
    size_t colon = decoded->find(':');
    if (colon == std::string::npos) return nullptr;
    id = percentDecode(decoded->substr(0, colon));
    secret = percentDecode(decoded->substr(colon + 1));
  } else {
    auto i = form.find("client_id");
    if (i == form.end()) return nullptr;
    id = i->second;
    auto s = form.find("client_secret");
    if (s != form.end()) secret = s->second;
  }
  for (const auto& c : clients_) {
    if (c.id != id) continue;
    if (c.is_public) return secret.empty() ? &c : nullptr;
    return config_.admin_client_secret.equals(secret) ? &c : nullptr;
  }
  return nullptr;
}

ApiResponse TokenService::tokenEndpoint(const ApiRequest& request, int64_t now) {
  auto form = parseForm(request.body);
  if (request.query.find("grant_type") != std::string::npos) {
    // Credentials belong in the body, never in a URL that logs and proxies keep.
    return oauthError(400, "invalid_request", "Parameters must be passed in the body");
  }
  const Client* client = authenticateClient(request, form);
  if (!client) return oauthError(401, "invalid_client", "Bad credentials");
  const std::string grant = form.count("grant_type") ? form["grant_type"] : "";
  if (std::find(client->grants.begin(), client->grants.end(), grant) == client->grants.end()) {
    return oauthError(grant == "password" || grant == "refresh_token" ||
                              grant == "client_credentials"
                          ? 401
                          : 400,
                      grant.empty() ? "invalid_request" : "unsupported_grant_type",
                      grant.empty() ? "A grant type is required"
                                    : "Unauthorized grant type: " + grant);
  }
  TokenGrant g;
  if (grant == "password") {
    try {
      g = passwordGrant(form["username"], auth::Secret(form["password"]), now);
    } catch (const ApiError& e) {
      log::info("uaa", "login-failed", {{"user", form["username"]}});
      return oauthError(401, "unauthorized", e.detail);
    }
    log::info("uaa", "login", {{"user", form["username"]}});
  } else if (grant == "refresh_token") {
    auto v = verifier_.verify(form["refresh_token"], now);
    if (v.status != auth::TokenStatus::Valid) {
      return oauthError(401, "invalid_token",
                        std::string("Invalid refresh token: ") + auth::tokenStatusName(v.status));
    }
    const json& c = *v.claims;
    std::string jti = c.value("jti", "");
    if (jti.size() < 2 || jti.substr(jti.size() - 2) != "-r" ||
        c.value("client_id", "") != client->id) {
      return oauthError(401, "invalid_token", "Invalid refresh token");
    }
    auto user = store_.getUser(c.value("user_id", ""));
    if (!user || !c.contains("rev") || !c["rev"].is_number_integer() ||
        c["rev"].get<int64_t>() != user->password_changed_at) {
      return oauthError(401, "invalid_token", "Invalid refresh token (revoked)");
    }
    g = issue(*user, *client, "password", now);
  } else {
    g = issueClient(*client, now);
  }
  json body = {{"access_token", g.access_token},
               {"token_type", "bearer"},
               {"expires_in", g.expires_in},
               {"scope", g.scope},
               {"jti", g.jti}};
  if (!g.refresh_token.empty()) body["refresh_token"] = g.refresh_token;
  return {200, std::move(body), {{"Cache-Control", "no-store"}, {"Pragma", "no-cache"}}};
}

Identity TokenService::authenticate(const std::string& authorization_header, int64_t now) {
  std::string token = bearerToken(authorization_header);
  if (token.empty()) {
    throw ApiError{401, 10002, "CF-NotAuthenticated", "Authentication error"};
  }
  auto v = verifier_.verify(token, now);
  if (v.status != auth::TokenStatus::Valid) throw invalidToken();
  const json& c = *v.claims;
  std::string jti = c.value("jti", "");
  if (jti.size() >= 2 && jti.substr(jti.size() - 2) == "-r") throw invalidToken();
  Identity id;
  id.client_id = c.value("client_id", "");
  if (c.contains("scope") && c["scope"].is_array()) {
    for (const auto& s : c["scope"]) {
      if (s.is_string()) id.scopes.push_back(s.get<std::string>());
    }
  }
  if (c.contains("user_id")) {
    if (!c["user_id"].is_string()) throw invalidToken();
    // The user must still exist; their scopes are the token's (as UAA: a role change shows
    // in the next token), their org and space roles are read per request.
    auto user = store_.getUser(c["user_id"].get<std::string>());
    if (!user || !user->password_hash) throw invalidToken();
    id.user_guid = user->guid;
    id.user_name = user->username;
    id.origin = user->origin;
  } else if (id.client_id.empty()) {
    throw invalidToken();
  }
  return id;
}

Identity TokenService::requireScope(const ApiRequest& request, const std::string& scope,
                                    int64_t now) {
  Identity id;
  try {
    id = authenticate(request.authorization, now);
  } catch (const ApiError&) {
    throw ApiError{401, 0, "invalid_token", "Full authentication is required"};
  }
  if (!id.hasScope(scope) && !id.hasScope("uaa.admin")) {
    throw ApiError{403, 0, "insufficient_scope", "Insufficient scope for this resource"};
  }
  return id;
}

ApiResponse TokenService::userinfo(const ApiRequest& request, int64_t now) {
  Identity id = requireScope(request, "openid", now);
  auto user = store_.getUser(id.user_guid);
  if (!user) return oauthError(401, "invalid_token", "Not a user token");
  return {200,
          {{"user_id", user->guid},
           {"sub", user->guid},
           {"user_name", user->username},
           {"given_name", user->given_name},
           {"family_name", user->family_name},
           {"email", user->email},
           {"email_verified", true},
           {"name", user->given_name + (user->family_name.empty() ? "" : " " + user->family_name)},
           {"previous_logon_time", nullptr}},
          {}};
}

ApiResponse TokenService::loginInfo(const ApiRequest& request) {
  const std::string uaa = request.base_url + "/uaa";
  return {200,
          {{"app", {{"version", "77.0.0"}}},
           {"showLoginLinks", true},
           {"links",
            {{"uaa", uaa}, {"passwd", "/forgot_password"}, {"login", uaa}, {"register", "/create_account"}}},
           {"zone_name", "uaa"},
           {"entityID", "foundry"},
           {"commit_id", "foundry"},
           {"idpDefinitions", json::object()},
           {"prompts",
            {{"username", {"text", "Email"}}, {"password", {"password", "Password"}}}},
           {"timestamp", nowIso8601()}},
          {}};
}

ApiResponse TokenService::createScimUser(const ApiRequest& request, int64_t now) {
  requireScope(request, "scim.write", now);
  json b = json::parse(request.body, nullptr, false);
  if (!b.is_object() || !b.contains("userName") || !b["userName"].is_string() ||
      b["userName"].get<std::string>().empty()) {
    return scimError(400, "invalid_scim_resource", "A username must be provided.");
  }
  const std::string username = b["userName"].get<std::string>();
  const std::string origin = b.value("origin", std::string("uaa"));
  if (origin != "uaa") {
    return scimError(400, "invalid_scim_resource", "Only the uaa origin is supported");
  }
  if (!b.contains("password") || !b["password"].is_string() ||
      b["password"].get<std::string>().empty()) {
    return scimError(400, "invalid_password", "Password must be provided");
  }
  auto existing = store_.listUsers({{}, {username}, {origin}});
  if (!existing.empty() && existing[0].password_hash) {
    return scimError(409, "scim_resource_already_exists", "Username already in use: " + username);
  }
  User u;
  if (existing.empty()) {
    u = createUser(username, auth::Secret(b["password"].get<std::string>()));
  } else {
    // A CC-only record of that name (made by username, or whose UAA side was deleted) becomes
    // a UAA user again: one record serves both.
    u = existing[0];
    u.password_hash = auth::hashPassword(auth::Secret(b["password"].get<std::string>()),
                                         config_.password_iterations);
    u.password_changed_at = std::max(now, u.password_changed_at + 1);
  }
  if (b.contains("emails") && b["emails"].is_array() && !b["emails"].empty() &&
      b["emails"][0].is_object() && b["emails"][0].contains("value") &&
      b["emails"][0]["value"].is_string()) {
    u.email = b["emails"][0]["value"].get<std::string>();
  }
  if (b.contains("name") && b["name"].is_object()) {
    u.given_name = b["name"].value("givenName", std::string());
    u.family_name = b["name"].value("familyName", std::string());
  }
  store_.updateUser(u);
  log::info("uaa", "user-created", {{"user", username}});
  return {201, scimUser(u), {}};
}

ApiResponse TokenService::listScimUsers(const ApiRequest& request, int64_t now) {
  requireScope(request, "scim.read", now);
  // filter=userName eq "x" [and origin eq "uaa"] [or id eq ...]: the forms the cf CLI sends.
  UserFilter f;
  std::string filter;
  for (const auto& [k, vs] : parseQuery(request.query).params) {
    if (lower(k) == "filter" && !vs.empty()) {
      filter.clear();
      for (size_t i = 0; i < vs.size(); ++i) filter += (i ? "," : "") + vs[i];
    }
  }
  size_t pos = 0;
  while (pos < filter.size()) {
    size_t q1 = filter.find('"', pos);
    if (q1 == std::string::npos) break;
    size_t q2 = filter.find('"', q1 + 1);
    if (q2 == std::string::npos) return scimError(400, "invalid_filter", "Invalid filter");
    std::string head = lower(filter.substr(pos, q1 - pos));
    std::string value = filter.substr(q1 + 1, q2 - q1 - 1);
    if (head.find("username eq") != std::string::npos) {
      f.usernames.push_back(value);
    } else if (head.find("origin eq") != std::string::npos) {
      f.origins.push_back(value);
    } else if (head.find("id eq") != std::string::npos) {
      f.guids.push_back(value);
    } else {
      return scimError(400, "invalid_filter", "Invalid filter: " + filter);
    }
    pos = q2 + 1;
  }
  json resources = json::array();
  for (const auto& u : store_.listUsers(f)) {
    if (u.password_hash) resources.push_back(scimUser(u));  // UAA users only
  }
  const auto total = resources.size();
  return {200,
          {{"resources", std::move(resources)},
           {"startIndex", 1},
           {"itemsPerPage", 100},
           {"totalResults", total},
           {"schemas", json::array({"urn:scim:schemas:core:1.0"})}},
          {}};
}

ApiResponse TokenService::deleteScimUser(const ApiRequest& request, const std::string& id,
                                         int64_t now) {
  requireScope(request, "scim.write", now);
  auto u = store_.getUser(id);
  if (!u || !u->password_hash) {
    return scimError(404, "scim_resource_not_found", "User " + id + " does not exist");
  }
  if (u->username == "admin" && u->origin == "uaa") {
    return scimError(400, "invalid_scim_resource", "The admin user cannot be deleted");
  }
  // UAA and CC keep separate user records; here they are one. The UAA side goes (no more
  // logins, its tokens and refresh tokens stop working at once); DELETE /v3/users/:guid removes
  // the record with its roles. cf delete-user sends both, in either order.
  const User before = *u;
  u->password_hash.reset();
  u->groups.clear();
  u->password_changed_at = std::max(now, u->password_changed_at + 1);
  u->updated_at = nowIso8601();
  store_.updateUser(*u);
  u = before;
  log::info("uaa", "user-deleted", {{"user", u->username}});
  return {200, scimUser(*u), {}};
}

ApiResponse TokenService::changePassword(const ApiRequest& request, const std::string& id,
                                         int64_t now) {
  Identity caller;
  try {
    caller = authenticate(request.authorization, now);
  } catch (const ApiError&) {
    return scimError(401, "invalid_token", "Full authentication is required");
  }
  auto u = store_.getUser(id);
  const bool admin = caller.hasScope("uaa.admin") || caller.hasScope("scim.write");
  if (!u || (!admin && caller.user_guid != id)) {
    return scimError(403, "access_denied", "Not permitted to change another user's password");
  }
  json b = json::parse(request.body, nullptr, false);
  if (!b.is_object() || !b.contains("password") || !b["password"].is_string() ||
      b["password"].get<std::string>().empty()) {
    return scimError(422, "invalid_password", "Password must be provided");
  }
  if (!admin || caller.user_guid == id) {
    // Users changing their own password prove they know the old one.
    if (!b.contains("oldPassword") || !b["oldPassword"].is_string() || !u->password_hash ||
        !auth::verifyPassword(auth::Secret(b["oldPassword"].get<std::string>()),
                              *u->password_hash)) {
      return scimError(401, "unauthorized", "Old password is incorrect");
    }
  }
  u->password_hash =
      auth::hashPassword(auth::Secret(b["password"].get<std::string>()), config_.password_iterations);
  // Strictly increasing, so every refresh token issued before this moment is dead.
  u->password_changed_at = std::max(now, u->password_changed_at + 1);
  u->updated_at = nowIso8601();
  store_.updateUser(*u);
  log::info("uaa", "password-changed", {{"user", u->username}});
  return {200, {{"status", "ok"}, {"message", "password updated"}}, {}};
}

namespace {
// The groups whose membership is a Cloud Controller global role (and the admin's others).
bool isGlobalRoleGroup(const std::string& g) {
  return g == kScopeAdmin || g == kScopeAdminReadOnly || g == kScopeGlobalAuditor;
}
}  // namespace

ApiResponse TokenService::addGroupMember(const ApiRequest& request, const std::string& group,
                                         int64_t now) {
  requireScope(request, "scim.write", now);
  if (!isGlobalRoleGroup(group)) {
    return scimError(404, "scim_resource_not_found", "Group " + group + " does not exist");
  }
  json b = json::parse(request.body, nullptr, false);
  if (!b.is_object() || !b.contains("value") || !b["value"].is_string()) {
    return scimError(400, "invalid_scim_resource", "A member value (user id) is required");
  }
  auto u = store_.getUser(b["value"].get<std::string>());
  if (!u || !u->password_hash) {
    return scimError(404, "scim_resource_not_found", "User does not exist");
  }
  if (std::find(u->groups.begin(), u->groups.end(), group) != u->groups.end()) {
    return scimError(409, "member_already_exists", "Member already exists");
  }
  u->groups.push_back(group);
  u->updated_at = nowIso8601();
  store_.updateUser(*u);
  log::info("uaa", "group-member-added", {{"group", group}, {"user", u->username}});
  return {201, {{"origin", "uaa"}, {"type", "USER"}, {"value", u->guid}}, {}};
}

ApiResponse TokenService::removeGroupMember(const ApiRequest& request, const std::string& group,
                                            const std::string& user_id, int64_t now) {
  requireScope(request, "scim.write", now);
  auto u = store_.getUser(user_id);
  if (!isGlobalRoleGroup(group) || !u ||
      std::find(u->groups.begin(), u->groups.end(), group) == u->groups.end()) {
    return scimError(404, "scim_resource_not_found", "Member not found");
  }
  if (u->username == "admin" && u->origin == "uaa" && group == kScopeAdmin) {
    return scimError(400, "invalid_scim_resource", "The admin user stays an admin");
  }
  std::erase(u->groups, group);
  // Tokens carry the scope until they expire; refresh tokens issued with it die now.
  u->password_changed_at = std::max(now, u->password_changed_at + 1);
  u->updated_at = nowIso8601();
  store_.updateUser(*u);
  log::info("uaa", "group-member-removed", {{"group", group}, {"user", u->username}});
  return {200, {{"origin", "uaa"}, {"type", "USER"}, {"value", u->guid}}, {}};
}

ApiResponse TokenService::handle(const ApiRequest& r) {
  const int64_t now = static_cast<int64_t>(std::time(nullptr));
  std::string path = r.path.substr(4);  // after "/uaa"
  while (path.size() > 1 && path.back() == '/') path.pop_back();
  try {
    if (r.method == "POST" && path == "/oauth/token") return tokenEndpoint(r, now);
    if (r.method == "GET" && path == "/token_keys") {
      return {200, {{"keys", json::array({key_.publicJwk()})}}, {}};
    }
    if (r.method == "GET" && path == "/token_key") return {200, key_.publicJwk(), {}};
    if (r.method == "GET" && path == "/userinfo") return userinfo(r, now);
    if (r.method == "GET" && (path == "/login" || path == "/info" || path.empty())) {
      return loginInfo(r);
    }
    if (path.rfind("/Groups/", 0) == 0) {
      // /Groups/<name>/members[/<user id>]
      std::string rest = path.substr(8);
      size_t slash = rest.find('/');
      std::string group = percentDecode(rest.substr(0, slash));
      std::string tail = slash == std::string::npos ? "" : rest.substr(slash);
      if (r.method == "POST" && tail == "/members") return addGroupMember(r, group, now);
      if (r.method == "DELETE" && tail.rfind("/members/", 0) == 0) {
        return removeGroupMember(r, group, percentDecode(tail.substr(9)), now);
      }
    }
    if (r.method == "POST" && path == "/Users") return createScimUser(r, now);
    if (r.method == "GET" && path == "/Users") return listScimUsers(r, now);
    if (path.rfind("/Users/", 0) == 0) {
      std::string rest = path.substr(7);
      size_t slash = rest.find('/');
      std::string id = percentDecode(rest.substr(0, slash));
      if (r.method == "DELETE" && slash == std::string::npos) return deleteScimUser(r, id, now);
      if (r.method == "PUT" && slash != std::string::npos && rest.substr(slash) == "/password") {
        return changePassword(r, id, now);
      }
      if (r.method == "GET" && slash == std::string::npos) {
        requireScope(r, "scim.read", now);
        auto u = store_.getUser(id);
        if (!u || !u->password_hash) {
          return scimError(404, "scim_resource_not_found", "User " + id + " does not exist");
        }
        return {200, scimUser(*u), {}};
      }
    }
    return oauthError(404, "not_found", "Unknown request");
  } catch (const ApiError& e) {
    return oauthError(e.status, e.title, e.detail);
  } catch (const std::exception& e) {
    log::error("uaa", "request-failed", {{"path", r.path}, {"error", e.what()}});
    return oauthError(500, "server_error", "An unknown error occurred.");
  }
}

}  // namespace foundry::control
