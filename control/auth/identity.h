#pragma once
// Who is calling: what a verified access token says (control/auth/token_service.h). A user
// token names the user; a client token (client_credentials grant) names only the client.

#include <algorithm>
#include <string>
#include <vector>

namespace foundry::control {

// UAA scopes that carry Cloud Controller's global roles.
inline constexpr const char* kScopeAdmin = "cloud_controller.admin";
inline constexpr const char* kScopeAdminReadOnly = "cloud_controller.admin_read_only";
inline constexpr const char* kScopeGlobalAuditor = "cloud_controller.global_auditor";
inline constexpr const char* kScopeRead = "cloud_controller.read";
inline constexpr const char* kScopeWrite = "cloud_controller.write";

struct Identity {
  std::string user_guid;  // "" for a client token
  std::string user_name;  // "" for a client token
  std::string origin;
  std::string client_id;
  std::vector<std::string> scopes;

  bool isClient() const { return user_guid.empty(); }
  bool hasScope(const std::string& scope) const {
    return std::find(scopes.begin(), scopes.end(), scope) != scopes.end();
  }
  // The name audit events and job records show.
  const std::string& name() const { return isClient() ? client_id : user_name; }
};

}  // namespace foundry::control
