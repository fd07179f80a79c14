#include "brokers/postgres/names.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include <cctype>
#include <stdexcept>

namespace foundry::pgbroker {
namespace {

std::string hex(const unsigned char* data, size_t size) {
  static const char* digits = "0123456789abcdef";
  std::string out;
  out.reserve(size * 2);
  for (size_t i = 0; i < size; ++i) {
    out.push_back(digits[data[i] >> 4]);
    out.push_back(digits[data[i] & 15]);
  }
  return out;
}

std::string sha256Hex(const std::string& text) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(text.data()), text.size(), digest);
  return hex(digest, sizeof digest);
}

// The 32 hex digits of a GUID, lower-cased; "" when `id` is not one.
std::string guidHex(const std::string& id) {
  if (id.size() != 36) return "";
  std::string out;
  for (size_t i = 0; i < id.size(); ++i) {
    bool dash_position = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash_position) {
      if (id[i] != '-') return "";
      continue;
    }
    if (!std::isxdigit(static_cast<unsigned char>(id[i]))) return "";
    out.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(id[i]))));
  }
  return out;
}

std::string derivedName(const char* prefix, const std::string& id) {
  std::string g = guidHex(id);
  if (!g.empty()) return prefix + g;
  return std::string(prefix) + "h" + sha256Hex(id).substr(0, 32);
}

}  // namespace

std::string databaseName(const std::string& instance_id) {
  return derivedName("si_", instance_id);
}

std::string roleName(const std::string& binding_id) { return derivedName("sb_", binding_id); }

auth::Secret bindingPassword(const auth::Secret& broker_secret, const std::string& binding_id) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  const std::string& key = broker_secret.reveal();
  if (!HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
            reinterpret_cast<const unsigned char*>(binding_id.data()), binding_id.size(), mac,
            &len)) {
    throw std::runtime_error("HMAC-SHA256 failed");
  }
  return auth::Secret(hex(mac, len));
}

std::string jsonHash(const nlohmann::json& value) { return sha256Hex(value.dump()); }

std::string randomHex(size_t bytes) {
  std::string raw(bytes, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(raw.data()), static_cast<int>(bytes)) != 1) {
    throw std::runtime_error("RAND_bytes failed");
  }
  return hex(reinterpret_cast<const unsigned char*>(raw.data()), raw.size());
}

std::string percentEncode(const std::string& text) {
  static const char* digits = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(digits[c >> 4]);
      out.push_back(digits[c & 15]);
    }
  }
  return out;
}

nlohmann::json credentials(const std::string& host, int port, const std::string& database,
                           const std::string& username, const auth::Secret& password) {
  std::string uri = "postgres://" + percentEncode(username) + ":" +
                    percentEncode(password.reveal()) + "@" + host + ":" + std::to_string(port) +
                    "/" + percentEncode(database);
  return {{"uri", uri},           {"hostname", host},         {"port", port},
          {"name", database},     {"username", username},     {"password", password.reveal()}};
}

}  // namespace foundry::pgbroker
