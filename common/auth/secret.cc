#include "common/auth/secret.h"

#include <openssl/crypto.h>

namespace foundry::auth {

bool Secret::equals(std::string_view other) const {
  // The length is not secret (tokens and hashes have fixed sizes); the bytes are.
  if (other.size() != value_.size()) return false;
  return CRYPTO_memcmp(value_.data(), other.data(), value_.size()) == 0;
}

}  // namespace foundry::auth
