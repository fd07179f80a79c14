// apps, app, start, stop, restart, restage, scale, delete, env.
#include <CLI/CLI.hpp>
#include <iostream>

#include "cli/commands/app_lifecycle.h"
#include "cli/commands/commands.h"
#include "cli/commands/lookups.h"
#include "cli/manifest/units.h"

namespace foundry::cli {

using nlohmann::json;

namespace {

struct AppOptions {
  std::string name;
  std::optional<int> instances;
  std::optional<std::string> memory;
  std::optional<std::string> disk;
  bool force = false;
  bool delete_routes = false;
};

std::string lower(std::string text) {
  for (auto& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return text;
}

int apps(Context& context) {
  Ui& ui = context.ui();
  auto client = context.targetedClient();
  if (!client) return ui.failed(client.error());
  ui.say("Getting apps in " + context.where() + "...");
  ui.newline();
  auto all =
      client->listAll("/v3/apps?space_guids=" + context.config().space_guid + "&order_by=name");
  if (!all) return ui.failed(all.error());
  if (all->empty()) {
    ui.say("No apps found");
    return 0;
  }
  auto domains = listDomains(*client);
  if (!domains) return ui.failed(domains.error());
  auto names = domainNames(*domains);
  std::vector<std::vector<std::string>> rows = {{"name", "requested state", "processes", "routes"}};
  for (const auto& app : *all) {
    std::string guid = app.value("guid", "");
    bool started = app.value("state", "") == "STARTED";
    std::string processes_text;
    auto processes = client->listAll("/v3/apps/" + guid + "/processes");
    if (processes) {
      for (const auto& process : *processes) {
        int wanted = process.value("instances", 0);
        int running = 0;
        if (started && wanted > 0) {
          auto stats = client->sendRaw(
              "GET", "/v3/processes/" + process.value("guid", "") + "/stats", "", "", 10000);
          if (stats && stats->status == 200) {
            for (const auto& i : stats->body.value("resources", json::array())) {
              if (i.value("state", "") == "RUNNING") ++running;
            }
          }
        }
        processes_text += (processes_text.empty() ? "" : ", ") + process.value("type", "web") +
                          ":" + std::to_string(running) + "/" + std::to_string(wanted);
      }
    }
    std::string routes_text;
    auto urls = appRouteUrls(*client, guid, names);
    if (urls) {
      for (const auto& u : *urls) routes_text += (routes_text.empty() ? "" : ", ") + u;
    }
    rows.push_back(
        {app.value("name", ""), lower(app.value("state", "")), processes_text, routes_text});
  }
  ui.table(rows);
  return 0;
}

int appCommand(Context& context, const AppOptions& options) {
  Ui& ui = context.ui();
  auto client = context.targetedClient();
  if (!client) return ui.failed(client.error());
  ui.say("Showing health and status for app " + options.name + " in " + context.where() + "...");
  ui.newline();
  auto app = findApp(*client, context.config().space_guid, options.name);
  if (!app) return ui.failed(app.error());
  printAppSummary(context, *client, *app);
  return 0;
}

int startCommand(Context& context, const AppOptions& options) {
  Ui& ui = context.ui();
  auto client = context.targetedClient();
  if (!client) return ui.failed(client.error());
  auto app = findApp(*client, context.config().space_guid, options.name);
  if (!app) return ui.failed(app.error());
  if (app->value("state", "") == "STARTED") {
    ui.say("App '" + options.name + "' is already started.");
    ui.ok();
    return 0;
  }
  ui.say("Starting app " + options.name + " in " + context.where() + "...");
  std::string guid = (*app)["guid"];
  // An app that was pushed with --no-start before staging existed has a package but no
  // droplet: stage it first, as cf start does.
  auto droplet = client->sendRaw("GET", "/v3/apps/" + guid + "/droplets/current", "", "", 10000);
  if (droplet && droplet->status == 404) {
    auto package = newestReadyPackage(*client, guid);
    if (package) {
      ui.newline();
      ui.say("Staging app and tracing logs...");
      auto staged = stagePackage(context, *client, options.name, guid, (*package)["guid"], {});
      if (!staged) return ui.failed(staged.error());
      auto set = client->patch("/v3/apps/" + guid + "/relationships/current_droplet",
                               {{"data", {{"guid", *staged}}}});
      if (!set) return ui.failed(set.error());
    }
  }
  Status restarted = restartApp(context, *client, *app);
  if (!restarted) return ui.failed(restarted.error());
  ui.newline();
  auto fresh = findApp(*client, context.config().space_guid, options.name);
  if (fresh) printAppSummary(context, *client, *fresh);
  return 0;
}

int stopCommand(Context& context, const AppOptions& options) {
  Ui& ui = context.ui();
  auto client = context.targetedClient();
  if (!client) return ui.failed(client.error());
  auto app = findApp(*client, context.config().space_guid, options.name);
  if (!app) return ui.failed(app.error());
  if (app->value("state", "") == "STOPPED") {
    ui.say("App '" + options.name + "' is already stopped.");
    ui.ok();
    return 0;
  }
  ui.say("Stopping app " + options.name + " in " + context.where() + "...");
  auto stopped = client->post("/v3/apps/" + (*app)["guid"].get<std::string>() + "/actions/stop",
                              json::object());
  if (!stopped) return ui.failed(stopped.error());
  ui.ok();
  return 0;
}

int restartCommand(Context& context, const AppOptions& options) {
  Ui& ui = context.ui();
  auto client = context.targetedClient();
  if (!client) return ui.failed(client.error());
  auto app = findApp(*client, context.config().space_guid, options.name);
  if (!app) return ui.failed(app.error());
  ui.say("Restarting app " + options.name + " in " + context.where() + "...");
  ui.newline();
  ui.say("Stopping app...");
  Status restarted = restartApp(context, *client, *app);
  if (!restarted) return ui.failed(restarted.error());
  ui.newline();
  auto fresh = findApp(*client, context.config().space_guid, options.name);
  if (fresh) printAppSummary(context, *client, *fresh);
  return 0;
}

int restageCommand(Context& context, const AppOptions& options) {
  Ui& ui = context.ui();
  auto client = context.targetedClient();
  if (!client) return ui.failed(client.error());
  auto app = findApp(*client, context.config().space_guid, options.name);
  if (!app) return ui.failed(app.error());
  std::string guid = (*app)["guid"];
  ui.say("Restaging app " + options.name + " in " + context.where() + "...");
  ui.newline();
  auto package = newestReadyPackage(*client, guid);
  if (!package) return ui.failed(package.error());
  ui.say("Staging app and tracing logs...");
  auto droplet = stagePackage(context, *client, options.name, guid, (*package)["guid"], {});
  if (!droplet) return ui.failed(droplet.error());
  ui.newline();
  if (app->value("state", "") == "STARTED") {
    auto stopped = client->post("/v3/apps/" + guid + "/actions/stop", json::object());
    if (!stopped) return ui.failed(stopped.error());
  }
  auto set = client->patch("/v3/apps/" + guid + "/relationships/current_droplet",
                           {{"data", {{"guid", *droplet}}}});
  if (!set) return ui.failed(set.error());
  auto started = client->post("/v3/apps/" + guid + "/actions/start", json::object());
  if (!started) return ui.failed(started.error());
  ui.say("Waiting for app " + options.name + " to start...");
  ui.newline();
  Status running =
      waitForInstances(context, *client, options.name, guid, startTimeout(*client, guid));
  if (!running) return ui.failed(running.error());
  ui.newline();
  auto fresh = findApp(*client, context.config().space_guid, options.name);
  if (fresh) printAppSummary(context, *client, *fresh);
  return 0;
}

int scaleCommand(Context& context, const AppOptions& options) {
  Ui& ui = context.ui();
  json body = json::object();
  if (options.instances) {
    if (*options.instances < 0) return ui.failed("Incorrect Usage: -i must be 0 or more");
    body["instances"] = *options.instances;
  }
  if (options.memory) {
    auto mb = parseMegabytes(*options.memory);
    if (!mb) return ui.failed("Incorrect Usage: -m: " + mb.error());
    body["memory_in_mb"] = *mb;
  }
  if (options.disk) {
    auto mb = parseMegabytes(*options.disk);
    if (!mb) return ui.failed("Incorrect Usage: -k: " + mb.error());
    body["disk_in_mb"] = *mb;
  }
  auto client = context.targetedClient();
  if (!client) return ui.failed(client.error());
  auto app = findApp(*client, context.config().space_guid, options.name);
  if (!app) return ui.failed(app.error());
  std::string guid = (*app)["guid"];
  if (body.empty()) {
    ui.say("Showing current scale of app " + options.name + " in " + context.where() + "...");
    ui.newline();
    printAppSummary(context, *client, *app);
    return 0;
  }
  ui.say("Scaling app " + options.name + " in " + context.where() + "...");
  auto scaled = client->post("/v3/apps/" + guid + "/processes/web/actions/scale", body);
  if (!scaled) return ui.failed(scaled.error());
  bool needs_restart = (options.memory || options.disk) && app->value("state", "") == "STARTED";
  if (needs_restart) {
    // Memory and disk limits are fixed when an instance starts: cf restarts the app.
    ui.say("Stopping app...");
    Status restarted = restartApp(context, *client, *app);
    if (!restarted) return ui.failed(restarted.error());
  }
  ui.ok();
  ui.newline();
  auto fresh = findApp(*client, context.config().space_guid, options.name);
  if (fresh) printAppSummary(context, *client, *fresh);
  return 0;
}

int deleteCommand(Context& context, const AppOptions& options) {
  Ui& ui = context.ui();
  auto client = context.targetedClient();
  if (!client) return ui.failed(client.error());
  if (!options.force && !confirm(ui, std::cin, "Really delete the app " + options.name + "?")) {
    ui.say("Delete cancelled");
    return 0;
  }
  ui.say("Deleting app " + options.name + " in " + context.where() + "...");
  auto app = lookupApp(*client, context.config().space_guid, options.name);
  if (!app) return ui.failed(app.error());
  if (app->is_null()) {
    ui.warn("App '" + options.name + "' does not exist.");
    ui.ok();
    return 0;
  }
  std::string guid = (*app)["guid"];
  std::vector<json> routes;
  if (options.delete_routes) {
    auto listed = client->listAll("/v3/apps/" + guid + "/routes");
    if (!listed) return ui.failed(listed.error());
    routes = *listed;
  }
  auto reply = client->del("/v3/apps/" + guid);
  if (!reply) return ui.failed(reply.error());
  if (!reply->location.empty()) {
    Status job = client->waitForJob(reply->location);
    if (!job) return ui.failed(job.error());
  }
  for (const auto& route : routes) {
    auto deleted = client->del("/v3/routes/" + route.value("guid", ""));
    if (!deleted) return ui.failed(deleted.error());
    if (!deleted->location.empty()) {
      Status job = client->waitForJob(deleted->location);
      if (!job) return ui.failed(job.error());
    }
  }
  ui.ok();
  return 0;
}

// cf env: GET /v3/apps/:guid/env, printed in cf's groups.
int envCommand(Context& context, const AppOptions& options) {
  Ui& ui = context.ui();
  auto client = context.targetedClient();
  if (!client) return ui.failed(client.error());
  ui.say("Getting env variables for app " + options.name + " in " + context.where() + "...");
  auto app = findApp(*client, context.config().space_guid, options.name);
  if (!app) return ui.failed(app.error());
  const std::string path = "/v3/apps/" + (*app)["guid"].get<std::string>() + "/env";
  auto reply = client->sendRaw("GET", path, "", "", 30000);
  if (!reply) return ui.failed(reply.error());
  if (reply->status == 404 && replyError(*reply) == "Unknown request") {
    return ui.failed("This API does not serve GET /v3/apps/:guid/env (404 Unknown request); "
                     "'foundry env' needs a controller that has it.");
  }
  if (reply->status != 200) return ui.failed(replyError(*reply));
  const json& body = reply->body;
  auto group = [&](const char* key) {
    return body.is_object() && body.contains(key) && body[key].is_object() ? body[key]
                                                                           : json::object();
  };
  auto printVars = [&](const json& vars, bool pretty) {
    for (auto it = vars.begin(); it != vars.end(); ++it) {
      std::string value = it->is_string() ? it->get<std::string>()
                          : pretty        ? it->dump(2)
                                          : it->dump();
      ui.say(it.key() + ": " + value);
      if (pretty) ui.newline();
    }
  };
  ui.say("System-Provided:");
  printVars(group("system_env_json"), true);
  printVars(group("application_env_json"), true);
  ui.say("User-Provided:");
  printVars(group("environment_variables"), false);
  ui.newline();
  ui.say("Running Environment Variable Groups:");
  printVars(group("running_env_json"), false);
  ui.newline();
  ui.say("Staging Environment Variable Groups:");
  printVars(group("staging_env_json"), false);
  return 0;
}

CLI::App* addNamed(CommandTable& table, const std::string& name, const std::string& description,
                   int (*run)(Context&, const AppOptions&), std::shared_ptr<AppOptions> options) {
  Context& context = table.context();
  CLI::App* command =
      table.add(name, description, [&context, run, options] { return run(context, *options); });
  command->add_option("APP_NAME", options->name, "The app")->required();
  return command;
}

}  // namespace

void addAppCommands(CommandTable& table) {
  Context& context = table.context();
  table.add("apps", "List all apps in the target space", [&context] { return apps(context); });

  addNamed(table, "app", "Display health and status for an app", appCommand,
           std::make_shared<AppOptions>());
  addNamed(table, "start", "Start an app (staging it first if it has no droplet)", startCommand,
           std::make_shared<AppOptions>());
  addNamed(table, "stop", "Stop an app", stopCommand, std::make_shared<AppOptions>());
  addNamed(table, "restart", "Stop all instances of the app, then start them again", restartCommand,
           std::make_shared<AppOptions>());
  addNamed(table, "restage", "Stage the app's newest package again, then restart it",
           restageCommand, std::make_shared<AppOptions>());

  auto scale = std::make_shared<AppOptions>();
  CLI::App* s = addNamed(table, "scale", "Change or view the instance count, disk or memory limit",
                         scaleCommand, scale);
  s->add_option("-i,--instances", scale->instances, "Number of instances");
  s->add_option("-m,--memory", scale->memory, "Memory limit (e.g. 256M, 1024M, 1G); restarts");
  s->add_option("-k,--disk", scale->disk, "Disk limit (e.g. 256M, 1024M, 1G); restarts");
  s->footer("Example:\n  foundry scale demo -i 3 -m 256M");

  auto remove = std::make_shared<AppOptions>();
  CLI::App* d = addNamed(table, "delete", "Delete an app", deleteCommand, remove);
  d->add_flag("-f,--force", remove->force, "Force deletion without confirmation");
  d->add_flag("-r", remove->delete_routes, "Also delete any mapped routes");
  d->footer("Example:\n  foundry delete demo -f -r");

  addNamed(table, "env", "Show all env variables for an app", envCommand,
           std::make_shared<AppOptions>());
}

}  // namespace foundry::cli
