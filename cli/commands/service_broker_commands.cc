// create-service-broker, update-service-broker, service-brokers, delete-service-broker,
// rename-service-broker (/v3/service_brokers; create/update/delete answer 202 + a job that
// synchronizes the catalog, which cf always waits for). The broker password is never printed.
#include <CLI/CLI.hpp>
#include <cstdlib>
#include <iostream>

#include "cli/commands/commands.h"
#include "cli/commands/lookups.h"
#include "cli/commands/service_lookups.h"

namespace foundry::cli {

using nlohmann::json;

namespace {

// cf's CF_BROKER_PASSWORD, under our prefix.
constexpr const char* kPasswordVariable = "FOUNDRY_BROKER_PASSWORD";

struct BrokerOptions {
  // NAME USERNAME [PASSWORD] URL: cf v8 lets the password be left out (then it comes from the
  // environment or a prompt), so the positionals are collected and split here.
  std::vector<std::string> args;
  std::string name;
  std::string new_name;
  bool space_scoped = false;
  bool force = false;
};

struct BrokerCredentials {
  std::string username;
  std::string password;
  std::string url;
};

Result<BrokerCredentials> brokerArgs(Ui& ui, const BrokerOptions& options) {
  BrokerCredentials credentials;
  if (options.args.size() == 4) {
    credentials = {options.args[1], options.args[2], options.args[3]};
    return Result<BrokerCredentials>::ok(std::move(credentials));
  }
  if (options.args.size() != 3) {
    return Result<BrokerCredentials>::fail(
        "Incorrect Usage: expected SERVICE_BROKER USERNAME PASSWORD URL (or SERVICE_BROKER "
        "USERNAME URL with the password in $" +
        std::string(kPasswordVariable) + " or typed at the prompt)");
  }
  credentials.username = options.args[1];
  credentials.url = options.args[2];
  if (const char* env = std::getenv(kPasswordVariable); env != nullptr && *env != '\0') {
    credentials.password = env;
  } else {
    auto typed = prompt(ui, "Service Broker Password: ", true);
    if (!typed) return Result<BrokerCredentials>::fail("No broker password given.");
    credentials.password = *typed;
  }
  return Result<BrokerCredentials>::ok(std::move(credentials));
}

json authentication(const BrokerCredentials& credentials) {
  return {{"type", "basic"},
          {"credentials",
           {{"username", credentials.username}, {"password", credentials.password}}}};
}

// Sends a broker change and waits for its catalog job.
Status sendAndWait(const CcClient& client, const std::string& method, const std::string& path,
                   const json& body) {
  auto reply = client.send(method, path, body.is_null() ? "" : body.dump(),
                           body.is_null() ? "" : "application/json", 60000);
  if (!reply) return Status::fail(reply.error());
  if (!reply->location.empty()) return client.waitForJob(reply->location, std::chrono::minutes(5));
  return okStatus();
}

Result<json> findBroker(const CcClient& client, const std::string& name) {
  auto broker = lookupServiceBroker(client, name);
  if (broker && broker->is_null()) {
    return Result<json>::fail("Service broker '" + name + "' not found.");
  }
  return broker;
}

int createServiceBroker(Context& context, const BrokerOptions& options) {
  Ui& ui = context.ui();
  auto client = options.space_scoped ? context.targetedClient() : context.loggedInClient();
  if (!client) return ui.failed(client.error());
  auto credentials = brokerArgs(ui, options);
  if (!credentials) return ui.failed(credentials.error());
  const std::string& name = options.args[0];
  json body = {{"name", name}, {"url", credentials->url},
               {"authentication", authentication(*credentials)}};
  if (options.space_scoped) {
    ui.say("Creating service broker " + name + " in " + context.where() + "...");
    body["relationships"] = {{"space", {{"data", {{"guid", context.config().space_guid}}}}}};
  } else {
    ui.say("Creating service broker " + name + " as " + context.userName() + "...");
  }
  Status created = sendAndWait(*client, "POST", "/v3/service_brokers", body);
  if (!created) return ui.failed(created.error());
  ui.ok();
  return 0;
}

int updateServiceBroker(Context& context, const BrokerOptions& options) {
  Ui& ui = context.ui();
  auto client = context.loggedInClient();
  if (!client) return ui.failed(client.error());
  auto credentials = brokerArgs(ui, options);
  if (!credentials) return ui.failed(credentials.error());
  const std::string& name = options.args[0];
  ui.say("Updating service broker " + name + " as " + context.userName() + "...");
  auto broker = findBroker(*client, name);
  if (!broker) return ui.failed(broker.error());
  Status updated = sendAndWait(
      *client, "PATCH", "/v3/service_brokers/" + broker->value("guid", ""),
      {{"url", credentials->url}, {"authentication", authentication(*credentials)}});
  if (!updated) return ui.failed(updated.error());
  ui.ok();
  return 0;
}

int serviceBrokers(Context& context) {
  Ui& ui = context.ui();
  auto client = context.loggedInClient();
  if (!client) return ui.failed(client.error());
  ui.say("Getting service brokers as " + context.userName() + "...");
  ui.newline();
  auto brokers = client->listAll("/v3/service_brokers?order_by=name");
  if (!brokers) return ui.failed(brokers.error());
  if (brokers->empty()) {
    ui.say("No service brokers found");
    return 0;
  }
  std::vector<std::vector<std::string>> rows = {{"name", "url"}};
  for (const auto& broker : *brokers) {
    rows.push_back({broker.value("name", ""), broker.value("url", "")});
  }
  ui.table(rows);
  return 0;
}

int deleteServiceBroker(Context& context, const BrokerOptions& options) {
  Ui& ui = context.ui();
  auto client = context.loggedInClient();
  if (!client) return ui.failed(client.error());
  if (!options.force &&
      !confirm(ui, std::cin, "Really delete the service broker " + options.name + "?")) {
    ui.say("Delete cancelled");
    return 0;
  }
  ui.say("Deleting service broker " + options.name + " as " + context.userName() + "...");
  auto broker = lookupServiceBroker(*client, options.name);
  if (!broker) return ui.failed(broker.error());
  if (broker->is_null()) {
    ui.say("Service broker '" + options.name + "' does not exist.");
    ui.ok();
    return 0;
  }
  auto deleted = deleteAndWait(*client, "/v3/service_brokers/" + broker->value("guid", ""));
  if (!deleted) return ui.failed(deleted.error());
  ui.ok();
  return 0;
}

int renameServiceBroker(Context& context, const BrokerOptions& options) {
  Ui& ui = context.ui();
  auto client = context.loggedInClient();
  if (!client) return ui.failed(client.error());
  ui.say("Renaming service broker " + options.name + " to " + options.new_name + " as " +
         context.userName() + "...");
  auto broker = findBroker(*client, options.name);
  if (!broker) return ui.failed(broker.error());
  Status renamed = sendAndWait(*client, "PATCH", "/v3/service_brokers/" + broker->value("guid", ""),
                               {{"name", options.new_name}});
  if (!renamed) return ui.failed(renamed.error());
  ui.ok();
  return 0;
}

void addBrokerArgs(CLI::App* command, BrokerOptions& options) {
  command->add_option("ARGS", options.args,
                      "SERVICE_BROKER USERNAME PASSWORD URL: the broker's name, its basic-auth "
                      "user and password, and its URL")
      ->required()
      ->expected(3, 4);
  command->footer("Usage: foundry " + command->get_name() +
                  " SERVICE_BROKER USERNAME PASSWORD URL\n"
                  "   or: foundry " + command->get_name() +
                  " SERVICE_BROKER USERNAME URL (password from $" +
                  std::string(kPasswordVariable) + " or typed at a prompt, not echoed)");
}

}  // namespace

void addServiceBrokerCommands(CommandTable& table) {
  Context& context = table.context();

  auto create = std::make_shared<BrokerOptions>();
  CLI::App* c = table.add("create-service-broker", "Create a service broker",
                          [&context, create] { return createServiceBroker(context, *create); });
  addBrokerArgs(c, *create);
  c->add_flag("--space-scoped", create->space_scoped,
              "Make the broker's service plans only visible within the targeted space");

  auto update = std::make_shared<BrokerOptions>();
  CLI::App* u = table.add("update-service-broker", "Update a service broker",
                          [&context, update] { return updateServiceBroker(context, *update); });
  addBrokerArgs(u, *update);

  table.add("service-brokers", "List service brokers",
            [&context] { return serviceBrokers(context); });

  auto remove = std::make_shared<BrokerOptions>();
  CLI::App* d = table.add("delete-service-broker", "Delete a service broker",
                          [&context, remove] { return deleteServiceBroker(context, *remove); });
  d->add_option("SERVICE_BROKER", remove->name, "The broker")->required();
  d->add_flag("-f,--force", remove->force, "Force deletion without confirmation");

  auto rename = std::make_shared<BrokerOptions>();
  CLI::App* r = table.add("rename-service-broker", "Rename a service broker",
                          [&context, rename] { return renameServiceBroker(context, *rename); });
  r->add_option("SERVICE_BROKER", rename->name, "The broker")->required();
  r->add_option("NEW_SERVICE_BROKER", rename->new_name, "Its new name")->required();
}

}  // namespace foundry::cli
