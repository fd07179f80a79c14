// create-service-key, service-keys, service-key, delete-service-key: credential bindings of
// type "key" on a managed instance. service-key is the one place credentials are printed, as
// in cf.
#include <CLI/CLI.hpp>
#include <iostream>

#include "cli/commands/commands.h"
#include "cli/commands/service_lookups.h"
#include "cli/commands/service_params.h"

namespace foundry::cli {

using nlohmann::json;

namespace {

struct KeyOptions {
  std::string instance;
  std::string key;
  std::optional<std::string> parameters;
  bool wait = false;
  bool force = false;
  bool guid_only = false;
};

// The instance's keys, optionally only the one named `name`.
Result<std::vector<json>> listKeys(const CcClient& client, const std::string& instance_guid,
                                   const std::string& name = "") {
  std::string path =
      "/v3/service_credential_bindings?type=key&service_instance_guids=" + instance_guid;
  if (!name.empty()) path += "&names=" + urlEncode(name);
  auto all = client.listAll(path);
  if (!all) return all;
  std::vector<json> keys;
  for (auto& binding : *all) {
    bool named = name.empty() || binding.value("name", json()) == json(name);
    if (binding.value("type", "key") == "key" && named) keys.push_back(std::move(binding));
  }
  return Result<std::vector<json>>::ok(std::move(keys));
}

std::string keyMissing(const KeyOptions& options) {
  return "Service key " + options.key + " does not exist for service instance " +
         options.instance + ".";
}

int createServiceKey(Context& context, const KeyOptions& options) {
  Ui& ui = context.ui();
  json body = {{"type", "key"}, {"name", options.key}};
  if (options.parameters) {
    auto parameters = parseJsonObjectFlag(*options.parameters);
    if (!parameters) return ui.failed(parameters.error());
    body["parameters"] = *parameters;
  }
  auto client = context.targetedClient();
  if (!client) return ui.failed(client.error());
  ui.say("Creating service key " + options.key + " for service instance " + options.instance +
         " as " + context.userName() + "...");
  auto instance = findServiceInstance(*client, context.config().space_guid, options.instance);
  if (!instance) return ui.failed(instance.error());
  body["relationships"] = {
      {"service_instance", {{"data", {{"guid", instance->value("guid", "")}}}}}};
  auto reply = sendJson(*client, "POST", "/v3/service_credential_bindings", body);
  if (!reply) return ui.failed(reply.error());
  if (!succeeded(*reply)) {
    std::string error = serviceReplyError(*reply, options.instance);
    if (reply->status == 422 &&
        error.find("Key binding names must be unique") != std::string::npos) {
      ui.say("Service key " + options.key + " already exists");
      ui.ok();
      return 0;
    }
    return ui.failed(error);
  }
  auto outcome = followJob(ui, *client, *reply, options.wait);
  if (!outcome) return ui.failed(outcome.error());
  ui.ok();
  if (*outcome == JobOutcome::kInProgress) {
    ui.newline();
    ui.say("Create in progress.");
  }
  return 0;
}

int serviceKeys(Context& context, const KeyOptions& options) {
  Ui& ui = context.ui();
  auto client = context.targetedClient();
  if (!client) return ui.failed(client.error());
  ui.say("Getting keys for service instance " + options.instance + " as " + context.userName() +
         "...");
  ui.newline();
  auto instance = findServiceInstance(*client, context.config().space_guid, options.instance);
  if (!instance) return ui.failed(instance.error());
  auto keys = listKeys(*client, instance->value("guid", ""));
  if (!keys) return ui.failed(keys.error());
  if (keys->empty()) {
    ui.say("No service keys for service instance " + options.instance);
    return 0;
  }
  std::vector<std::vector<std::string>> rows = {{"name", "last operation", "message"}};
  for (const auto& key : *keys) {
    rows.push_back({key.value("name", ""), lastOperationText(key), lastOperationDescription(key)});
  }
  ui.table(rows);
  return 0;
}

int serviceKey(Context& context, const KeyOptions& options) {
  Ui& ui = context.ui();
  auto client = context.targetedClient();
  if (!client) return ui.failed(client.error());
  auto instance = findServiceInstance(*client, context.config().space_guid, options.instance);
  if (!instance) return ui.failed(instance.error());
  auto keys = listKeys(*client, instance->value("guid", ""), options.key);
  if (!keys) return ui.failed(keys.error());
  if (keys->empty()) return ui.failed(keyMissing(options));
  const std::string guid = keys->front().value("guid", "");
  if (options.guid_only) {
    ui.say(guid);
    return 0;
  }
  ui.say("Getting key " + options.key + " for service instance " + options.instance + " as " +
         context.userName() + "...");
  ui.newline();
  auto details = client->get("/v3/service_credential_bindings/" + guid + "/details");
  if (!details) return ui.failed(details.error());
  // cf v8 prints the credentials under "credentials" (the details' other keys are for apps).
  json shown = {{"credentials", details->body.value("credentials", json::object())}};
  ui.say(shown.dump(2));
  return 0;
}

int deleteServiceKey(Context& context, const KeyOptions& options) {
  Ui& ui = context.ui();
  auto client = context.targetedClient();
  if (!client) return ui.failed(client.error());
  if (!options.force &&
      !confirm(ui, std::cin, "Really delete the service key " + options.key + "?")) {
    ui.say("Delete cancelled");
    return 0;
  }
  ui.say("Deleting key " + options.key + " for service instance " + options.instance + " as " +
         context.userName() + "...");
  auto instance = findServiceInstance(*client, context.config().space_guid, options.instance);
  if (!instance) return ui.failed(instance.error());
  auto keys = listKeys(*client, instance->value("guid", ""), options.key);
  if (!keys) return ui.failed(keys.error());
  if (keys->empty()) {
    ui.say(keyMissing(options));
    ui.ok();
    return 0;
  }
  auto reply = serviceRequest(*client, "DELETE",
                              "/v3/service_credential_bindings/" + keys->front().value("guid", ""),
                              json(), options.instance);
  if (!reply) return ui.failed(reply.error());
  auto outcome = followJob(ui, *client, *reply, options.wait);
  if (!outcome) return ui.failed(outcome.error());
  ui.ok();
  if (*outcome == JobOutcome::kInProgress) {
    ui.newline();
    ui.say("Delete in progress.");
  }
  return 0;
}

CLI::App* addKeyCommand(CommandTable& table, const std::string& name,
                        const std::string& description, int (*run)(Context&, const KeyOptions&),
                        const std::shared_ptr<KeyOptions>& options, bool with_key) {
  Context& context = table.context();
  CLI::App* command =
      table.add(name, description, [&context, run, options] { return run(context, *options); });
  command->add_option("SERVICE_INSTANCE", options->instance, "The service instance")->required();
  if (with_key) command->add_option("SERVICE_KEY", options->key, "The key")->required();
  return command;
}

}  // namespace

void addServiceKeyCommands(CommandTable& table) {
  auto create = std::make_shared<KeyOptions>();
  CLI::App* c = addKeyCommand(table, "create-service-key", "Create key for a service instance",
                              createServiceKey, create, true);
  c->add_option("-c", create->parameters,
                "Valid JSON object containing service-specific configuration parameters, "
                "provided either in-line or in a file (PATH or @PATH)");
  c->add_flag("-w,--wait", create->wait, "Wait for the operation to complete");

  addKeyCommand(table, "service-keys", "List keys for a service instance", serviceKeys,
                std::make_shared<KeyOptions>(), false);

  auto show = std::make_shared<KeyOptions>();
  CLI::App* s = addKeyCommand(table, "service-key", "Show service key info", serviceKey, show,
                              true);
  s->add_flag("--guid", show->guid_only, "Retrieve and display the given service-key's guid");

  auto remove = std::make_shared<KeyOptions>();
  CLI::App* d = addKeyCommand(table, "delete-service-key", "Delete a service key",
                              deleteServiceKey, remove, true);
  d->add_flag("-f,--force", remove->force, "Force deletion without confirmation");
  d->add_flag("-w,--wait", remove->wait, "Wait for the operation to complete");
}

}  // namespace foundry::cli
