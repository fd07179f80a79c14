// create-service, update-service, services, service, delete-service, rename-service: managed
// (and, for the listing and renaming, user-provided) service instances, cf v8's texts.
#include <CLI/CLI.hpp>
#include <iostream>

#include "cli/commands/commands.h"
#include "cli/commands/lookups.h"
#include "cli/commands/service_lookups.h"
#include "cli/commands/service_params.h"

namespace foundry::cli {

using nlohmann::json;

namespace {

struct InstanceOptions {
  std::string offering;
  std::string plan;
  std::string name;
  std::string new_name;
  std::string broker;
  std::optional<std::string> parameters;
  std::optional<std::string> tags;
  bool wait = false;
  bool force = false;
  bool guid_only = false;
};

std::string inProgressHint(const std::string& verb, const std::string& name) {
  return verb + " in progress. Use 'foundry services' or 'foundry service " + name +
         "' to check operation status.";
}

// -c and -t into the request body; an error for bad JSON.
Status addParametersAndTags(const InstanceOptions& options, json& body) {
  if (options.parameters) {
    auto parameters = parseJsonObjectFlag(*options.parameters);
    if (!parameters) return Status::fail(parameters.error());
    body["parameters"] = *parameters;
  }
  if (options.tags) body["tags"] = parseTags(*options.tags);
  return okStatus();
}

int createService(Context& context, const InstanceOptions& options) {
  Ui& ui = context.ui();
  json body = {{"type", "managed"}, {"name", options.name}};
  Status flags = addParametersAndTags(options, body);
  if (!flags) return ui.failed(flags.error());
  auto client = context.targetedClient();
  if (!client) return ui.failed(client.error());
  const std::string& space_guid = context.config().space_guid;
  ui.say("Creating service instance " + options.name + " in " + context.where() + "...");
  auto catalog = fetchCatalog(*client, "&space_guids=" + space_guid +
                                           "&service_offering_names=" + urlEncode(options.offering));
  if (!catalog) return ui.failed(catalog.error());
  auto offering = pickOffering(*catalog, options.offering, options.broker);
  if (!offering) return ui.failed(offering.error());
  auto plan = pickPlan(**offering, options.plan, options.broker);
  if (!plan) return ui.failed(plan.error());
  body["relationships"] = {{"space", {{"data", {{"guid", space_guid}}}}},
                           {"service_plan", {{"data", {{"guid", (*plan)->guid}}}}}};
  auto reply = sendJson(*client, "POST", "/v3/service_instances", body);
  if (!reply) return ui.failed(reply.error());
  if (!succeeded(*reply)) {
    std::string error = serviceReplyError(*reply, options.name);
    // cf treats CC's "The service instance name is taken" as done.
    if (reply->status == 422 && error.find("name is taken") != std::string::npos) {
      ui.ok();
      ui.say("Service instance " + options.name + " already exists");
      return 0;
    }
    return ui.failed(error);
  }
  ui.newline();
  auto outcome = followJob(ui, *client, *reply, options.wait);
  if (!outcome) return ui.failed(outcome.error());
  ui.say(*outcome == JobOutcome::kComplete ? "Service instance " + options.name + " created."
                                           : inProgressHint("Create", options.name));
  ui.ok();
  return 0;
}

int updateService(Context& context, const InstanceOptions& options) {
  Ui& ui = context.ui();
  json body = json::object();
  Status flags = addParametersAndTags(options, body);
  if (!flags) return ui.failed(flags.error());
  auto client = context.targetedClient();
  if (!client) return ui.failed(client.error());
  if (body.empty() && options.plan.empty()) {
    ui.say("No flags specified. No changes were made.");
    ui.ok();
    return 0;
  }
  ui.say("Updating service instance " + options.name + " in " + context.where() + "...");
  auto instance = findServiceInstance(*client, context.config().space_guid, options.name);
  if (!instance) return ui.failed(instance.error());
  if (!options.plan.empty()) {
    // The new plan must belong to the instance's current offering.
    auto catalog = fetchCatalog(*client, "&space_guids=" + context.config().space_guid);
    if (!catalog) return ui.failed(catalog.error());
    PlanRef current = findPlan(*catalog, relationshipGuid(*instance, "service_plan"));
    if (!current.offering) {
      return ui.failed("The plan " + options.plan + " could not be found for service instance " +
                       options.name + ".");
    }
    auto plan = pickPlan(*current.offering, options.plan);
    if (!plan) return ui.failed(plan.error());
    body["relationships"] = {{"service_plan", {{"data", {{"guid", (*plan)->guid}}}}}};
  }
  auto reply = serviceRequest(*client, "PATCH",
                              "/v3/service_instances/" + instance->value("guid", ""), body,
                              options.name);
  if (!reply) return ui.failed(reply.error());
  ui.newline();
  auto outcome = followJob(ui, *client, *reply, options.wait);
  if (!outcome) return ui.failed(outcome.error());
  ui.say(*outcome == JobOutcome::kComplete
             ? "Update of service instance " + options.name + " completed."
             : inProgressHint("Update", options.name));
  ui.ok();
  return 0;
}

int services(Context& context) {
  Ui& ui = context.ui();
  auto client = context.targetedClient();
  if (!client) return ui.failed(client.error());
  const std::string& space_guid = context.config().space_guid;
  ui.say("Getting service instances in " + context.where() + "...");
  ui.newline();
  auto instances = client->listAll("/v3/service_instances?space_guids=" + space_guid +
                                   "&order_by=name");
  if (!instances) return ui.failed(instances.error());
  if (instances->empty()) {
    ui.say("No service instances found.");
    return 0;
  }
  std::vector<CatalogOffering> catalog;
  bool managed = false;
  std::vector<std::string> guids;
  for (const auto& instance : *instances) {
    managed = managed || instance.value("type", "") == "managed";
    guids.push_back(instance.value("guid", ""));
  }
  if (managed) {
    auto fetched = fetchCatalog(*client);
    if (!fetched) return ui.failed(fetched.error());
    catalog = std::move(*fetched);
  }
  auto bindings = appBindings(*client, guids);
  if (!bindings) return ui.failed(bindings.error());
  auto app_names = appNamesInSpace(*client, space_guid);
  if (!app_names) return ui.failed(app_names.error());
  std::map<std::string, std::vector<std::string>> bound;
  for (const auto& binding : *bindings) {
    auto app = app_names->find(relationshipGuid(binding, "app"));
    if (app == app_names->end()) continue;
    bound[relationshipGuid(binding, "service_instance")].push_back(app->second);
  }
  ui.table(servicesRows(*instances, catalog, bound));
  return 0;
}

// service NAME's bound-apps block (cf v8's "Showing bound apps:").
void printBoundApps(Context& context, const CcClient& client, const json& instance) {
  Ui& ui = context.ui();
  auto bindings = appBindings(client, {instance.value("guid", "")});
  auto app_names = appNamesInSpace(client, context.config().space_guid);
  if (!bindings || !app_names) {
    ui.warn(!bindings ? bindings.error() : app_names.error());
    return;
  }
  if (bindings->empty()) {
    ui.say("There are no bound apps for this service instance.");
    return;
  }
  ui.say("Showing bound apps:");
  std::vector<std::vector<std::string>> rows = {{"name", "binding name", "status", "message"}};
  for (const auto& binding : *bindings) {
    auto app = app_names->find(relationshipGuid(binding, "app"));
    rows.push_back({app == app_names->end() ? relationshipGuid(binding, "app") : app->second,
                    binding.contains("name") && binding["name"].is_string()
                        ? binding["name"].get<std::string>()
                        : "",
                    lastOperationText(binding), lastOperationDescription(binding)});
  }
  ui.table(rows, "   ");
}

std::string stringField(const json& object, const char* key) {
  return object.contains(key) && object[key].is_string() ? object[key].get<std::string>() : "";
}

int service(Context& context, const InstanceOptions& options) {
  Ui& ui = context.ui();
  auto client = context.targetedClient();
  if (!client) return ui.failed(client.error());
  auto instance = findServiceInstance(*client, context.config().space_guid, options.name);
  if (!instance) return ui.failed(instance.error());
  if (options.guid_only) {
    ui.say(instance->value("guid", ""));
    return 0;
  }
  ui.say("Showing info of service " + options.name + " in " + context.where() + "...");
  ui.newline();
  const json& si = *instance;
  const std::string tags = joinStrings(si.value("tags", json::array()));
  if (si.value("type", "") == "user-provided") {
    ui.keyValues({{"name", stringField(si, "name")},
                  {"guid", stringField(si, "guid")},
                  {"type", "user-provided"},
                  {"tags", tags},
                  {"route service url", stringField(si, "route_service_url")},
                  {"syslog drain url", stringField(si, "syslog_drain_url")}});
    ui.newline();
    printBoundApps(context, *client, si);
    return 0;
  }
  auto catalog = fetchCatalog(*client);
  if (!catalog) return ui.failed(catalog.error());
  PlanRef ref = findPlan(*catalog, relationshipGuid(si, "service_plan"));
  ui.keyValues({{"name", stringField(si, "name")},
                {"guid", stringField(si, "guid")},
                {"type", "managed"},
                {"broker", ref.offering ? ref.offering->broker_name : ""},
                {"offering", ref.offering ? ref.offering->name : ""},
                {"plan", ref.plan ? ref.plan->name : ""},
                {"tags", tags},
                {"offering tags", ref.offering ? joinList(ref.offering->tags) : ""},
                {"description", ref.offering ? ref.offering->description : ""},
                {"documentation", ref.offering ? ref.offering->documentation_url : ""},
                {"dashboard url", stringField(si, "dashboard_url")}});
  ui.newline();
  ui.say("Showing status of last operation from service instance " + options.name + "...");
  ui.newline();
  const json& operation = si.value("last_operation", json::object());
  ui.keyValues({{"status", lastOperationText(si)},
                {"message", lastOperationDescription(si)},
                {"started", stringField(operation, "created_at")},
                {"updated", stringField(operation, "updated_at")}});
  ui.newline();
  printBoundApps(context, *client, si);
  return 0;
}

int deleteService(Context& context, const InstanceOptions& options) {
  Ui& ui = context.ui();
  auto client = context.targetedClient();
  if (!client) return ui.failed(client.error());
  if (!options.force &&
      !confirm(ui, std::cin, "Really delete the service instance " + options.name + "?")) {
    ui.say("Delete cancelled");
    return 0;
  }
  ui.say("Deleting service instance " + options.name + " in " + context.where() + "...");
  auto instance = lookupServiceInstance(*client, context.config().space_guid, options.name);
  if (!instance) return ui.failed(instance.error());
  ui.newline();
  if (instance->is_null()) {
    ui.say("Service instance " + options.name + " did not exist.");
    ui.ok();
    return 0;
  }
  auto reply = serviceRequest(*client, "DELETE",
                              "/v3/service_instances/" + instance->value("guid", ""), json(),
                              options.name);
  if (!reply) return ui.failed(reply.error());
  auto outcome = followJob(ui, *client, *reply, options.wait);
  if (!outcome) return ui.failed(outcome.error());
  ui.say(*outcome == JobOutcome::kComplete ? "Service instance " + options.name + " deleted."
                                           : inProgressHint("Delete", options.name));
  ui.ok();
  return 0;
}

int renameService(Context& context, const InstanceOptions& options) {
  Ui& ui = context.ui();
  auto client = context.targetedClient();
  if (!client) return ui.failed(client.error());
  ui.say("Renaming service " + options.name + " to " + options.new_name + " in " +
         context.where() + "...");
  auto instance = findServiceInstance(*client, context.config().space_guid, options.name);
  if (!instance) return ui.failed(instance.error());
  auto reply = serviceRequest(*client, "PATCH",
                              "/v3/service_instances/" + instance->value("guid", ""),
                              {{"name", options.new_name}}, options.name);
  if (!reply) return ui.failed(reply.error());
  // A managed rename may go through the broker (a job); wait for it, as cf does.
  auto outcome = followJob(ui, *client, *reply, true);
  if (!outcome) return ui.failed(outcome.error());
  ui.ok();
  return 0;
}

using Runner = int (*)(Context&, const InstanceOptions&);

CLI::App* addCommand(CommandTable& table, const std::string& name, const std::string& description,
                     Runner run, const std::shared_ptr<InstanceOptions>& options) {
  Context& context = table.context();
  return table.add(name, description, [&context, run, options] { return run(context, *options); });
}

void addWaitFlag(CLI::App* command, InstanceOptions& options) {
  command->add_flag("-w,--wait", options.wait, "Wait for the operation to complete");
}

}  // namespace

void addServiceInstanceCommands(CommandTable& table) {
  Context& context = table.context();

  auto create = std::make_shared<InstanceOptions>();
  CLI::App* c = addCommand(table, "create-service", "Create a service instance", createService,
                           create);
  c->add_option("SERVICE_OFFERING", create->offering, "The service offering")->required();
  c->add_option("PLAN", create->plan, "The plan")->required();
  c->add_option("SERVICE_INSTANCE", create->name, "Name of the new instance")->required();
  c->add_option("-b", create->broker,
                "Create a service instance from a particular broker. Required when service "
                "offering name is ambiguous");
  c->add_option("-c", create->parameters,
                "Valid JSON object containing service-specific configuration parameters, "
                "provided either in-line or in a file (PATH or @PATH)");
  c->add_option("-t", create->tags, "User provided tags, e.g. \"list, of, tags\"");
  addWaitFlag(c, *create);
  c->footer("Example:\n  foundry create-service fake-db sync mydb -c '{\"ram_gb\":4}' -t \"a, b\"");

  auto update = std::make_shared<InstanceOptions>();
  CLI::App* u = addCommand(table, "update-service",
                           "Update a service instance (plan, parameters, tags)", updateService,
                           update);
  u->add_option("SERVICE_INSTANCE", update->name, "The instance")->required();
  u->add_option("-p", update->plan, "Change service plan for a service instance");
  u->add_option("-c", update->parameters,
                "Valid JSON object containing service-specific configuration parameters");
  u->add_option("-t", update->tags, "User provided tags");
  addWaitFlag(u, *update);

  table.add("services", "List all service instances in the target space",
            [&context] { return services(context); });

  auto show = std::make_shared<InstanceOptions>();
  CLI::App* s = addCommand(table, "service", "Show service instance info", service, show);
  s->add_option("SERVICE_INSTANCE", show->name, "The instance")->required();
  s->add_flag("--guid", show->guid_only, "Retrieve and display the given service's guid");

  auto remove = std::make_shared<InstanceOptions>();
  CLI::App* d = addCommand(table, "delete-service", "Delete a service instance", deleteService,
                           remove);
  d->add_option("SERVICE_INSTANCE", remove->name, "The instance")->required();
  d->add_flag("-f,--force", remove->force, "Force deletion without confirmation");
  addWaitFlag(d, *remove);

  auto rename = std::make_shared<InstanceOptions>();
  CLI::App* r = addCommand(table, "rename-service", "Rename a service instance", renameService,
                           rename);
  r->add_option("SERVICE_INSTANCE", rename->name, "The instance")->required();
  r->add_option("NEW_SERVICE_INSTANCE", rename->new_name, "Its new name")->required();
}

}  // namespace foundry::cli
