#pragma once
// Route-service signatures, byte-compatible with gorouter's (routeservice/signature.go over
// common/secure/crypto.go), so a route service can be shared by both routers and keys rotate
// the same way (ROUTER-PROTOCOL.md 7):
//   key        = PBKDF2-HMAC-SHA256(route_services_secret, salt "", 100001 iterations, 16 bytes)
//   plaintext  = {"forwarded_url":"<url>","requested_time":"<RFC 3339, ns>"}  (Go's JSON)
//   sealed     = AES-128-GCM(key, 12-byte random nonce, no additional data): ciphertext || tag
//   X-CF-Proxy-Signature = base64url WITH padding of `sealed`
//   X-CF-Proxy-Metadata  = base64url WITH padding of {"nonce":"<standard base64 of the nonce>"}
// No I/O here; the key is derived once per secret (PBKDF2 costs ~20 ms by design), never per
// request. Thread-safe: everything is const after construction.

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/auth/secret.h"

namespace foundry::router {

constexpr int kSignatureKdfIterations = 100001;
constexpr size_t kSignatureKeyBytes = 16;
constexpr size_t kSignatureNonceBytes = 12;

using SignatureNonce = std::array<uint8_t, kSignatureNonceBytes>;

class SignatureKey {
 public:
  // The key gorouter derives from `secret`.
  static SignatureKey derive(const auth::Secret& secret);
  // A key given directly (16 bytes), for tests.
  static SignatureKey fromRawKey(std::string_view key);

  // AES-128-GCM: returns ciphertext followed by the 16-byte tag (Go's Seal layout).
  std::string seal(std::string_view plaintext, const SignatureNonce& nonce) const;
  // The plaintext, or nullopt when the tag does not verify (tampered, or another key).
  std::optional<std::string> open(std::string_view sealed, std::string_view nonce) const;

 private:
  SignatureKey() = default;
  std::array<uint8_t, kSignatureKeyBytes> key_{};
};

struct SignatureContents {
  std::string forwarded_url;
  int64_t requested_time_ns = 0;  // Unix nanoseconds
};

struct SignatureHeaders {
  std::string signature;  // X-CF-Proxy-Signature
  std::string metadata;   // X-CF-Proxy-Metadata
};

// The two header values for `contents`, sealed with `nonce` (random per request in production).
SignatureHeaders buildSignatureHeaders(const SignatureKey& key, const SignatureContents& contents,
                                       const SignatureNonce& nonce);
// Fills `nonce` from the system's CSPRNG; false if it failed.
bool randomSignatureNonce(SignatureNonce* nonce);

// Reads the headers back. False with *error (for logs; never holds key material) when the
// metadata is missing or malformed, the signature is not base64url, the tag does not verify, or
// the decrypted contents are not the expected JSON.
bool readSignatureHeaders(const SignatureKey& key, std::string_view signature,
                          std::string_view metadata, SignatureContents* out, std::string* error);

// Go's json.Marshal of a string: quotes, escapes (including <, > and & as \u003c, \u003e,
// \u0026 and U+2028/U+2029), invalid UTF-8 replaced by U+FFFD. Appended to *out.
void appendGoJsonString(std::string_view value, std::string* out);

}  // namespace foundry::router
