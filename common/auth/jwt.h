#pragma once
// JSON Web Tokens as UAA issues them: RS256 (RSASSA-PKCS1-v1_5 over SHA-256, OpenSSL EVP),
// header {"alg":"RS256","typ":"JWT","kid":<kid>}, base64url without padding.
//
// SigningKey holds the token service's RSA key pair. loadOrCreate() keeps it in
// DIR/token-signing-key.pem (mode 0600, made at first start, 2048-bit), so tokens survive a
// restart. kid = the first 16 hex digits of the SHA-256 of the public key's DER.
//
// TokenVerifier checks a token against one public key: alg must be RS256 (a token with
// "alg":"none", HS256 or anything else is refused before any crypto), the kid, if present,
// must match, the signature must verify, and `exp` (required, a number) must be in the future.
// A verified token is cached by its exact text until its exp (bounded: `capacity` entries;
// when full, expired entries go first, then the oldest), so a warm verification is a hash
// lookup, not an RSA operation. Not thread-safe: one thread (the controller's loop) uses it.

#include <cstdint>
#include <deque>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "common/auth/base64url.h"

namespace foundry::auth {

class SigningKey {
 public:
  // Loads DIR/token-signing-key.pem, or makes and writes it (0600) when absent. Throws
  // std::runtime_error naming the file on failure (unreadable, not an RSA key, not writable).
  static SigningKey loadOrCreate(const std::string& dir);
  // A fresh in-memory key (tests, benchmarks).
  static SigningKey generate();

  SigningKey(SigningKey&&) noexcept;
  SigningKey& operator=(SigningKey&&) noexcept;
  ~SigningKey();

  // header.payload.signature for these claims (the caller sets every claim, exp included).
  std::string sign(const nlohmann::json& claims) const;
  const std::string& kid() const { return kid_; }
  // The public key as a JWK: {"kty":"RSA","use":"sig","alg":"RS256","kid","n","e","value"}
  // (value = the PEM of the public key, as UAA's /token_keys also carries).
  nlohmann::json publicJwk() const;
  // PEM of the public key ("-----BEGIN PUBLIC KEY-----...").
  std::string publicPem() const;

 private:
  friend class TokenVerifier;  // verifies with impl_'s public half
  struct Impl;
  explicit SigningKey(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
  std::string kid_;
};

enum class TokenStatus {
  Valid,
  Malformed,     // not three base64url parts of JSON objects
  BadAlgorithm,  // alg other than RS256 (none, HS256, ...), or a kid we do not know
  BadSignature,  // the signature does not verify with our key (tampered, or another key)
  Expired,       // exp missing, not a number, or <= now
};
const char* tokenStatusName(TokenStatus status);

struct VerifiedToken {
  TokenStatus status = TokenStatus::Malformed;
  // The payload, when Valid; shared with the cache (never modified).
  std::shared_ptr<const nlohmann::json> claims;
};

class TokenVerifier {
 public:
  // Keeps a reference: `key` must outlive the verifier.
  explicit TokenVerifier(const SigningKey& key, size_t capacity = 10000);

  // `now`: seconds since the epoch. Valid tokens are cached until their exp.
  VerifiedToken verify(std::string_view token, int64_t now);

  // Counters for tests and benchmarks.
  uint64_t cacheHits() const { return hits_; }
  uint64_t signatureChecks() const { return checks_; }
  size_t cached() const { return cache_.size(); }

 private:
  VerifiedToken verifyUncached(std::string_view token, int64_t now);

  const SigningKey& key_;
  size_t capacity_;
  struct Entry {
    std::shared_ptr<const nlohmann::json> claims;
    int64_t exp;
  };
  std::unordered_map<std::string, Entry> cache_;
  std::deque<std::string> order_;  // insertion order, for eviction
  uint64_t hits_ = 0, checks_ = 0;
};

}  // namespace foundry::auth
