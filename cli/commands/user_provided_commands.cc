// create-user-provided-service (cups), update-user-provided-service (uups): instances whose
// credentials the user gives (POST/PATCH /v3/service_instances, type "user-provided", 201/200).
#include <CLI/CLI.hpp>

#include "cli/commands/commands.h"
#include "cli/commands/service_lookups.h"
#include "cli/commands/service_params.h"

namespace foundry::cli {

using nlohmann::json;

namespace {

struct UserProvidedOptions {
  std::string name;
  std::optional<std::string> credentials;
  std::optional<std::string> syslog_drain_url;
  std::optional<std::string> route_service_url;
  std::optional<std::string> tags;
};

// The body fields the flags set. -p with names prompts for each value without echo (they are
// usually secrets), as cf does.
Result<json> flagsBody(Ui& ui, const UserProvidedOptions& options) {
  json body = json::object();
  if (options.credentials) {
    auto flag = parseCredentialsFlag(*options.credentials);
    if (!flag) return Result<json>::fail(flag.error());
    json credentials = flag->credentials.is_object() ? flag->credentials : json::object();
    for (const auto& name : flag->prompt_names) {
      auto value = prompt(ui, name + ": ", true);
      if (!value) return Result<json>::fail("No value given for '" + name + "'.");
      credentials[name] = *value;
    }
    body["credentials"] = credentials;
  }
  if (options.syslog_drain_url) body["syslog_drain_url"] = *options.syslog_drain_url;
  if (options.route_service_url) body["route_service_url"] = *options.route_service_url;
  if (options.tags) body["tags"] = parseTags(*options.tags);
  return Result<json>::ok(std::move(body));
}

int createUserProvided(Context& context, const UserProvidedOptions& options) {
  Ui& ui = context.ui();
  auto client = context.targetedClient();
  if (!client) return ui.failed(client.error());
  ui.say("Creating user provided service " + options.name + " in " + context.where() + "...");
  auto body = flagsBody(ui, options);
  if (!body) return ui.failed(body.error());
  (*body)["type"] = "user-provided";
  (*body)["name"] = options.name;
  (*body)["relationships"] = {{"space", {{"data", {{"guid", context.config().space_guid}}}}}};
  auto reply = serviceRequest(*client, "POST", "/v3/service_instances", *body, options.name);
  if (!reply) return ui.failed(reply.error());
  ui.ok();
  return 0;
}

int updateUserProvided(Context& context, const UserProvidedOptions& options) {
  Ui& ui = context.ui();
  auto client = context.targetedClient();
  if (!client) return ui.failed(client.error());
  if (!options.credentials && !options.syslog_drain_url && !options.route_service_url &&
      !options.tags) {
    ui.say("No flags specified. No changes were made.");
    ui.ok();
    return 0;
  }
  ui.say("Updating user provided service " + options.name + " in " + context.where() + "...");
  auto instance = findServiceInstance(*client, context.config().space_guid, options.name);
  if (!instance) return ui.failed(instance.error());
  if (instance->value("type", "") != "user-provided") {
    return ui.failed("The service instance '" + options.name + "' is not user-provided.");
  }
  auto body = flagsBody(ui, options);
  if (!body) return ui.failed(body.error());
  auto reply = serviceRequest(*client, "PATCH",
                              "/v3/service_instances/" + instance->value("guid", ""), *body,
                              options.name);
  if (!reply) return ui.failed(reply.error());
  ui.ok();
  ui.newline();
  ui.say("TIP: Use 'foundry restage' for any bound apps to ensure your env variable changes take "
         "effect");
  return 0;
}

void addFlags(CLI::App* command, UserProvidedOptions& options) {
  command->add_option("SERVICE_INSTANCE", options.name, "The instance")->required();
  command->add_option("-p", options.credentials,
                      "Credentials, provided inline (JSON), in a file (PATH or @PATH), or as "
                      "comma separated parameter names to be prompted for");
  command->add_option("-l", options.syslog_drain_url,
                      "URL to which logs for bound applications will be streamed");
  command->add_option("-r", options.route_service_url,
                      "URL to which requests for bound routes will be forwarded (https)");
  command->add_option("-t", options.tags, "User provided tags");
}

}  // namespace

void addUserProvidedServiceCommands(CommandTable& table) {
  Context& context = table.context();
  auto create = std::make_shared<UserProvidedOptions>();
  CLI::App* c = table.add("create-user-provided-service",
                          "Make a user-provided service instance available to CF apps",
                          [&context, create] { return createUserProvided(context, *create); });
  c->alias("cups");
  addFlags(c, *create);
  c->footer(
      "Examples:\n  foundry cups my-db -p \"username, password\"\n"
      "  foundry cups my-db -p '{\"username\":\"admin\",\"password\":\"pa55woRD\"}'\n"
      "  foundry cups my-db -p @/path/to/credentials.json -t \"list, of, tags\"\n"
      "  foundry cups my-drain -l syslog://example.com");

  auto update = std::make_shared<UserProvidedOptions>();
  CLI::App* u = table.add("update-user-provided-service",
                          "Update user-provided service instance",
                          [&context, update] { return updateUserProvided(context, *update); });
  u->alias("uups");
  addFlags(u, *update);
}

}  // namespace foundry::cli
