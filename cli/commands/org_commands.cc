// orgs, org, create-org, delete-org, spaces, space, create-space, delete-space (cf v8's flows,
// PLATFORM-APIS B.4).
#include <CLI/CLI.hpp>
#include <iostream>

#include "cli/commands/commands.h"
#include "cli/commands/lookups.h"
#include "cli/manifest/units.h"

namespace foundry::cli {

using nlohmann::json;

namespace {

// A one-column table of the resources' names (orgs, spaces), or `none` when there are none.
template <typename List>
int printNames(Ui& ui, const List& all, const std::string& none) {
  if (all.empty()) {
    ui.say(none);
    return 0;
  }
  std::vector<std::vector<std::string>> rows = {{"name"}};
  for (const auto& item : all) rows.push_back({item.value("name", "")});
  ui.table(rows);
  return 0;
}

struct NameOptions {
  std::string name;
  std::string org;    // -o (spaces)
  std::string quota;  // -q
  bool force = false;
};

std::string joinNames(const std::vector<json>& items, const char* key = "name") {
  std::string out;
  for (const auto& item : items) out += (out.empty() ? "" : ", ") + item.value(key, "");
  return out;
}

// The caller as a role's user: by guid for a user token; nothing for a client token (cf does
// not give clients roles on create).
json callerUser(Context& context) {
  std::string guid = context.userGuid();
  if (guid.empty()) return json();
  return {{"guid", guid}};
}

// Assigns the caller `type` as cf's create-org/create-space do, printing cf's lines; an
// existing role is fine.
Status assignCaller(Context& context, const CcClient& client, const std::string& cli_role,
                    const std::string& type, const std::string& scope,
                    const std::string& scope_guid, const std::string& where) {
  json user = callerUser(context);
  if (user.is_null()) return okStatus();
  Ui& ui = context.ui();
  ui.say("Assigning role " + cli_role + " to user " + context.userName() + " in " + where +
         " as " + context.userName() + "...");
  auto created = createRole(client, type, user, scope, scope_guid);
  if (!created) return Status::fail(created.error());
  ui.ok();
  ui.newline();
  return okStatus();
}

int orgs(Context& context) {
  Ui& ui = context.ui();
  auto client = context.loggedInClient();
  if (!client) return ui.failed(client.error());
  ui.say("Getting orgs as " + context.userName() + "...");
  ui.newline();
  auto all = client->listAll("/v3/organizations?order_by=name&per_page=200");
  if (!all) return ui.failed(all.error());
  return printNames(ui, *all, "No orgs found.");
}

int org(Context& context, const NameOptions& options) {
  Ui& ui = context.ui();
  auto client = context.loggedInClient();
  if (!client) return ui.failed(client.error());
  ui.say("Getting info for org " + options.name + " as " + context.userName() + "...");
  ui.newline();
  auto found = findOrg(*client, options.name);
  if (!found) return ui.failed(found.error());
  const std::string guid = (*found)["guid"];
  auto domains = listDomains(*client, guid);
  if (!domains) return ui.failed(domains.error());
  auto spaces = client->listAll("/v3/spaces?organization_guids=" + guid + "&order_by=name");
  if (!spaces) return ui.failed(spaces.error());
  std::string quota;
  if (std::string quota_guid = relationshipGuid(*found, "quota"); !quota_guid.empty()) {
    auto reply = client->get("/v3/organization_quotas/" + quota_guid);
    if (reply) quota = reply->body.value("name", "");
  }
  ui.keyValues({{"name", found->value("name", "")},
                {"domains", joinNames(*domains)},
                {"quota", quota},
                {"spaces", joinNames(*spaces)},
                {"isolation segments", ""}});
  return 0;
}

int createOrg(Context& context, const NameOptions& options) {
  Ui& ui = context.ui();
  auto client = context.loggedInClient();
  if (!client) return ui.failed(client.error());
  json quota;
  if (!options.quota.empty()) {
    auto found = findOrgQuota(*client, options.quota);
    if (!found) return ui.failed(found.error());
    quota = *found;
  }
  ui.say("Creating org " + options.name + " as " + context.userName() + "...");
  auto reply = client->sendRaw("POST", "/v3/organizations", json{{"name", options.name}}.dump(),
                               "application/json", 30000);
  if (!reply) return ui.failed(reply.error());
  if (reply->status == 422 && replyError(*reply) == "Organization '" + options.name + "' already exists.") {
    // cf: say so, and succeed.
    ui.warn(replyError(*reply));
    ui.ok();
    return 0;
  }
  if (reply->status < 200 || reply->status >= 300) return ui.failed(replyError(*reply));
  const std::string guid = reply->body.value("guid", "");
  ui.ok();
  ui.newline();
  if (!quota.is_null()) {
    ui.say("Setting org quota " + options.quota + " to org " + options.name + " as " +
           context.userName() + "...");
    auto applied = client->post("/v3/organization_quotas/" + quota.value("guid", "") +
                                    "/relationships/organizations",
                                json{{"data", json::array({{{"guid", guid}}})}});
    if (!applied) return ui.failed(applied.error());
    ui.ok();
    ui.newline();
  }
  Status role = assignCaller(context, *client, "OrgManager", "organization_manager",
                             "organization", guid, "org " + options.name);
  if (!role) return ui.failed(role.error());
  ui.say("TIP: Use 'foundry target -o \"" + options.name + "\"' to target new org");
  return 0;
}

int deleteOrg(Context& context, const NameOptions& options) {
  Ui& ui = context.ui();
  auto client = context.loggedInClient();
  if (!client) return ui.failed(client.error());
  if (!options.force &&
      !confirm(ui, std::cin,
               "Really delete the org " + options.name +
                   ", including its spaces, apps, service instances, routes, private domains "
                   "and space-scoped service brokers?")) {
    ui.say("Delete cancelled");
    return 0;
  }
  ui.say("Deleting org " + options.name + " as " + context.userName() + "...");
  auto found = lookupOrg(*client, options.name);
  if (!found) return ui.failed(found.error());
  if (found->is_null()) {
    ui.warn("Org " + options.name + " does not exist.");
    ui.ok();
    return 0;
  }
  const std::string guid = (*found)["guid"];
  auto deleted = deleteAndWait(*client, "/v3/organizations/" + guid);
  if (!deleted) return ui.failed(deleted.error());
  if (context.config().org_guid == guid) {
    context.config().clearOrg();
    Status saved = saveConfig(context.config());
    if (!saved) return ui.failed(saved.error());
  }
  ui.ok();
  return 0;
}

// The org a space command acts in: -o ORG, else the target.
Result<json> spaceCommandOrg(Context& context, const CcClient& client, const std::string& name) {
  if (!name.empty()) return findOrg(client, name);
  if (context.config().org_guid.empty()) return Result<json>::fail(kNoOrgTarget);
  return Result<json>::ok(
      json{{"guid", context.config().org_guid}, {"name", context.config().org_name}});
}

int spaces(Context& context) {
  Ui& ui = context.ui();
  auto client = context.orgTargetedClient();
  if (!client) return ui.failed(client.error());
  ui.say("Getting spaces in org " + context.config().org_name + " as " + context.userName() +
         "...");
  ui.newline();
  auto all = client->listAll("/v3/spaces?organization_guids=" + context.config().org_guid +
                             "&order_by=name&per_page=200");
  if (!all) return ui.failed(all.error());
  return printNames(ui, *all, "No spaces found.");
}

int space(Context& context, const NameOptions& options) {
  Ui& ui = context.ui();
  auto client = context.orgTargetedClient();
  if (!client) return ui.failed(client.error());
  const Config& config = context.config();
  ui.say("Getting info for space " + options.name + " in org " + config.org_name + " as " +
         context.userName() + "...");
  ui.newline();
  auto found = findSpace(*client, config.org_guid, options.name);
  if (!found) return ui.failed(found.error());
  const std::string guid = (*found)["guid"];
  auto apps = client->listAll("/v3/apps?space_guids=" + guid + "&order_by=name");
  if (!apps) return ui.failed(apps.error());
  std::string quota;
  if (std::string quota_guid = relationshipGuid(*found, "quota"); !quota_guid.empty()) {
    auto reply = client->get("/v3/space_quotas/" + quota_guid);
    if (reply) quota = reply->body.value("name", "");
  }
  ui.keyValues({{"name", found->value("name", "")},
                {"org", config.org_name},
                {"apps", joinNames(*apps)},
                {"services", ""},
                {"isolation segment", ""},
                {"space quota", quota}});
  return 0;
}

int createSpace(Context& context, const NameOptions& options) {
  Ui& ui = context.ui();
  auto client = context.loggedInClient();
  if (!client) return ui.failed(client.error());
  auto org = spaceCommandOrg(context, *client, options.org);
  if (!org) return ui.failed(org.error());
  const std::string org_guid = (*org)["guid"];
  const std::string org_name = (*org)["name"];
  json quota;
  if (!options.quota.empty()) {
    auto found = findSpaceQuota(*client, org_guid, options.quota);
    if (!found) return ui.failed(found.error());
    quota = *found;
  }
  ui.say("Creating space " + options.name + " in org " + org_name + " as " + context.userName() +
         "...");
  json body = {{"name", options.name},
               {"relationships", {{"organization", {{"data", {{"guid", org_guid}}}}}}}};
  auto reply = client->sendRaw("POST", "/v3/spaces", body.dump(), "application/json", 30000);
  if (!reply) return ui.failed(reply.error());
  if (reply->status == 422 && replyError(*reply) == "Name must be unique per organization") {
    ui.warn("Space '" + options.name + "' already exists.");
    ui.ok();
    return 0;
  }
  if (reply->status < 200 || reply->status >= 300) return ui.failed(replyError(*reply));
  const std::string guid = reply->body.value("guid", "");
  ui.ok();
  ui.newline();
  if (!quota.is_null()) {
    ui.say("Setting space quota " + options.quota + " to space " + options.name + " as " +
           context.userName() + "...");
    auto applied = client->post(
        "/v3/space_quotas/" + quota.value("guid", "") + "/relationships/spaces",
        json{{"data", json::array({{{"guid", guid}}})}});
    if (!applied) return ui.failed(applied.error());
    ui.ok();
    ui.newline();
  }
  json user = callerUser(context);
  if (!user.is_null()) {
    // Space roles need an org role first (cf's CreateSpaceRole gives organization_user).
    auto org_user = createRole(*client, "organization_user", user, "organization", org_guid);
    if (!org_user) return ui.failed(org_user.error());
    const std::string where = "org " + org_name + " / space " + options.name;
    Status manager =
        assignCaller(context, *client, "SpaceManager", "space_manager", "space", guid, where);
    if (!manager) return ui.failed(manager.error());
    Status developer =
        assignCaller(context, *client, "SpaceDeveloper", "space_developer", "space", guid, where);
    if (!developer) return ui.failed(developer.error());
  }
  ui.say("TIP: Use 'foundry target -o \"" + org_name + "\" -s \"" + options.name +
         "\"' to target new space");
  return 0;
}

int deleteSpace(Context& context, const NameOptions& options) {
  Ui& ui = context.ui();
  auto client = context.loggedInClient();
  if (!client) return ui.failed(client.error());
  auto org = spaceCommandOrg(context, *client, options.org);
  if (!org) return ui.failed(org.error());
  const std::string org_name = (*org)["name"];
  if (!options.force &&
      !confirm(ui, std::cin, "Really delete the space " + options.name + "?")) {
    ui.say("Delete cancelled");
    return 0;
  }
  ui.say("Deleting space " + options.name + " in org " + org_name + " as " + context.userName() +
         "...");
  auto found = lookupSpace(*client, (*org)["guid"], options.name);
  if (!found) return ui.failed(found.error());
  if (found->is_null()) {
    ui.warn("Space '" + options.name + "' does not exist.");
    ui.ok();
    return 0;
  }
  const std::string guid = (*found)["guid"];
  auto deleted = deleteAndWait(*client, "/v3/spaces/" + guid);
  if (!deleted) return ui.failed(deleted.error());
  ui.ok();
  if (context.config().space_guid == guid) {
    context.config().clearSpace();
    Status saved = saveConfig(context.config());
    if (!saved) return ui.failed(saved.error());
    ui.newline();
    ui.say("TIP: No space targeted, use 'foundry target -s' to target a space.");
  }
  return 0;
}

void addNamed(CommandTable& table, const std::string& command, const std::string& description,
              const std::string& arg, std::function<int(Context&, const NameOptions&)> run,
              std::function<void(CLI::App*, NameOptions&)> flags = nullptr) {
  auto options = std::make_shared<NameOptions>();
  Context& context = table.context();
  CLI::App* sub =
      table.add(command, description, [&context, options, run] { return run(context, *options); });
  sub->add_option(arg, options->name, arg)->required();
  if (flags) flags(sub, *options);
}

}  // namespace

void addOrgCommands(CommandTable& table) {
  Context& context = table.context();
  table.add("orgs", "List all orgs", [&context] { return orgs(context); });
  addNamed(table, "org", "Show org info", "ORG", org);
  addNamed(table, "create-org", "Create an org", "ORG", createOrg,
           [](CLI::App* sub, NameOptions& o) {
             sub->add_option("-q,--quota", o.quota, "Quota to assign to the newly created org");
           });
  addNamed(table, "delete-org", "Delete an org", "ORG", deleteOrg,
           [](CLI::App* sub, NameOptions& o) {
             sub->add_flag("-f,--force", o.force, "Force deletion without confirmation");
           });
  table.add("spaces", "List all spaces in an org", [&context] { return spaces(context); });
  addNamed(table, "space", "Show space info", "SPACE", space);
  addNamed(table, "create-space", "Create a space", "SPACE", createSpace,
           [](CLI::App* sub, NameOptions& o) {
             sub->add_option("-o", o.org, "Organization (default: the targeted org)");
             sub->add_option("-q,--quota", o.quota, "Quota to assign to the newly created space");
           });
  addNamed(table, "delete-space", "Delete a space", "SPACE", deleteSpace,
           [](CLI::App* sub, NameOptions& o) {
             sub->add_option("-o", o.org, "Delete space within specified org");
             sub->add_flag("-f,--force", o.force, "Force deletion without confirmation");
           });
}

}  // namespace foundry::cli
