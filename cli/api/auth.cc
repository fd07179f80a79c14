#include "cli/api/auth.h"

#include <openssl/evp.h>

#include <cctype>

#include "cli/api/cc_client.h"
#include "common/net/http_client.h"

namespace foundry::cli {

using nlohmann::json;

std::string formEncode(const std::string& value) { return urlEncode(value, /*keep_slash=*/false); }

std::string base64Encode(const std::string& bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3), '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(bytes.data()),
                          static_cast<int>(bytes.size()));
  out.resize(n < 0 ? 0 : static_cast<size_t>(n));
  return out;
}

Result<std::string> base64UrlDecode(const std::string& text) {
  auto value = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '-' || c == '+') return 62;
    if (c == '_' || c == '/') return 63;
    return -1;
  };
  std::string out;
  uint32_t buffer = 0;
  int bits = 0;
  size_t end = text.size();
  while (end > 0 && text[end - 1] == '=') --end;
  for (size_t i = 0; i < end; ++i) {
    int v = value(text[i]);
    if (v < 0) return Result<std::string>::fail("not base64");
    buffer = (buffer << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((buffer >> bits) & 0xff);
    }
  }
  if (end % 4 == 1) return Result<std::string>::fail("not base64");
  return Result<std::string>::ok(out);
}

json decodeTokenClaims(const std::string& token) {
  size_t first = token.find('.');
  if (first == std::string::npos) return json();
  size_t second = token.find('.', first + 1);
  if (second == std::string::npos) return json();
  auto payload = base64UrlDecode(token.substr(first + 1, second - first - 1));
  if (!payload) return json();
  json claims = json::parse(*payload, nullptr, false);
  return claims.is_object() ? claims : json();
}

namespace {

std::string claim(const std::string& token, const char* name) {
  json claims = decodeTokenClaims(token);
  if (!claims.is_object()) return "";
  auto it = claims.find(name);
  return it != claims.end() && it->is_string() ? it->get<std::string>() : std::string();
}

}  // namespace

std::string tokenUserName(const std::string& token) {
  std::string user = claim(token, "user_name");
  return user.empty() ? claim(token, "client_id") : user;
}

std::string tokenUserGuid(const std::string& token) { return claim(token, "user_id"); }

std::string tokenOrigin(const std::string& token) {
  std::string origin = claim(token, "origin");
  return origin.empty() ? "uaa" : origin;
}

bool shouldRefreshToken(long status, const json& body) {
  if (status != 401 || !body.is_object()) return false;
  if (body.contains("errors") && body["errors"].is_array() && !body["errors"].empty() &&
      body["errors"][0].is_object()) {
    return body["errors"][0].value("title", "") == "CF-InvalidAuthToken";
  }
  return body.contains("error") && body["error"].is_string() &&
         body["error"].get<std::string>() == "invalid_token";
}

UaaClient::UaaClient(std::string uaa_url, long timeout_ms)
    : uaa_url_(std::move(uaa_url)), timeout_ms_(timeout_ms) {
  while (!uaa_url_.empty() && uaa_url_.back() == '/') uaa_url_.pop_back();
}

Result<TokenSet> UaaClient::grant(const std::string& form, const std::string& client_id,
                                  const std::string& client_secret) const {
  if (uaa_url_.empty()) {
    return Result<TokenSet>::fail(
        "This API names no UAA (links.uaa in GET /); run 'foundry api URL' again.");
  }
  net::HttpRequest request;
  request.method = "POST";
  request.url = uaa_url_ + "/oauth/token";
  request.body = form;
  request.timeout_ms = timeout_ms_;
  request.headers.emplace_back("Accept", "application/json");
  request.headers.emplace_back("Content-Type", "application/x-www-form-urlencoded");
  request.headers.emplace_back(
      "Authorization",
      "Basic " + base64Encode(formEncode(client_id) + ":" + formEncode(client_secret)));
  net::HttpResponse response = net::perform(request);
  if (response.status == 0) {
    return Result<TokenSet>::fail("Request error: POST " + request.url + ": " + response.error);
  }
  json body = json::parse(response.body, nullptr, false);
  if (!response.ok()) {
    std::string description;
    if (body.is_object()) {
      description = body.value("error_description", body.value("error", ""));
    }
    if (description.empty()) description = "HTTP " + std::to_string(response.status);
    return Result<TokenSet>::fail(description);
  }
  if (!body.is_object() || !body.contains("access_token") || !body["access_token"].is_string()) {
    return Result<TokenSet>::fail("The UAA at " + uaa_url_ + " answered without an access token");
  }
  TokenSet tokens;
  tokens.access_token = body["access_token"].get<std::string>();
  tokens.refresh_token = body.value("refresh_token", "");
  if (body.contains("expires_in") && body["expires_in"].is_number()) {
    tokens.expires_in = body["expires_in"].get<long>();
  }
  return Result<TokenSet>::ok(std::move(tokens));
}

Result<TokenSet> UaaClient::passwordGrant(const std::string& username,
                                          const std::string& password) const {
  return grant("grant_type=password&username=" + formEncode(username) +
                   "&password=" + formEncode(password),
               "cf", "");
}

Result<TokenSet> UaaClient::refreshGrant(const std::string& refresh_token) const {
  return grant("grant_type=refresh_token&refresh_token=" + formEncode(refresh_token), "cf", "");
}

Result<TokenSet> UaaClient::clientCredentialsGrant(const std::string& client_id,
                                                   const std::string& client_secret) const {
  return grant("grant_type=client_credentials", client_id, client_secret);
}

}  // namespace foundry::cli
