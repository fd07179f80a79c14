// bind-service, unbind-service: app credential bindings (POST/DELETE
// /v3/service_credential_bindings, type "app"; 201/204 for user-provided, 202 + job for managed).
#include <CLI/CLI.hpp>

#include "cli/commands/commands.h"
#include "cli/commands/lookups.h"
#include "cli/commands/service_lookups.h"
#include "cli/commands/service_params.h"

namespace foundry::cli {

using nlohmann::json;

namespace {

struct BindingOptions {
  std::string app;
  std::string instance;
  std::string binding_name;
  std::optional<std::string> parameters;
  bool wait = false;
  bool force = false;
};

int bindService(Context& context, const BindingOptions& options) {
  Ui& ui = context.ui();
  json body = {{"type", "app"}};
  if (options.parameters) {
    auto parameters = parseJsonObjectFlag(*options.parameters);
    if (!parameters) return ui.failed(parameters.error());
    body["parameters"] = *parameters;
  }
  if (!options.binding_name.empty()) body["name"] = options.binding_name;
  auto client = context.targetedClient();
  if (!client) return ui.failed(client.error());
  const std::string& space_guid = context.config().space_guid;
  ui.say("Binding service instance " + options.instance + " to app " + options.app + " in " +
         context.where() + "...");
  auto instance = findServiceInstance(*client, space_guid, options.instance);
  if (!instance) return ui.failed(instance.error());
  auto app = findApp(*client, space_guid, options.app);
  if (!app) return ui.failed(app.error());
  body["relationships"] = {
      {"service_instance", {{"data", {{"guid", instance->value("guid", "")}}}}},
      {"app", {{"data", {{"guid", app->value("guid", "")}}}}}};
  auto reply = sendJson(*client, "POST", "/v3/service_credential_bindings", body);
  if (!reply) return ui.failed(reply.error());
  if (!succeeded(*reply)) {
    std::string error = serviceReplyError(*reply, options.instance);
    if (reply->status == 422 &&
        error.find("The app is already bound to the service instance") != std::string::npos) {
      ui.say("App " + options.app + " is already bound to service instance " + options.instance +
             ".");
      ui.ok();
      return 0;
    }
    return ui.failed(error);
  }
  auto outcome = followJob(ui, *client, *reply, options.wait);
  if (!outcome) return ui.failed(outcome.error());
  ui.ok();
  if (*outcome == JobOutcome::kComplete) {
    ui.say("TIP: Use 'foundry restage " + options.app +
           "' to ensure your env variable changes take effect");
  } else {
    ui.say("Binding in progress. Use 'foundry service " + options.instance +
           "' to check operation status.");
    ui.newline();
    ui.say("TIP: Once this operation succeeds, use 'foundry restage " + options.app +
           "' to ensure your env variable changes take effect");
  }
  return 0;
}

int unbindService(Context& context, const BindingOptions& options) {
  Ui& ui = context.ui();
  auto client = context.targetedClient();
  if (!client) return ui.failed(client.error());
  const std::string& space_guid = context.config().space_guid;
  ui.say("Unbinding app " + options.app + " from service " + options.instance + " in " +
         context.where() + "...");
  auto instance = findServiceInstance(*client, space_guid, options.instance);
  if (!instance) return ui.failed(instance.error());
  auto app = findApp(*client, space_guid, options.app);
  if (!app) return ui.failed(app.error());
  auto bindings = appBindings(*client, {instance->value("guid", "")}, app->value("guid", ""));
  if (!bindings) return ui.failed(bindings.error());
  if (bindings->empty()) {
    ui.say("Binding between " + options.instance + " and " + options.app + " did not exist");
    ui.ok();
    return 0;
  }
  bool in_progress = false;
  for (const auto& binding : *bindings) {
    auto reply = serviceRequest(*client, "DELETE",
                                "/v3/service_credential_bindings/" + binding.value("guid", ""),
                                json(), options.instance);
    if (!reply) return ui.failed(reply.error());
    auto outcome = followJob(ui, *client, *reply, options.wait);
    if (!outcome) return ui.failed(outcome.error());
    in_progress = in_progress || *outcome == JobOutcome::kInProgress;
  }
  ui.ok();
  if (in_progress) {
    ui.newline();
    ui.say("Unbinding in progress. Use 'foundry service " + options.instance +
           "' to check operation status.");
  }
  return 0;
}

void addPositionals(CLI::App* command, BindingOptions& options) {
  command->add_option("APP_NAME", options.app, "The app")->required();
  command->add_option("SERVICE_INSTANCE", options.instance, "The service instance")->required();
  command->add_flag("-w,--wait", options.wait, "Wait for the operation to complete");
}

}  // namespace

void addServiceBindingCommands(CommandTable& table) {
  Context& context = table.context();
  auto bind = std::make_shared<BindingOptions>();
  CLI::App* b = table.add("bind-service", "Bind a service instance to an app",
                          [&context, bind] { return bindService(context, *bind); });
  addPositionals(b, *bind);
  b->add_option("--binding-name", bind->binding_name,
                "Name to expose service instance to app process with (Default: service "
                "instance name)");
  b->add_option("-c", bind->parameters,
                "Valid JSON object containing service-specific configuration parameters, "
                "provided either in-line or in a file (PATH or @PATH)");
  b->footer("Example:\n  foundry bind-service myapp mydb -c '{\"permissions\":\"read-only\"}'");

  auto unbind = std::make_shared<BindingOptions>();
  CLI::App* u = table.add("unbind-service", "Unbind a service instance from an app",
                          [&context, unbind] { return unbindService(context, *unbind); });
  addPositionals(u, *unbind);
  // cf's unbind-service does not ask; -f is accepted so scripts written for older CLIs work.
  u->add_flag("-f,--force", unbind->force, "Accepted for compatibility; unbind never asks");
}

}  // namespace foundry::cli
