// create-org-quota, org-quotas, set-org-quota, create-space-quota, space-quotas,
// set-space-quota (CC V3 quota shapes, PLATFORM-APIS B.2/B.3).
#include <CLI/CLI.hpp>
#include <cctype>

#include "cli/commands/commands.h"
#include "cli/commands/lookups.h"
#include "cli/commands/quotas.h"
#include "cli/manifest/units.h"

namespace foundry::cli {

using nlohmann::json;

namespace {

Result<json> memoryLimit(const std::string& flag, const std::string& value) {
  if (value == "-1") return Result<json>::ok(json());
  auto mb = parseMegabytes(value);
  if (!mb) return Result<json>::fail("Incorrect Usage: invalid value for " + flag + ": " + mb.error());
  return Result<json>::ok(*mb);
}

Result<json> countLimit(const std::string& flag, const std::string& value) {
  if (value == "-1") return Result<json>::ok(json());
  if (value.empty() || value.size() > 9 ||
      value.find_first_not_of("0123456789") != std::string::npos) {
    return Result<json>::fail("Incorrect Usage: invalid value for " + flag + ": '" + value +
                              "' (a whole number, or -1 for unlimited)");
  }
  return Result<json>::ok(std::stoll(value));
}

}  // namespace

Result<json> quotaBody(const std::string& name, const QuotaFlags& flags) {
  json body = {{"name", name}};
  json apps = json::object(), services = json::object(), routes = json::object();
  struct Limit {
    const std::optional<std::string>* value;
    const char* flag;
    bool memory;
    json* group;
    const char* key;
  };
  const Limit limits[] = {
      {&flags.total_memory, "-m", true, &apps, "total_memory_in_mb"},
      {&flags.instance_memory, "-i", true, &apps, "per_process_memory_in_mb"},
      {&flags.app_instances, "-a", false, &apps, "total_instances"},
      {&flags.routes, "-r", false, &routes, "total_routes"},
      {&flags.reserved_route_ports, "--reserved-route-ports", false, &routes,
       "total_reserved_ports"},
      {&flags.service_instances, "-s", false, &services, "total_service_instances"},
  };
  for (const auto& limit : limits) {
    if (!*limit.value) continue;
    auto value = limit.memory ? memoryLimit(limit.flag, **limit.value)
                              : countLimit(limit.flag, **limit.value);
    if (!value) return value;
    (*limit.group)[limit.key] = *value;
  }
  services["paid_services_allowed"] = flags.allow_paid_service_plans;
  if (!apps.empty()) body["apps"] = apps;
  body["services"] = services;
  if (!routes.empty()) body["routes"] = routes;
  return Result<json>::ok(body);
}

std::string formatLimit(const json& value, bool memory) {
  if (value.is_null()) return "unlimited";
  if (!value.is_number_integer()) return value.dump();
  int64_t n = value.get<int64_t>();
  if (memory) return n <= 0 ? "0" : formatMegabytes(n);
  return std::to_string(n);
}

namespace {

struct QuotaOptions {
  std::string name;
  std::string target;  // set-*-quota: ORG or SPACE
  QuotaFlags flags;
};

json field(const json& quota, const char* group, const char* key) {
  if (!quota.contains(group) || !quota[group].is_object()) return json();
  return quota[group].value(key, json());
}

void printQuotas(Ui& ui, const std::vector<json>& quotas) {
  if (quotas.empty()) {
    ui.say("No quotas found.");
    return;
  }
  std::vector<std::vector<std::string>> rows = {
      {"name", "total memory", "instance memory", "routes", "service instances",
       "paid service plans", "app instances", "route ports"}};
  for (const auto& q : quotas) {
    json paid = field(q, "services", "paid_services_allowed");
    rows.push_back({q.value("name", ""), formatLimit(field(q, "apps", "total_memory_in_mb"), true),
                    formatLimit(field(q, "apps", "per_process_memory_in_mb"), true),
                    formatLimit(field(q, "routes", "total_routes"), false),
                    formatLimit(field(q, "services", "total_service_instances"), false),
                    paid.is_boolean() && !paid.get<bool>() ? "disallowed" : "allowed",
                    formatLimit(field(q, "apps", "total_instances"), false),
                    formatLimit(field(q, "routes", "total_reserved_ports"), false)});
  }
  ui.table(rows);
}

int createOrgQuota(Context& context, const QuotaOptions& options) {
  Ui& ui = context.ui();
  auto body = quotaBody(options.name, options.flags);
  if (!body) return ui.failed(body.error());
  auto client = context.loggedInClient();
  if (!client) return ui.failed(client.error());
  ui.say("Creating org quota " + options.name + " as " + context.userName() + "...");
  auto reply = client->sendRaw("POST", "/v3/organization_quotas", body->dump(), "application/json",
                               30000);
  if (!reply) return ui.failed(reply.error());
  if (reply->status == 422 && replyError(*reply).find("already exists") != std::string::npos) {
    ui.warn(replyError(*reply));
  } else if (reply->status < 200 || reply->status >= 300) {
    return ui.failed(replyError(*reply));
  }
  ui.ok();
  return 0;
}

int orgQuotas(Context& context) {
  Ui& ui = context.ui();
  auto client = context.loggedInClient();
  if (!client) return ui.failed(client.error());
  ui.say("Getting org quotas as " + context.userName() + "...");
  ui.newline();
  auto quotas = client->listAll("/v3/organization_quotas?order_by=name&per_page=200");
  if (!quotas) return ui.failed(quotas.error());
  printQuotas(ui, *quotas);
  return 0;
}

int setOrgQuota(Context& context, const QuotaOptions& options) {
  Ui& ui = context.ui();
  auto client = context.loggedInClient();
  if (!client) return ui.failed(client.error());
  ui.say("Setting quota " + options.name + " to org " + options.target + " as " +
         context.userName() + "...");
  auto org = findOrg(*client, options.target);
  if (!org) return ui.failed(org.error());
  auto quota = findOrgQuota(*client, options.name);
  if (!quota) return ui.failed(quota.error());
  auto applied = client->post(
      "/v3/organization_quotas/" + quota->value("guid", "") + "/relationships/organizations",
      json{{"data", json::array({{{"guid", org->value("guid", "")}}})}});
  if (!applied) return ui.failed(applied.error());
  ui.ok();
  return 0;
}

int createSpaceQuota(Context& context, const QuotaOptions& options) {
  Ui& ui = context.ui();
  auto body = quotaBody(options.name, options.flags);
  if (!body) return ui.failed(body.error());
  auto client = context.orgTargetedClient();
  if (!client) return ui.failed(client.error());
  const Config& config = context.config();
  (*body)["relationships"] = {{"organization", {{"data", {{"guid", config.org_guid}}}}}};
  ui.say("Creating space quota " + options.name + " for org " + config.org_name + " as " +
         context.userName() + "...");
  auto reply =
      client->sendRaw("POST", "/v3/space_quotas", body->dump(), "application/json", 30000);
  if (!reply) return ui.failed(reply.error());
  if (reply->status == 422 && replyError(*reply).find("already exists") != std::string::npos) {
    ui.warn(replyError(*reply));
  } else if (reply->status < 200 || reply->status >= 300) {
    return ui.failed(replyError(*reply));
  }
  ui.ok();
  return 0;
}

int spaceQuotas(Context& context) {
  Ui& ui = context.ui();
  auto client = context.orgTargetedClient();
  if (!client) return ui.failed(client.error());
  ui.say("Getting space quotas for org " + context.config().org_name + " as " +
         context.userName() + "...");
  ui.newline();
  auto quotas = client->listAll("/v3/space_quotas?organization_guids=" +
                                context.config().org_guid + "&order_by=name&per_page=200");
  if (!quotas) return ui.failed(quotas.error());
  printQuotas(ui, *quotas);
  return 0;
}

int setSpaceQuota(Context& context, const QuotaOptions& options) {
  Ui& ui = context.ui();
  auto client = context.orgTargetedClient();
  if (!client) return ui.failed(client.error());
  const Config& config = context.config();
  ui.say("Setting space quota " + options.name + " to space " + options.target + " as " +
         context.userName() + "...");
  auto space = findSpace(*client, config.org_guid, options.target);
  if (!space) return ui.failed(space.error());
  auto quota = findSpaceQuota(*client, config.org_guid, options.name);
  if (!quota) return ui.failed(quota.error());
  auto applied = client->post(
      "/v3/space_quotas/" + quota->value("guid", "") + "/relationships/spaces",
      json{{"data", json::array({{{"guid", space->value("guid", "")}}})}});
  if (!applied) return ui.failed(applied.error());
  ui.ok();
  return 0;
}

void addLimitFlags(CLI::App* sub, QuotaFlags& f) {
  auto text = [&](const char* flags, std::optional<std::string>& target, const char* help) {
    sub->add_option_function<std::string>(
           flags, [&target](const std::string& v) { target = v; }, help)
        ->allow_extra_args(false);
  };
  text("-m", f.total_memory,
       "Total amount of memory all processes can have (e.g. 1024M, 1G, 10G); -1 = unlimited");
  text("-i", f.instance_memory,
       "Maximum amount of memory a process can have (e.g. 1024M, 1G, 10G); -1 = unlimited");
  text("-a", f.app_instances, "Total number of application instances; -1 = unlimited");
  text("-r", f.routes, "Total number of routes; -1 = unlimited");
  text("-s", f.service_instances, "Total number of service instances; -1 = unlimited");
  text("--reserved-route-ports", f.reserved_route_ports,
       "Maximum number of routes that may be created with ports; -1 = unlimited");
  sub->add_flag("--allow-paid-service-plans", f.allow_paid_service_plans,
                "Allow provisioning instances of paid service plans (default: disallowed)");
}

}  // namespace

void addQuotaCommands(CommandTable& table) {
  Context& context = table.context();
  auto org_quota = std::make_shared<QuotaOptions>();
  CLI::App* create_org_quota =
      table.add("create-org-quota", "Define a new quota for an organization",
                [&context, org_quota] { return createOrgQuota(context, *org_quota); });
  create_org_quota->add_option("QUOTA", org_quota->name, "Quota name")->required();
  addLimitFlags(create_org_quota, org_quota->flags);

  table.add("org-quotas", "List available organization quotas",
            [&context] { return orgQuotas(context); });

  auto set_org = std::make_shared<QuotaOptions>();
  CLI::App* set_org_quota =
      table.add("set-org-quota", "Assign a quota to an organization",
                [&context, set_org] { return setOrgQuota(context, *set_org); });
  set_org_quota->add_option("ORG", set_org->target, "Organization")->required();
  set_org_quota->add_option("QUOTA", set_org->name, "Quota")->required();

  auto space_quota = std::make_shared<QuotaOptions>();
  CLI::App* create_space_quota =
      table.add("create-space-quota", "Define a new quota for a space (in the targeted org)",
                [&context, space_quota] { return createSpaceQuota(context, *space_quota); });
  create_space_quota->add_option("QUOTA", space_quota->name, "Quota name")->required();
  addLimitFlags(create_space_quota, space_quota->flags);

  table.add("space-quotas", "List available space quotas (in the targeted org)",
            [&context] { return spaceQuotas(context); });

  auto set_space = std::make_shared<QuotaOptions>();
  CLI::App* set_space_quota =
      table.add("set-space-quota", "Assign a space quota definition to a space",
                [&context, set_space] { return setSpaceQuota(context, *set_space); });
  set_space_quota->add_option("SPACE", set_space->target, "Space (in the targeted org)")->required();
  set_space_quota->add_option("SPACE_QUOTA", set_space->name, "Space quota")->required();
}

}  // namespace foundry::cli
