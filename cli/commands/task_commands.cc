// foundry run-task / tasks / terminate-task: one-off commands in an app's droplet, as the cf CLI
// v8 sends them (POST /v3/apps/:guid/tasks; GET /v3/apps/:guid/tasks?order_by=-created_at;
// GET /v3/apps/:guid/tasks?sequence_ids=N then POST /v3/tasks/:guid/actions/cancel).
#include <CLI/CLI.hpp>

#include "cli/commands/commands.h"
#include "cli/commands/lookups.h"
#include "cli/manifest/units.h"

namespace foundry::cli {

using nlohmann::json;

namespace {

struct RunTaskOptions {
  std::string app, command, name, memory, disk;
};

struct TaskOptions {
  std::string app;
  int sequence_id = 0;
};

int runTask(Context& context, const RunTaskOptions& options) {
  Ui& ui = context.ui();
  auto client = context.targetedClient();
  if (!client) return ui.failed(client.error());
  auto app = findApp(*client, context.config().space_guid, options.app);
  if (!app) return ui.failed(app.error());
  json body = {{"command", options.command}};
  if (!options.name.empty()) body["name"] = options.name;
  for (const auto& [flag, text, key] : {std::tuple{"-m", options.memory, "memory_in_mb"},
                                        std::tuple{"-k", options.disk, "disk_in_mb"}}) {
    if (text.empty()) continue;
    auto mb = parseMegabytes(text);
    if (!mb) return ui.failed(std::string("Incorrect Usage: ") + flag + ": " + mb.error());
    body[key] = *mb;
  }
  ui.say("Creating task for app " + options.app + " in " + context.where() + "...");
  auto created = client->post("/v3/apps/" + (*app)["guid"].get<std::string>() + "/tasks", body);
  if (!created) return ui.failed(created.error());
  ui.ok();
  ui.newline();
  ui.say("Task has been submitted successfully for execution.");
  ui.table({{"task name:", created->body.value("name", "")},
            {"task id:", std::to_string(created->body.value("sequence_id", 0))}});
  if (created->body.value("state", "") == "FAILED") {
    const json result = created->body.value("result", json::object());
    ui.warn("The task failed to start: " + result.value("failure_reason", std::string()));
    return 1;
  }
  return 0;
}

int listTasks(Context& context, const TaskOptions& options) {
  Ui& ui = context.ui();
  auto client = context.targetedClient();
  if (!client) return ui.failed(client.error());
  auto app = findApp(*client, context.config().space_guid, options.app);
  if (!app) return ui.failed(app.error());
  ui.say("Getting tasks for app " + options.app + " in " + context.where() + "...");
  ui.newline();
  auto tasks = client->listAll("/v3/apps/" + (*app)["guid"].get<std::string>() +
                               "/tasks?order_by=-created_at");
  if (!tasks) return ui.failed(tasks.error());
  if (tasks->empty()) {
    ui.say("No tasks found");
    return 0;
  }
  std::vector<std::vector<std::string>> rows = {{"id", "name", "state", "start time", "command"}};
  for (const auto& t : *tasks) {
    std::string state = t.value("state", "");
    const json result = t.value("result", json::object());
    if (result.is_object() && result.value("failure_reason", json()).is_string()) {
      state += " (" + result["failure_reason"].get<std::string>() + ")";
    }
    rows.push_back({std::to_string(t.value("sequence_id", 0)), t.value("name", ""), state,
                    t.value("created_at", ""), t.value("command", "")});
  }
  ui.table(rows);
  return 0;
}

int terminateTask(Context& context, const TaskOptions& options) {
  Ui& ui = context.ui();
  auto client = context.targetedClient();
  if (!client) return ui.failed(client.error());
  auto app = findApp(*client, context.config().space_guid, options.app);
  if (!app) return ui.failed(app.error());
  auto found = client->listAll("/v3/apps/" + (*app)["guid"].get<std::string>() +
                               "/tasks?sequence_ids=" + std::to_string(options.sequence_id));
  if (!found) return ui.failed(found.error());
  if (found->empty()) {
    return ui.failed("Task sequence ID " + std::to_string(options.sequence_id) + " not found.");
  }
  ui.say("Terminating task " + std::to_string(options.sequence_id) + " of app " + options.app +
         " in " + context.where() + "...");
  auto cancelled =
      client->post("/v3/tasks/" + (*found)[0].value("guid", "") + "/actions/cancel", json::object());
  if (!cancelled) return ui.failed(cancelled.error());
  ui.ok();
  return 0;
}

}  // namespace

void addTaskCommands(CommandTable& table) {
  Context& context = table.context();
  auto run = std::make_shared<RunTaskOptions>();
  CLI::App* r = table.add("run-task", "Run a one-off task on an app",
                          [&context, run] { return runTask(context, *run); });
  r->add_option("APP_NAME", run->app, "The app")->required();
  r->add_option("-c,--command", run->command, "The command to run")->required();
  r->add_option("--name", run->name, "Name the task (default: random)");
  r->add_option("-m", run->memory, "Memory limit (e.g. 256M, 1G)");
  r->add_option("-k", run->disk, "Disk limit (e.g. 256M, 1G)");

  auto list = std::make_shared<TaskOptions>();
  CLI::App* l = table.add("tasks", "List the tasks of an app",
                          [&context, list] { return listTasks(context, *list); });
  l->add_option("APP_NAME", list->app, "The app")->required();

  auto terminate = std::make_shared<TaskOptions>();
  CLI::App* t = table.add("terminate-task", "Terminate a running task of an app",
                          [&context, terminate] { return terminateTask(context, *terminate); });
  t->add_option("APP_NAME", terminate->app, "The app")->required();
  t->add_option("TASK_ID", terminate->sequence_id, "The task's id (from `foundry tasks`)")
      ->required();
}

}  // namespace foundry::cli
