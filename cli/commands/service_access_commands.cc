// enable-service-access, disable-service-access, service-access: plan visibility
// (POST /v3/service_plans/:guid/visibility, DELETE .../visibility/:org_guid, GET .../visibility).
#include <CLI/CLI.hpp>

#include "cli/commands/commands.h"
#include "cli/commands/lookups.h"
#include "cli/commands/service_lookups.h"

namespace foundry::cli {

using nlohmann::json;

namespace {

struct AccessOptions {
  std::string offering;
  std::string broker;
  std::string plan;
  std::string org;
};

// "all plans of service offering S from broker B for org O" as cf words it.
std::string accessTarget(const AccessOptions& options) {
  std::string text = options.plan.empty() ? "all plans" : "plan " + options.plan;
  text += " of service offering " + options.offering;
  if (!options.broker.empty()) text += " from broker " + options.broker;
  return text + (options.org.empty() ? " for all orgs" : " for org " + options.org);
}

// The plans the flags pick: the offering's (from -b), or just -p.
Result<std::vector<CatalogPlan>> selectPlans(const CcClient& client, const AccessOptions& options) {
  using Plans = Result<std::vector<CatalogPlan>>;
  auto catalog = fetchCatalog(client, "&service_offering_names=" + urlEncode(options.offering));
  if (!catalog) return Plans::fail(catalog.error());
  auto offering = pickOffering(*catalog, options.offering, options.broker);
  if (!offering) return Plans::fail(offering.error());
  if (options.plan.empty()) return Plans::ok((*offering)->plans);
  auto plan = pickPlan(**offering, options.plan, options.broker);
  if (!plan) return Plans::fail(plan.error());
  return Plans::ok({**plan});
}

int changeAccess(Context& context, const AccessOptions& options, bool enable) {
  Ui& ui = context.ui();
  auto client = context.loggedInClient();
  if (!client) return ui.failed(client.error());
  ui.say(std::string(enable ? "Enabling" : "Disabling") + " access to " + accessTarget(options) +
         " as " + context.userName() + "...");
  std::string org_guid;
  if (!options.org.empty()) {
    auto org = findOrg(*client, options.org);
    if (!org) return ui.failed(org.error());
    org_guid = org->value("guid", "");
  }
  auto plans = selectPlans(*client, options);
  if (!plans) return ui.failed(plans.error());
  for (const auto& plan : *plans) {
    const std::string path = "/v3/service_plans/" + plan.guid + "/visibility";
    Result<ApiReply> reply = Result<ApiReply>::fail("");
    if (org_guid.empty()) {
      reply = client->post(path, {{"type", enable ? "public" : "admin"}});
    } else if (plan.visibility == "public") {
      // An org cannot gain or lose what every org has; cf leaves public plans alone.
      if (!enable) return ui.failed("Cannot remove organization level access for public plans.");
      continue;
    } else if (enable) {
      reply = client->post(path, {{"type", "organization"},
                                  {"organizations", json::array({{{"guid", org_guid}}})}});
    } else {
      reply = client->del(path + "/" + org_guid);
    }
    if (!reply) return ui.failed(reply.error());
  }
  ui.ok();
  return 0;
}

// cf's access column: public = all, admin-only = none, org- or space-limited = limited.
std::string accessText(const std::string& visibility) {
  if (visibility == "public") return "all";
  if (visibility == "admin" || visibility.empty()) return "none";
  return "limited";
}

// The names of the orgs an organization-visible plan is shown to; empty when the API does not
// say.
std::vector<std::string> visibleOrgs(const CcClient& client, const CatalogPlan& plan) {
  std::vector<std::string> names;
  if (plan.visibility != "organization") return names;
  auto reply = client.sendRaw("GET", "/v3/service_plans/" + plan.guid + "/visibility", "", "",
                              30000);
  if (!reply || reply->status != 200 || !reply->body.is_object()) return names;
  for (const auto& org : reply->body.value("organizations", json::array())) {
    if (org.is_object()) names.push_back(org.value("name", org.value("guid", "")));
  }
  return names;
}

int serviceAccess(Context& context, const AccessOptions& options) {
  Ui& ui = context.ui();
  auto client = context.loggedInClient();
  if (!client) return ui.failed(client.error());
  std::vector<std::string> parts;
  if (!options.broker.empty()) parts.push_back("broker " + options.broker);
  if (!options.offering.empty()) parts.push_back("service offering " + options.offering);
  if (!options.org.empty()) parts.push_back("organization " + options.org);
  std::string scope;
  for (const auto& part : parts) scope += (scope.empty() ? " for " : " and ") + part;
  ui.say("Getting service access" + scope + " as " + context.userName() + "...");
  if (!options.org.empty()) {
    auto org = findOrg(*client, options.org);
    if (!org) return ui.failed(org.error());
  }
  std::string filters;
  if (!options.offering.empty()) filters += "&service_offering_names=" + urlEncode(options.offering);
  if (!options.broker.empty()) filters += "&service_broker_names=" + urlEncode(options.broker);
  auto catalog = fetchCatalog(*client, filters);
  if (!catalog) return ui.failed(catalog.error());
  // broker -> rows, brokers in name order as cf prints them.
  std::map<std::string, std::vector<std::vector<std::string>>> by_broker;
  for (const auto& offering : *catalog) {
    if (!options.offering.empty() && offering.name != options.offering) continue;
    if (!options.broker.empty() && offering.broker_name != options.broker) continue;
    for (const auto& plan : offering.plans) {
      std::vector<std::string> orgs = visibleOrgs(*client, plan);
      if (!options.org.empty()) {
        bool visible = plan.visibility == "public" ||
                       std::find(orgs.begin(), orgs.end(), options.org) != orgs.end();
        if (!visible) continue;
      }
      by_broker[offering.broker_name].push_back(
          {offering.name, plan.name, accessText(plan.visibility), joinList(orgs)});
    }
  }
  if (by_broker.empty()) {
    ui.newline();
    ui.say("No service offerings found.");
    return 0;
  }
  for (auto& [broker, rows] : by_broker) {
    ui.newline();
    ui.say("broker: " + broker);
    rows.insert(rows.begin(), {"offering", "plan", "access", "orgs"});
    ui.table(rows, "   ");
  }
  return 0;
}

CLI::App* addAccessCommand(CommandTable& table, const std::string& name,
                           const std::string& description,
                           std::function<int(Context&, const AccessOptions&)> run,
                           const std::shared_ptr<AccessOptions>& options) {
  Context& context = table.context();
  CLI::App* command =
      table.add(name, description, [&context, run, options] { return run(context, *options); });
  command->add_option("-b", options->broker, "Service broker of the offering");
  command->add_option("-o", options->org, "An organization");
  return command;
}

}  // namespace

void addServiceAccessCommands(CommandTable& table) {
  auto enable = std::make_shared<AccessOptions>();
  CLI::App* e = addAccessCommand(
      table, "enable-service-access",
      "Enable access to a service offering or service plan for one or all orgs",
      [](Context& context, const AccessOptions& o) { return changeAccess(context, o, true); },
      enable);
  e->add_option("SERVICE_OFFERING", enable->offering, "The service offering")->required();
  e->add_option("-p", enable->plan, "The name of a particular service plan to enable");

  auto disable = std::make_shared<AccessOptions>();
  CLI::App* d = addAccessCommand(
      table, "disable-service-access",
      "Disable access to a service offering or service plan for one or all orgs",
      [](Context& context, const AccessOptions& o) { return changeAccess(context, o, false); },
      disable);
  d->add_option("SERVICE_OFFERING", disable->offering, "The service offering")->required();
  d->add_option("-p", disable->plan, "The name of a particular service plan to disable");

  auto list = std::make_shared<AccessOptions>();
  CLI::App* l = addAccessCommand(table, "service-access",
                                 "List service access settings", serviceAccess, list);
  l->add_option("-e", list->offering, "Access for service offering");
}

}  // namespace foundry::cli
