#pragma once
// Permissions: who may read and change what, asked by every handler and never re-derived in
// one (Cloud Controller's lib/cloud_controller/permissions.rb, same role sets). Built once per
// request from the caller's identity and their roles (one store query).
//
// Global roles come from token scopes: cloud_controller.admin (everything),
// cloud_controller.admin_read_only and cloud_controller.global_auditor (read everything;
// auditors see no secrets). Org and space roles come from the roles table:
//   read an org:         organization_user, _auditor, _manager, _billing_manager
//   read a space:        space_developer, _manager, _auditor, _supporter, organization_manager
//   write in a space:    space_developer (push, scale, routes, env, delete)
//   operate apps:        space_developer, space_supporter (start, stop, restart, scale)
//   read secrets:        space_developer (env, credentials), admin, admin_read_only
//   manage a space:      space_manager, organization_manager (roles, space settings)
//   manage an org:       organization_manager (spaces, roles, space quotas, private domains)
// Handlers answer 404 for what the caller may not read and 403 for what they may read but not
// change, so one tenant cannot even learn whether another tenant's GUID exists.
//
// List endpoints pass readableSpaces()/readableOrgs() into the store filter (scope in the
// query): nullopt means "all" (global readers); an empty vector means "none".

#include <optional>
#include <set>
#include <string>
#include <vector>

#include "control/auth/identity.h"
#include "control/store/store.h"

namespace foundry::control {

class Permissions {
 public:
  Permissions(Identity identity, Store& store);

  const Identity& identity() const { return identity_; }
  bool isAdmin() const { return admin_; }
  bool canReadGlobally() const { return admin_ || global_reader_; }

  bool canReadOrg(const std::string& org_guid) const;
  bool canManageOrg(const std::string& org_guid) const;
  bool canReadSpace(const Space& space) const;
  bool canWriteSpace(const std::string& space_guid) const;
  bool canOperateSpace(const std::string& space_guid) const;
  bool canReadSecrets(const std::string& space_guid) const;
  bool canManageSpace(const Space& space) const;

  std::optional<std::vector<std::string>> readableOrgs() const;
  std::optional<std::vector<std::string>> readableSpaces() const;
  // The roles the user holds (empty for clients and global readers without roles).
  const std::vector<Role>& roles() const { return roles_; }

 private:
  bool hasOrgRole(const std::string& org_guid, std::initializer_list<const char*> types) const;
  bool hasSpaceRole(const std::string& space_guid, std::initializer_list<const char*> types) const;

  Identity identity_;
  Store& store_;
  bool admin_ = false;
  bool global_reader_ = false;
  bool secrets_reader_ = false;  // admin_read_only
  std::vector<Role> roles_;
};

// Narrows a list filter (empty = any) to what the caller may read. Returns false when
// nothing can match (the caller answers an empty list without asking the store).
bool scopeFilter(std::vector<std::string>& filter,
                 const std::optional<std::vector<std::string>>& readable);

}  // namespace foundry::control
