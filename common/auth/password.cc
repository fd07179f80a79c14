#include "common/auth/password.h"

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <climits>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

#include "common/auth/jwt.h"  // base64UrlEncode / base64UrlDecode

namespace foundry::auth {

namespace {

constexpr std::string_view kPrefix = "pbkdf2-sha256$";
constexpr size_t kSaltBytes = 16;
constexpr size_t kKeyBytes = 32;
// A stored hash comes from a database; an absurd cost in it must not become a CPU-burning
// denial of service at login.
constexpr int kMaxIterations = 10'000'000;
constexpr size_t kMaxSaltBytes = 64;

// The derived key, or nullopt if OpenSSL failed (error queue cleared).
std::optional<std::string> derive(const std::string& password, std::string_view salt,
                                  int iterations) {
  if (password.size() > size_t(INT_MAX)) return std::nullopt;
  std::string key(kKeyBytes, '\0');
  if (PKCS5_PBKDF2_HMAC(password.data(), int(password.size()),
                        reinterpret_cast<const unsigned char*>(salt.data()), int(salt.size()),
                        iterations, EVP_sha256(), int(key.size()),
                        reinterpret_cast<unsigned char*>(key.data())) != 1) {
    ERR_clear_error();
    return std::nullopt;
  }
  return key;
}

// Decimal digits only (no sign, no spaces), within [1, kMaxIterations].
std::optional<int> parseIterations(std::string_view text) {
  if (text.empty() || text.size() > 8) return std::nullopt;
  int value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + (c - '0');
  }
  if (value < 1 || value > kMaxIterations) return std::nullopt;
  return value;
}

std::string randomBytes(size_t n) {
  std::string bytes(n, '\0');
  if (n > size_t(INT_MAX) ||
      RAND_bytes(reinterpret_cast<unsigned char*>(bytes.data()), int(n)) != 1) {
    ERR_clear_error();
    throw std::runtime_error("RAND_bytes failed");
  }
  return bytes;
}

}  // namespace

std::string hashPassword(const Secret& password, int iterations) {
  if (iterations < 1 || iterations > kMaxIterations) {
    throw std::invalid_argument("hashPassword: iterations out of range");
  }
  std::string salt = randomBytes(kSaltBytes);
  std::optional<std::string> key = derive(password.reveal(), salt, iterations);
  if (!key) throw std::runtime_error("PKCS5_PBKDF2_HMAC failed");
  std::string encoded = std::string(kPrefix) + std::to_string(iterations) + "$" +
                        base64UrlEncode(salt) + "$" + base64UrlEncode(*key);
  OPENSSL_cleanse(key->data(), key->size());
  return encoded;
}

bool verifyPassword(const Secret& password, const std::string& encoded) {
  try {
    std::string_view rest = encoded;
    if (!rest.starts_with(kPrefix)) return false;
    rest.remove_prefix(kPrefix.size());
    size_t d1 = rest.find('$');
    if (d1 == std::string_view::npos) return false;
    size_t d2 = rest.find('$', d1 + 1);
    if (d2 == std::string_view::npos || rest.find('$', d2 + 1) != std::string_view::npos) {
      return false;
    }
    std::optional<int> iterations = parseIterations(rest.substr(0, d1));
    std::optional<std::string> salt = base64UrlDecode(rest.substr(d1 + 1, d2 - d1 - 1));
    std::optional<std::string> stored = base64UrlDecode(rest.substr(d2 + 1));
    if (!iterations || !salt || !stored || salt->empty() || salt->size() > kMaxSaltBytes ||
        stored->size() != kKeyBytes) {
      return false;
    }
    std::optional<std::string> key = derive(password.reveal(), *salt, *iterations);
    if (!key) return false;
    bool same = CRYPTO_memcmp(key->data(), stored->data(), kKeyBytes) == 0;
    OPENSSL_cleanse(key->data(), key->size());
    return same;
  } catch (...) {
    // Only allocation can throw above; a failed check must never take the caller down.
    return false;
  }
}

Secret randomSecret(size_t bytes) {
  std::string raw = randomBytes(bytes);
  Secret secret(base64UrlEncode(raw));
  OPENSSL_cleanse(raw.data(), raw.size());
  return secret;
}

}  // namespace foundry::auth
