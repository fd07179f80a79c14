#pragma once
// FieldCipher: encrypts secrets at rest (broker passwords, service credentials) with
// AES-256-GCM, as Cloud Controller's database_encryption does. Each sealed value names the key
// that sealed it, so keys can be rotated: add a new key, make it current, and re-seal what an
// old key sealed (needsRotation() says which values those are); old keys stay until nothing
// uses them.
//
// A sealed value is text: "enc:v1:<label>:<base64url(12-byte nonce | ciphertext | 16-byte tag)>".
// The label is bound into the tag as additional data, so a value cannot be moved to another
// key's label. open() refuses anything tampered with.
//
// Thread-safe after construction (const methods only; OpenSSL contexts are per call).

#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

#include "common/auth/secret.h"

namespace foundry::crypto {

struct CipherError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

class FieldCipher {
 public:
  // keys: label -> 32 raw bytes. `current` must be one of them. Throws CipherError.
  FieldCipher(std::map<std::string, auth::Secret> keys, std::string current);

  // Reads a key file: JSON {"current":"<label>","keys":{"<label>":"<base64url of 32 bytes>"}}.
  // When `path` does not exist, creates it (mode 0600) with one fresh random key labelled
  // "key-1". Throws CipherError on a bad file.
  static FieldCipher fromKeyFile(const std::string& path);

  std::string seal(std::string_view plaintext) const;
  // The plaintext; throws CipherError for an unknown label, a malformed or a tampered value.
  auth::Secret open(std::string_view sealed) const;
  // True when `sealed` was sealed by a key other than the current one (rotate it).
  bool needsRotation(std::string_view sealed) const;
  static bool isSealed(std::string_view value);

  const std::string& currentLabel() const { return current_; }

 private:
  std::map<std::string, auth::Secret> keys_;
  std::string current_;
};

}  // namespace foundry::crypto
