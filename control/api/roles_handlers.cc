// /v3/roles and /v3/users: who holds which role where. Org roles are given by org managers
// (and admins); space roles by org managers and space managers, and only to users who already
// have a role in the space's organization (CC's rule).
#include <algorithm>
#include <set>

#include "control/api/api.h"
#include "control/api/body.h"
#include "control/api/presenters.h"

namespace foundry::control {

using nlohmann::json;

namespace {

const std::vector<std::string> kOrgRoles = {"organization_user", "organization_auditor",
                                            "organization_manager",
                                            "organization_billing_manager"};
const std::vector<std::string> kSpaceRoles = {"space_developer", "space_manager", "space_auditor",
                                              "space_supporter"};

bool isOrgRole(const std::string& t) {
  return std::find(kOrgRoles.begin(), kOrgRoles.end(), t) != kOrgRoles.end();
}
bool isSpaceRole(const std::string& t) {
  return std::find(kSpaceRoles.begin(), kSpaceRoles.end(), t) != kSpaceRoles.end();
}

}  // namespace

ApiResponse Api::createRole(Ctx& c) {
  json b = c.body();
  body::allowOnly(b, {"type", "relationships"});
  auto type = body::optString(b, "type", "Type").value_or("");
  if (!isOrgRole(type) && !isSpaceRole(type)) {
    throw unprocessable(
        "Type must be one of the allowed types [\"organization_auditor\", "
        "\"organization_manager\", \"organization_billing_manager\", \"organization_user\", "
        "\"space_auditor\", \"space_manager\", \"space_developer\", \"space_supporter\"]");
  }
  // The user, by guid or by username (+ origin), as `cf set-*-role` sends it.
  const json rel = b.value("relationships", json::object());
  if (!rel.is_object() || !rel.contains("user") || !rel["user"].is_object() ||
      !rel["user"].contains("data") || !rel["user"]["data"].is_object()) {
    throw unprocessable("Relationships user can't be blank");
  }
  const json& ud = rel["user"]["data"];
  std::optional<User> user;
  if (ud.contains("guid") && ud["guid"].is_string()) {
    user = store_.getUser(ud["guid"].get<std::string>());
    if (!user) throw unprocessable("Invalid user. Ensure that the user exists and you have access to it.");
  } else if (ud.contains("username") && ud["username"].is_string()) {
    std::string username = ud["username"].get<std::string>();
    std::string origin = ud.value("origin", std::string("uaa"));
    auto found = store_.listUsers({{}, {username}, {origin}});
    if (found.empty()) {
      throw unprocessable("No user exists with the username '" + username + "' and origin '" +
                          origin + "'.");
    }
    user = found[0];
  } else {
    throw unprocessable("Relationships user can't be blank");
  }

  Role role;
  role.guid = newGuid();
  role.type = type;
  role.user_guid = user->guid;
  std::string where;
  if (isOrgRole(type)) {
    auto org_guid = body::relationshipGuid(b, "organization");
    if (!org_guid) throw unprocessable("Relationships organization can't be blank");
    Organization org = authorizeOrg(c, *org_guid, true, "Organization");
    role.organization_guid = org.guid;
    where = "organization '" + org.name + "'";
  } else {
    auto space_guid = body::relationshipGuid(b, "space");
    if (!space_guid) throw unprocessable("Relationships space can't be blank");
    Space space = authorizeSpace(c, *space_guid, Access::Manage, "Space");
    if (store_.listRoles({{}, {}, {user->guid}, {space.organization_guid}, {}}).empty()) {
      throw unprocessable(
          "Users cannot be assigned roles in a space if they do not have a role in that space's "
          "organization.");
    }
    role.space_guid = space.guid;
    where = "space '" + space.name + "'";
  }
  role.created_at = role.updated_at = nowIso8601();
  if (store_.createRole(role) != WriteResult::Ok) {
    throw unprocessable("User '" + user->username + "' already has '" + type + "' role in " +
                        where + ".");
  }
  audit(c, "audit.user." + type + "_add", "user", user->guid, user->username,
        role.space_guid.value_or(""), {{"role", type}});
  return {201, presentRole(c.req.base_url, role), {}};
}

ApiResponse Api::listRoles(Ctx& c) {
  c.query.allowOnly({"guids", "types", "user_guids", "organization_guids", "space_guids",
                     "include", "page", "per_page", "order_by"});
  PageRequest page = readPageRequest(c.query, {"created_at", "updated_at"});
  RoleFilter f;
  if (auto* v = c.query.find("guids")) f.guids = *v;
  if (auto* v = c.query.find("types")) f.types = *v;
  if (auto* v = c.query.find("user_guids")) f.user_guids = *v;
  if (auto* v = c.query.find("organization_guids")) f.organization_guids = *v;
  if (auto* v = c.query.find("space_guids")) f.space_guids = *v;
  auto roles = store_.listRoles(f);
  if (!c.can().canReadGlobally()) {
    // Roles in orgs and spaces the caller can read (the set is small; CC filters the same).
    auto orgs = c.can().readableOrgs().value_or(std::vector<std::string>{});
    auto spaces = c.can().readableSpaces().value_or(std::vector<std::string>{});
    std::erase_if(roles, [&](const Role& r) {
      if (r.organization_guid) {
        return std::find(orgs.begin(), orgs.end(), *r.organization_guid) == orgs.end();
      }
      return !r.space_guid || std::find(spaces.begin(), spaces.end(), *r.space_guid) == spaces.end();
    });
  }
  std::function<std::string(const Role&)> key = [&](const Role& r) {
    return page.order_by == "updated_at" ? r.updated_at : r.created_at;
  };
  std::function<json(const Role&)> present = [&](const Role& r) {
    return presentRole(c.req.base_url, r);
  };
  json out = presentList(c.req.base_url, "/v3/roles", c.req.query, page, roles, key, present);
  if (auto* inc = c.query.find("include")) {
    json included = json::object();
    auto wants = [&](const char* what) {
      return std::find(inc->begin(), inc->end(), what) != inc->end();
    };
    std::set<std::string> users, orgs, spaces;
    for (const auto& r : out["resources"]) {
      const json& rel = r["relationships"];
      users.insert(rel["user"]["data"]["guid"].get<std::string>());
      if (!rel["organization"]["data"].is_null()) {
        orgs.insert(rel["organization"]["data"]["guid"].get<std::string>());
      }
      if (!rel["space"]["data"].is_null()) {
        spaces.insert(rel["space"]["data"]["guid"].get<std::string>());
      }
    }
    if (wants("user")) {
      included["users"] = json::array();
      if (!users.empty()) {
        for (const auto& u : store_.listUsers({{users.begin(), users.end()}, {}, {}})) {
          included["users"].push_back(presentUser(c.req.base_url, u));
        }
      }
    }
    if (wants("organization")) {
      included["organizations"] = json::array();
      if (!orgs.empty()) {
        for (const auto& o : store_.listOrganizations({{orgs.begin(), orgs.end()}, {}})) {
          included["organizations"].push_back(presentOrganization(c.req.base_url, o));
        }
      }
    }
    if (wants("space")) {
      included["spaces"] = json::array();
      if (!spaces.empty()) {
        for (const auto& s : store_.listSpaces({{spaces.begin(), spaces.end()}, {}, {}})) {
          included["spaces"].push_back(presentSpace(c.req.base_url, s));
        }
      }
    }
    out["included"] = std::move(included);
  }
  return {200, std::move(out), {}};
}

ApiResponse Api::getRole(Ctx& c, const std::string& guid) {
  auto r = store_.getRole(guid);
  if (!r) throw notFound("Role");
  if (r->organization_guid) {
    authorizeOrg(c, *r->organization_guid, false, "Role");
  } else {
    authorizeSpace(c, r->space_guid.value_or(""), Access::Read, "Role");
  }
  return {200, presentRole(c.req.base_url, *r), {}};
}

ApiResponse Api::deleteRole(Ctx& c, const std::string& guid) {
  auto r = store_.getRole(guid);
  if (!r) throw notFound("Role");
  if (r->organization_guid) {
    authorizeOrg(c, *r->organization_guid, true, "Role");
  } else {
    authorizeSpace(c, r->space_guid.value_or(""), Access::Manage, "Role");
  }
  auto user = store_.getUser(r->user_guid);
  audit(c, "audit.user." + r->type + "_remove", "user", r->user_guid,
        user ? user->username : "", r->space_guid.value_or(""), {{"role", r->type}});
  return startDeleteJob(c, "role.delete", "role", guid);
}

// Users: admins see everyone; others see themselves and the users who hold a role where they
// can read.

ApiResponse Api::createUser(Ctx& c) {
  requireAdmin(c);
  json b = c.body();
  body::allowOnly(b, {"guid", "username", "origin", "metadata"});
  const std::string now = nowIso8601();
  if (auto guid = body::optString(b, "guid", "Guid")) {
    if (auto existing = store_.getUser(*guid)) {
      // `cf create-user` creates the UAA user first: the same record here.
      return {201, presentUser(c.req.base_url, *existing), {}};
    }
    User u;
    u.guid = *guid;
    u.username = *guid;
    u.created_at = u.updated_at = now;
    if (store_.createUser(u) != WriteResult::Ok) {
      throw unprocessable("User with guid '" + *guid + "' already exists.");
    }
    return {201, presentUser(c.req.base_url, u), {}};
  }
  auto username = body::optString(b, "username", "Username");
  if (!username || username->empty()) throw unprocessable("Username can't be blank");
  auto origin = body::optString(b, "origin", "Origin").value_or("uaa");
  auto existing = store_.listUsers({{}, {*username}, {origin}});
  if (!existing.empty()) {
    throw unprocessable("User with username '" + *username + "' and origin '" + origin +
                        "' already exists.");
  }
  User u;
  u.guid = newGuid();
  u.username = *username;
  u.origin = origin;
  u.created_at = u.updated_at = now;
  store_.createUser(u);
  return {201, presentUser(c.req.base_url, u), {}};
}

ApiResponse Api::listUsers(Ctx& c) {
  c.query.allowOnly({"guids", "usernames", "origins", "partial_usernames", "page", "per_page",
                     "order_by"});
  PageRequest page = readPageRequest(c.query, {"created_at", "updated_at"});
  UserFilter f;
  if (auto* v = c.query.find("guids")) f.guids = *v;
  if (auto* v = c.query.find("usernames")) f.usernames = *v;
  if (auto* v = c.query.find("origins")) f.origins = *v;
  std::optional<std::vector<std::string>> visible;
  if (!c.can().canReadGlobally()) {
    std::set<std::string> guids;
    if (!c.who().isClient()) guids.insert(c.who().user_guid);
    auto orgs = c.can().readableOrgs().value_or(std::vector<std::string>{});
    if (!orgs.empty()) {
      for (const auto& r : store_.listRoles({{}, {}, {}, orgs, {}})) guids.insert(r.user_guid);
    }
    visible = std::vector<std::string>(guids.begin(), guids.end());
  }
  std::vector<User> users;
  if (scopeFilter(f.guids, visible)) users = store_.listUsers(f);
  std::function<std::string(const User&)> key = [&](const User& u) {
    return page.order_by == "updated_at" ? u.updated_at : u.created_at;
  };
  std::function<json(const User&)> present = [&](const User& u) {
    return presentUser(c.req.base_url, u);
  };
  return {200,
          presentList(c.req.base_url, "/v3/users", c.req.query, page, std::move(users), key,
                      present),
          {}};
}

ApiResponse Api::getUser(Ctx& c, const std::string& guid) {
  auto u = store_.getUser(guid);
  bool visible = u && (c.can().canReadGlobally() || c.who().user_guid == guid);
  if (u && !visible) {
    auto orgs = c.can().readableOrgs().value_or(std::vector<std::string>{});
    visible = !orgs.empty() && !store_.listRoles({{}, {}, {guid}, orgs, {}}).empty();
  }
  if (!visible) throw notFound("User");
  return {200, presentUser(c.req.base_url, *u), {}};
}

ApiResponse Api::deleteUser(Ctx& c, const std::string& guid) {
  requireAdmin(c);
  auto u = store_.getUser(guid);
  if (!u) throw notFound("User");
  if (u->username == "admin" && u->origin == "uaa") {
    throw unprocessable("The admin user cannot be deleted");
  }
  return startDeleteJob(c, "user.delete", "user", guid);
}

}  // namespace foundry::control
