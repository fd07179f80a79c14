#pragma once
// cf's role names on the command line <-> the V3 role types.
#include <string>

#include "cli/common/result.h"

namespace foundry::cli {

// OrgManager -> organization_manager, BillingManager -> organization_billing_manager,
// OrgAuditor -> organization_auditor (case-insensitive, as cf). Anything else is cf's usage
// error.
Result<std::string> orgRoleType(const std::string& cli_name);
// SpaceManager, SpaceDeveloper, SpaceAuditor, SpaceSupporter -> space_manager, ...
Result<std::string> spaceRoleType(const std::string& cli_name);
// The reverse (organization_user -> OrgUser); the type itself when unknown.
std::string roleCliName(const std::string& type);
// The heading org-users/space-users print: organization_manager -> "ORG MANAGER",
// space_developer -> "SPACE DEVELOPER", organization_billing_manager -> "BILLING MANAGER".
std::string roleHeading(const std::string& type);
// True for a 422 detail saying the role exists ("User 'x' already has 'y' role ...").
bool isRoleAlreadyExists(const std::string& detail);

}  // namespace foundry::cli
