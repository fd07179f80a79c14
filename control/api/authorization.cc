// Who may do what: the checks every handler asks (control/auth/permissions.h has the role
// sets), and the audit trail of what they did.
#include "control/api/api.h"

namespace foundry::control {

using nlohmann::json;

ApiError notAuthorized() {
  return {403, 10003, "CF-NotAuthorized", "You are not authorized to perform the requested action"};
}

namespace {
ApiError orgSuspended() { return {403, 10017, "CF-OrgSuspended", "The organization is suspended"}; }
}  // namespace

Space Api::authorizeSpace(const Ctx& c, const std::string& space_guid, Access access,
                          const std::string& what) {
  auto space = store_.getSpace(space_guid);
  if (!space || !c.can().canReadSpace(*space)) throw notFound(what);
  if (access == Access::Read) return *space;
  bool allowed = access == Access::Write     ? c.can().canWriteSpace(space->guid)
                 : access == Access::Operate ? c.can().canOperateSpace(space->guid)
                                             : c.can().canManageSpace(*space);
  if (!allowed) throw notAuthorized();
  if (!c.can().isAdmin()) {
    auto org = store_.getOrganization(space->organization_guid);
    if (org && org->suspended) throw orgSuspended();
  }
  return *space;
}

Organization Api::authorizeOrg(const Ctx& c, const std::string& org_guid, bool manage,
                               const std::string& what) {
  auto org = store_.getOrganization(org_guid);
  if (!org || !c.can().canReadOrg(org_guid)) throw notFound(what);
  if (!manage) return *org;
  if (!c.can().canManageOrg(org_guid)) throw notAuthorized();
  if (org->suspended && !c.can().isAdmin()) throw orgSuspended();
  return *org;
}

App Api::requireApp(const Ctx& c, const std::string& guid, Access access,
                    const std::string& what) {
  auto app = store_.getApp(guid);
  if (!app) throw notFound(what);
  authorizeSpace(c, app->space_guid, access, what);
  return *app;
}

void Api::requireAdmin(const Ctx& c) {
  if (!c.can().isAdmin()) throw notAuthorized();
}

void Api::audit(const Ctx& c, const std::string& type, const std::string& target_type,
                const std::string& target_guid, const std::string& target_name,
                const std::string& space_guid, const json& data) {
  AuditEvent e;
  e.guid = newGuid();
  e.type = type;
  e.actor_guid = c.who().isClient() ? c.who().client_id : c.who().user_guid;
  e.actor_type = c.who().isClient() ? "client" : "user";
  e.actor_name = c.who().name();
  e.target_guid = target_guid;
  e.target_type = target_type;
  e.target_name = target_name;
  e.data = data.dump();
  if (!space_guid.empty()) {
    e.space_guid = space_guid;
    if (auto s = store_.getSpace(space_guid)) e.organization_guid = s->organization_guid;
  }
  e.created_at = e.updated_at = nowIso8601();
  store_.createAuditEvent(e);
}

}  // namespace foundry::control
