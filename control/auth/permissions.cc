#include "control/auth/permissions.h"

#include <algorithm>

namespace foundry::control {

Permissions::Permissions(Identity identity, Store& store)
    : identity_(std::move(identity)), store_(store) {
  admin_ = identity_.hasScope(kScopeAdmin);
  secrets_reader_ = identity_.hasScope(kScopeAdminReadOnly);
  global_reader_ = secrets_reader_ || identity_.hasScope(kScopeGlobalAuditor);
  if (!identity_.isClient()) roles_ = store_.listRoles({{}, {}, {identity_.user_guid}, {}, {}});
}

bool Permissions::hasOrgRole(const std::string& org_guid,
                             std::initializer_list<const char*> types) const {
  return std::any_of(roles_.begin(), roles_.end(), [&](const Role& r) {
    return r.organization_guid == org_guid &&
           std::any_of(types.begin(), types.end(), [&](const char* t) { return r.type == t; });
  });
}

bool Permissions::hasSpaceRole(const std::string& space_guid,
                               std::initializer_list<const char*> types) const {
  return std::any_of(roles_.begin(), roles_.end(), [&](const Role& r) {
    return r.space_guid == space_guid &&
           std::any_of(types.begin(), types.end(), [&](const char* t) { return r.type == t; });
  });
}

bool Permissions::canReadOrg(const std::string& org_guid) const {
  return canReadGlobally() ||
         hasOrgRole(org_guid, {"organization_user", "organization_auditor",
                               "organization_manager", "organization_billing_manager"});
}

bool Permissions::canManageOrg(const std::string& org_guid) const {
  return admin_ || hasOrgRole(org_guid, {"organization_manager"});
}

bool Permissions::canReadSpace(const Space& space) const {
  return canReadGlobally() || hasOrgRole(space.organization_guid, {"organization_manager"}) ||
         hasSpaceRole(space.guid,
                      {"space_developer", "space_manager", "space_auditor", "space_supporter"});
}

bool Permissions::canWriteSpace(const std::string& space_guid) const {
  return admin_ || hasSpaceRole(space_guid, {"space_developer"});
}

bool Permissions::canOperateSpace(const std::string& space_guid) const {
  return admin_ || hasSpaceRole(space_guid, {"space_developer", "space_supporter"});
}

bool Permissions::canReadSecrets(const std::string& space_guid) const {
  return admin_ || secrets_reader_ || hasSpaceRole(space_guid, {"space_developer"});
}

bool Permissions::canManageSpace(const Space& space) const {
  return admin_ || hasOrgRole(space.organization_guid, {"organization_manager"}) ||
         hasSpaceRole(space.guid, {"space_manager"});
}

std::optional<std::vector<std::string>> Permissions::readableOrgs() const {
  if (canReadGlobally()) return std::nullopt;
  std::set<std::string> orgs;
  for (const auto& r : roles_) {
    if (r.organization_guid) orgs.insert(*r.organization_guid);
  }
  return std::vector<std::string>(orgs.begin(), orgs.end());
}

std::optional<std::vector<std::string>> Permissions::readableSpaces() const {
  if (canReadGlobally()) return std::nullopt;
  std::set<std::string> spaces;
  std::vector<std::string> managed_orgs;
  for (const auto& r : roles_) {
    if (r.space_guid) spaces.insert(*r.space_guid);
    if (r.organization_guid && r.type == "organization_manager") {
      managed_orgs.push_back(*r.organization_guid);
    }
  }
  if (!managed_orgs.empty()) {
    for (const auto& s : store_.listSpaces({{}, {}, managed_orgs})) spaces.insert(s.guid);
  }
  return std::vector<std::string>(spaces.begin(), spaces.end());
}

bool scopeFilter(std::vector<std::string>& filter,
                 const std::optional<std::vector<std::string>>& readable) {
  if (!readable) return true;
  if (filter.empty()) {
    filter = *readable;
  } else {
    std::erase_if(filter, [&](const std::string& g) {
      return std::find(readable->begin(), readable->end(), g) == readable->end();
    });
  }
  return !filter.empty();
}

}  // namespace foundry::control
