#pragma once
// A token service for tests that drive the controller's Api directly: one RSA key for the
// whole test binary (key generation is slow), a cheap password hash cost, and the admin's
// bearer header.

#include <ctime>
#include <memory>
#include <string>

#include "common/auth/jwt.h"
#include "control/auth/token_service.h"

namespace foundry::control::test_support {

inline const auth::SigningKey& sharedSigningKey() {
  static const auth::SigningKey key = auth::SigningKey::generate();
  return key;
}

struct TestTokens {
  explicit TestTokens(Store& store) {
    TokenServiceConfig config;
    config.password_iterations = 1000;  // tests only: hashing cost is not what they test
    config.admin_client_secret = auth::Secret("admin-client-secret");
    service = std::make_unique<TokenService>(store, sharedSigningKey(), config);
    service->bootstrapAdmin(auth::Secret("admin-password"));
    admin = bearer("admin", "admin-password");
  }
  // "bearer <access token>" for a user with this password.
  std::string bearer(const std::string& user, const std::string& password) {
    return "bearer " + service
                           ->passwordGrant(user, auth::Secret(password),
                                           static_cast<int64_t>(std::time(nullptr)))
                           .access_token;
  }
  // Creates a user and returns their bearer header.
  std::string newUser(const std::string& user, std::string* guid = nullptr) {
    User u = service->createUser(user, auth::Secret(user + "-pw"));
    if (guid) *guid = u.guid;
    return bearer(user, user + "-pw");
  }

  std::unique_ptr<TokenService> service;
  std::string admin;  // the admin's Authorization header
};

}  // namespace foundry::control::test_support
