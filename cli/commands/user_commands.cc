// create-user, delete-user, set-org-role, unset-org-role, set-space-role, unset-space-role,
// org-users, space-users. Users live in the UAA (SCIM under links.uaa) and in CC (/v3/users);
// roles are /v3/roles.
#include <CLI/CLI.hpp>
#include <iostream>
#include <algorithm>
#include <map>

#include "cli/commands/commands.h"
#include "cli/commands/lookups.h"
#include "cli/commands/roles.h"

namespace foundry::cli {

using nlohmann::json;

namespace {

struct UserOptions {
  std::string user;
  std::string password;
  std::string org;
  std::string space;
  std::string role;
  bool force = false;
};

// The SCIM endpoints: the UAA URL with the same session (token + refresh).
CcClient uaaClient(Context& context, const CcClient& api) {
  std::string uaa = context.config().uaa_url;
  return api.withBase(uaa.empty() ? api.baseUrl() + "/uaa" : uaa);
}

int createUser(Context& context, const UserOptions& options) {
  Ui& ui = context.ui();
  auto client = context.loggedInClient();
  if (!client) return ui.failed(client.error());
  ui.say("Creating user " + options.user + "...");
  json scim = {{"userName", options.user},
               {"password", options.password},
               {"origin", "uaa"},
               {"name", {{"givenName", options.user}, {"familyName", options.user}}},
               {"emails", json::array({{{"value", options.user}, {"primary", true}}})}};
  auto created =
      uaaClient(context, *client).sendRaw("POST", "/Users", scim.dump(), "application/json", 30000);
  if (!created) return ui.failed(created.error());
  if (created->status == 409) {
    ui.warn("User '" + options.user + "' already exists.");
    ui.ok();
    return 0;
  }
  if (created->status < 200 || created->status >= 300) return ui.failed(replyError(*created));
  const std::string guid = created->body.value("id", "");
  auto cc_user = client->post("/v3/users", json{{"guid", guid}});
  if (!cc_user) return ui.failed(cc_user.error());
  ui.ok();
  ui.newline();
  ui.say("TIP: Assign roles with 'foundry set-org-role' and 'foundry set-space-role'.");
  return 0;
}

int deleteUser(Context& context, const UserOptions& options) {
  Ui& ui = context.ui();
  auto client = context.loggedInClient();
  if (!client) return ui.failed(client.error());
  if (!options.force && !confirm(ui, std::cin, "Really delete the user " + options.user + "?")) {
    ui.say("Delete cancelled");
    return 0;
  }
  ui.say("Deleting user " + options.user + " as " + context.userName() + "...");
  CcClient uaa = uaaClient(context, *client);
  auto found = uaa.get("/Users?filter=" + urlEncode("userName eq \"" + options.user +
                                                    "\" and origin eq \"uaa\""));
  if (!found) return ui.failed(found.error());
  std::string guid;
  const json& resources = found->body.value("resources", json::array());
  if (resources.is_array() && !resources.empty()) guid = resources[0].value("id", "");
  if (guid.empty()) {
    auto cc_user = lookupUser(*client, options.user);
    if (!cc_user) return ui.failed(cc_user.error());
    if (!cc_user->is_null()) guid = cc_user->value("guid", "");
  }
  if (guid.empty()) {
    ui.warn("User '" + options.user + "' does not exist.");
    ui.ok();
    return 0;
  }
  // CC first (its job removes the user's roles), then the UAA record; either may already be
  // gone (here they are one record).
  auto cc_deleted = deleteAndWait(*client, "/v3/users/" + guid);
  if (!cc_deleted) return ui.failed(cc_deleted.error());
  auto uaa_deleted = uaa.sendRaw("DELETE", "/Users/" + guid, "", "", 30000);
  if (!uaa_deleted) return ui.failed(uaa_deleted.error());
  if (uaa_deleted->status != 404 && (uaa_deleted->status < 200 || uaa_deleted->status >= 300)) {
    return ui.failed(replyError(*uaa_deleted));
  }
  ui.ok();
  return 0;
}

// The user as a role's relationship: by username + origin, as `cf set-*-role` sends it.
json userByName(const std::string& username) {
  return {{"username", username}, {"origin", "uaa"}};
}

void reportCreated(Ui& ui, bool created, const std::string& user, const std::string& role) {
  if (!created) ui.warn("User '" + user + "' already has role '" + role + "'.");
  ui.ok();
}

int setOrgRole(Context& context, const UserOptions& options) {
  Ui& ui = context.ui();
  auto type = orgRoleType(options.role);
  if (!type) return ui.failed(type.error());
  auto client = context.loggedInClient();
  if (!client) return ui.failed(client.error());
  ui.say("Assigning role " + roleCliName(*type) + " to user " + options.user + " in org " +
         options.org + " as " + context.userName() + "...");
  auto org = findOrg(*client, options.org);
  if (!org) return ui.failed(org.error());
  auto created =
      createRole(*client, *type, userByName(options.user), "organization", (*org)["guid"]);
  if (!created) return ui.failed(created.error());
  reportCreated(ui, *created, options.user, roleCliName(*type));
  return 0;
}

int setSpaceRole(Context& context, const UserOptions& options) {
  Ui& ui = context.ui();
  auto type = spaceRoleType(options.role);
  if (!type) return ui.failed(type.error());
  auto client = context.loggedInClient();
  if (!client) return ui.failed(client.error());
  ui.say("Assigning role " + roleCliName(*type) + " to user " + options.user + " in org " +
         options.org + " / space " + options.space + " as " + context.userName() + "...");
  auto org = findOrg(*client, options.org);
  if (!org) return ui.failed(org.error());
  auto space = findSpace(*client, (*org)["guid"], options.space);
  if (!space) return ui.failed(space.error());
  // A space role needs an org role: organization_user first (existing is fine), as cf does.
  auto org_user =
      createRole(*client, "organization_user", userByName(options.user), "organization",
                 (*org)["guid"]);
  if (!org_user) return ui.failed(org_user.error());
  auto created = createRole(*client, *type, userByName(options.user), "space", (*space)["guid"]);
  if (!created) return ui.failed(created.error());
  reportCreated(ui, *created, options.user, roleCliName(*type));
  return 0;
}

// Deletes the user's role of `type` in the org or space, when they have it.
int removeRole(Context& context, const CcClient& client, const UserOptions& options,
               const std::string& type, const std::string& filter) {
  Ui& ui = context.ui();
  auto user = lookupUser(client, options.user);
  if (!user) return ui.failed(user.error());
  if (user->is_null()) return ui.failed("User '" + options.user + "' does not exist.");
  auto role = client.first("/v3/roles?types=" + type + "&user_guids=" + user->value("guid", "") +
                           "&" + filter);
  if (!role) return ui.failed(role.error());
  if (!role->is_null()) {
    auto deleted = deleteAndWait(client, "/v3/roles/" + role->value("guid", ""));
    if (!deleted) return ui.failed(deleted.error());
  }
  ui.ok();
  return 0;
}

int unsetOrgRole(Context& context, const UserOptions& options) {
  Ui& ui = context.ui();
  auto type = orgRoleType(options.role);
  if (!type) return ui.failed(type.error());
  auto client = context.loggedInClient();
  if (!client) return ui.failed(client.error());
  ui.say("Removing role " + roleCliName(*type) + " from user " + options.user + " in org " +
         options.org + " as " + context.userName() + "...");
  auto org = findOrg(*client, options.org);
  if (!org) return ui.failed(org.error());
  return removeRole(context, *client, options, *type,
                    "organization_guids=" + org->value("guid", ""));
}

int unsetSpaceRole(Context& context, const UserOptions& options) {
  Ui& ui = context.ui();
  auto type = spaceRoleType(options.role);
  if (!type) return ui.failed(type.error());
  auto client = context.loggedInClient();
  if (!client) return ui.failed(client.error());
  ui.say("Removing role " + roleCliName(*type) + " from user " + options.user + " in org " +
         options.org + " / space " + options.space + " as " + context.userName() + "...");
  auto org = findOrg(*client, options.org);
  if (!org) return ui.failed(org.error());
  auto space = findSpace(*client, (*org)["guid"], options.space);
  if (!space) return ui.failed(space.error());
  return removeRole(context, *client, options, *type, "space_guids=" + space->value("guid", ""));
}

// Roles matching `filter` with their users (include=user), following pagination.
Result<std::map<std::string, std::vector<std::string>>> usersByRole(const CcClient& client,
                                                                    const std::string& filter) {
  using R = Result<std::map<std::string, std::vector<std::string>>>;
  std::vector<json> roles;
  std::map<std::string, std::string> names;  // user guid -> "name" or "name (origin)"
  std::string next = "/v3/roles?" + filter + "&include=user&per_page=200";
  for (int page = 0; page < 100 && !next.empty(); ++page) {
    auto reply = client.get(next);
    if (!reply) return R::fail(reply.error());
    const json& body = reply->body;
    for (const auto& role : body.value("resources", json::array())) roles.push_back(role);
    if (body.contains("included") && body["included"].is_object()) {
      for (const auto& user : body["included"].value("users", json::array())) {
        std::string name = user.value("username", "");
        if (name.empty()) name = user.value("guid", "");  // a client
        std::string origin = user.value("origin", "uaa");
        names[user.value("guid", "")] = origin == "uaa" || origin.empty()
                                            ? name
                                            : name + " (" + origin + ")";
      }
    }
    next.clear();
    if (body.contains("pagination") && body["pagination"].is_object() &&
        body["pagination"].contains("next") && body["pagination"]["next"].is_object()) {
      next = body["pagination"]["next"].value("href", "");
    }
  }
  std::map<std::string, std::vector<std::string>> out;
  for (const auto& role : roles) {
    std::string guid = relationshipGuid(role, "user");
    out[role.value("type", "")].push_back(names.count(guid) ? names[guid] : guid);
  }
  for (auto& [type, users] : out) std::sort(users.begin(), users.end());
  return R::ok(out);
}

void printUsersByRole(Ui& ui, const std::map<std::string, std::vector<std::string>>& by_role,
                      const std::vector<std::string>& types) {
  for (const auto& type : types) {
    std::string heading = roleHeading(type);
    ui.say(heading);
    auto it = by_role.find(type);
    if (it == by_role.end() || it->second.empty()) {
      ui.say("  No " + heading + " found");
    } else {
      for (const auto& user : it->second) ui.say("  " + user);
    }
    ui.newline();
  }
}

int orgUsers(Context& context, const UserOptions& options) {
  Ui& ui = context.ui();
  auto client = context.loggedInClient();
  if (!client) return ui.failed(client.error());
  ui.say("Getting users in org " + options.org + " as " + context.userName() + "...");
  ui.newline();
  auto org = findOrg(*client, options.org);
  if (!org) return ui.failed(org.error());
  auto by_role = usersByRole(*client, "organization_guids=" + org->value("guid", ""));
  if (!by_role) return ui.failed(by_role.error());
  printUsersByRole(ui, *by_role,
                   {"organization_manager", "organization_billing_manager", "organization_auditor"});
  return 0;
}

int spaceUsers(Context& context, const UserOptions& options) {
  Ui& ui = context.ui();
  auto client = context.loggedInClient();
  if (!client) return ui.failed(client.error());
  ui.say("Getting users in org " + options.org + " / space " + options.space + " as " +
         context.userName() + "...");
  ui.newline();
  auto org = findOrg(*client, options.org);
  if (!org) return ui.failed(org.error());
  auto space = findSpace(*client, (*org)["guid"], options.space);
  if (!space) return ui.failed(space.error());
  auto by_role = usersByRole(*client, "space_guids=" + space->value("guid", ""));
  if (!by_role) return ui.failed(by_role.error());
  printUsersByRole(ui, *by_role,
                   {"space_manager", "space_developer", "space_auditor", "space_supporter"});
  return 0;
}

using Runner = int (*)(Context&, const UserOptions&);

// A command whose positional arguments fill `fields` of UserOptions, in order.
CLI::App* addUserCommand(CommandTable& table, const std::string& name,
                         const std::string& description,
                         const std::vector<std::pair<std::string, std::string UserOptions::*>>& args,
                         Runner run, std::shared_ptr<UserOptions> options = nullptr) {
  if (!options) options = std::make_shared<UserOptions>();
  Context& context = table.context();
  CLI::App* sub =
      table.add(name, description, [&context, options, run] { return run(context, *options); });
  for (const auto& [arg, field] : args) sub->add_option(arg, (*options).*field, arg)->required();
  return sub;
}

}  // namespace

void addUserCommands(CommandTable& table) {
  using O = UserOptions;
  addUserCommand(table, "create-user", "Create a new user",
                 {{"USERNAME", &O::user}, {"PASSWORD", &O::password}}, createUser);
  auto delete_options = std::make_shared<UserOptions>();
  addUserCommand(table, "delete-user", "Delete a user", {{"USERNAME", &O::user}}, deleteUser,
                 delete_options)
      ->add_flag("-f,--force", delete_options->force, "Force deletion without confirmation");
  addUserCommand(table, "set-org-role", "Assign an org role to a user",
                 {{"USERNAME", &O::user}, {"ORG", &O::org}, {"ROLE", &O::role}}, setOrgRole)
      ->footer("ROLES:\n   OrgManager - Invite and manage users, select and change plans, and set "
               "spending limits\n   BillingManager - Create and manage the billing account and "
               "payment info\n   OrgAuditor - Read-only access to org info and reports");
  addUserCommand(table, "unset-org-role", "Remove an org role from a user",
                 {{"USERNAME", &O::user}, {"ORG", &O::org}, {"ROLE", &O::role}}, unsetOrgRole);
  addUserCommand(table, "set-space-role", "Assign a space role to a user",
                 {{"USERNAME", &O::user}, {"ORG", &O::org}, {"SPACE", &O::space}, {"ROLE", &O::role}},
                 setSpaceRole)
      ->footer("ROLES:\n   SpaceManager - Invite and manage users, and enable features for a "
               "given space\n   SpaceDeveloper - Create and manage apps and services, and see "
               "logs and reports\n   SpaceAuditor - View logs, reports, and settings on this "
               "space\n   SpaceSupporter - Manage app lifecycle and service bindings");
  addUserCommand(table, "unset-space-role", "Remove a space role from a user",
                 {{"USERNAME", &O::user}, {"ORG", &O::org}, {"SPACE", &O::space}, {"ROLE", &O::role}},
                 unsetSpaceRole);
  addUserCommand(table, "org-users", "Show org users by role", {{"ORG", &O::org}}, orgUsers);
  addUserCommand(table, "space-users", "Show space users by role",
                 {{"ORG", &O::org}, {"SPACE", &O::space}}, spaceUsers);
}

}  // namespace foundry::cli
