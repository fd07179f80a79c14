#include "cli/commands/roles.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <utility>

namespace foundry::cli {

namespace {

using Pair = std::pair<const char*, const char*>;  // cli name, type
constexpr std::array<Pair, 4> kOrgRoles = {{{"OrgManager", "organization_manager"},
                                            {"BillingManager", "organization_billing_manager"},
                                            {"OrgAuditor", "organization_auditor"},
                                            {"OrgUser", "organization_user"}}};
constexpr std::array<Pair, 4> kSpaceRoles = {{{"SpaceManager", "space_manager"},
                                              {"SpaceDeveloper", "space_developer"},
                                              {"SpaceAuditor", "space_auditor"},
                                              {"SpaceSupporter", "space_supporter"}}};

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

}  // namespace

Result<std::string> orgRoleType(const std::string& cli_name) {
  // OrgUser is not settable with set-org-role (cf's list), only shown.
  for (size_t i = 0; i < 3; ++i) {
    if (lower(cli_name) == lower(kOrgRoles[i].first)) {
      return Result<std::string>::ok(kOrgRoles[i].second);
    }
  }
  return Result<std::string>::fail(
      "Incorrect Usage: ROLE must be \"OrgManager\", \"BillingManager\" and \"OrgAuditor\"");
}

Result<std::string> spaceRoleType(const std::string& cli_name) {
  for (const auto& [name, type] : kSpaceRoles) {
    if (lower(cli_name) == lower(name)) return Result<std::string>::ok(type);
  }
  return Result<std::string>::fail(
      "Incorrect Usage: ROLE must be \"SpaceManager\", \"SpaceDeveloper\", \"SpaceAuditor\" and "
      "\"SpaceSupporter\"");
}

std::string roleCliName(const std::string& type) {
  for (const auto& [name, t] : kOrgRoles) {
    if (type == t) return name;
  }
  for (const auto& [name, t] : kSpaceRoles) {
    if (type == t) return name;
  }
  return type;
}

std::string roleHeading(const std::string& type) {
  if (type == "organization_billing_manager") return "BILLING MANAGER";
  std::string text = type;
  if (text.rfind("organization_", 0) == 0) text = "org_" + text.substr(13);
  for (auto& c : text) c = c == '_' ? ' ' : static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return text;
}

bool isRoleAlreadyExists(const std::string& detail) {
  return detail.find("already has") != std::string::npos &&
         detail.find("role") != std::string::npos;
}

}  // namespace foundry::cli
