#pragma once
// The WWW-Authenticate challenge of a registry's 401 (RFC 7235 auth-params), e.g.
//   Basic realm="Registry"
//   Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/busybox:pull"
#include <map>
#include <string>
#include <string_view>

namespace foundry::oci {

struct AuthChallenge {
  std::string scheme;                         // lower-cased: "basic", "bearer"
  std::map<std::string, std::string> params;  // names lower-cased, values unquoted
  std::string param(const std::string& name) const;
};

// Parses the first challenge of the header value; scheme "" when there is none.
AuthChallenge parseAuthChallenge(std::string_view header);

}  // namespace foundry::oci
