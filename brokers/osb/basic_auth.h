#pragma once
// HTTP Basic credentials (A.2: every request, 401 on failure).

#include <string>
#include <string_view>

#include "common/auth/secret.h"

namespace foundry::osb {

class BasicAuth {
 public:
  BasicAuth(std::string username, auth::Secret password)
      : username_(std::move(username)), password_(std::move(password)) {}

  // True when `authorization` (the header's value) is "Basic base64(user:password)" with our
  // user and password. Both parts are compared in constant time, and both always, so the
  // answer's timing tells nothing about which part was wrong.
  bool check(std::string_view authorization) const;

 private:
  std::string username_;
  auth::Secret password_;
};

}  // namespace foundry::osb
