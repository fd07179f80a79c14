#pragma once
// Password hashing for the token service's users and clients: PBKDF2-HMAC-SHA256 (OpenSSL
// PKCS5_PBKDF2_HMAC) with a 16-byte random salt and a 32-byte key, encoded with its parameters
// so the cost can be raised later without invalidating stored hashes:
//   "pbkdf2-sha256$<iterations>$<salt base64url>$<key base64url>"
// verifyPassword recomputes with the stored parameters and compares in constant time; a
// malformed encoding verifies as false (never throws).

#include <string>

#include "common/auth/secret.h"

namespace foundry::auth {

// Cost of new hashes. ~40 ms on one core of the 2-core CI machine; tests may lower it.
inline constexpr int kDefaultPbkdf2Iterations = 100000;

std::string hashPassword(const Secret& password, int iterations = kDefaultPbkdf2Iterations);
bool verifyPassword(const Secret& password, const std::string& encoded);

// A random secret of `bytes` random bytes (RAND_bytes), base64url: generated passwords,
// internal credentials.
Secret randomSecret(size_t bytes = 24);

}  // namespace foundry::auth
