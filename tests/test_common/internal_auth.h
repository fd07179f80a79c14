#pragma once
// TestSecrets: a --secrets folder for the platform daemons a test starts, and the same
// credentials on the test's side, so that the test can sign its own calls to them (as the
// controller, the scheduler or a cell would) and its fakes can check that the daemons sign.
//
//   TestSecrets secrets;          // /tmp/foundry-secrets-XXXXXX with a key, removed at the end
//   args += {"--secrets", secrets.dir()};
//   net::sendJson("PUT", url, body, 10000, secrets.signer());   // signed
//   if (!secrets.verify(req, &why)) reply 401;            // in an evhttp fake
#include <event2/http.h>

#include <memory>
#include <string>

#include "common/auth/internal_credentials.h"
#include "common/net/http_client.h"

namespace foundry::test {

class TestSecrets {
 public:
  TestSecrets();  // makes the folder and its key (InternalCredentials::loadOrCreate)
  ~TestSecrets();
  TestSecrets(const TestSecrets&) = delete;
  TestSecrets& operator=(const TestSecrets&) = delete;

  const std::string& dir() const { return dir_; }
  const auth::InternalCredentials& credentials() const { return *credentials_; }
  net::Authorizer signer(const std::string& caller = "test") const {
    return credentials_->signer(caller);
  }
  // True when `req` carries a token for its method and request-target signed with this key;
  // else false and `why`. `caller` gets the verified caller name.
  bool verify(evhttp_request* req, std::string* why, std::string* caller = nullptr) const;

 private:
  std::string dir_;
  std::unique_ptr<auth::InternalCredentials> credentials_;
};

// Method name of an evhttp request ("GET", "POST", ...).
const char* evhttpMethodName(evhttp_request* req);

}  // namespace foundry::test
