#include "cli/commands/app_lifecycle.h"

#include <cstdio>
#include <ctime>
#include <thread>

#include "cli/commands/lookups.h"
#include "cli/logs/log_lines.h"
#include "cli/manifest/units.h"

namespace foundry::cli {

using nlohmann::json;
using namespace std::chrono_literals;

namespace {

std::string stringOr(const json& object, const char* key, const std::string& fallback = "") {
  if (!object.is_object()) return fallback;
  auto it = object.find(key);
  return it != object.end() && it->is_string() ? it->get<std::string>() : fallback;
}

double numberOr(const json& object, const char* key, double fallback = 0) {
  if (!object.is_object()) return fallback;
  auto it = object.find(key);
  return it != object.end() && it->is_number() ? it->get<double>() : fallback;
}

// Prints staging log lines (the message only, indented, as cf push does).
void printStagingLines(Context& context, std::vector<LogLine> lines) {
  for (const auto& line : lines) {
    std::string message = line.message;
    while (!message.empty() && (message.back() == '\n' || message.back() == '\r')) {
      message.pop_back();
    }
    context.ui().say("   " + message);
  }
}

}  // namespace

Result<std::string> stagePackage(Context& context, const CcClient& client,
                                 const std::string& app_name, const std::string& app_guid,
                                 const std::string& package_guid,
                                 const std::vector<std::string>& buildpacks,
                                 std::chrono::seconds timeout) {
  using R = Result<std::string>;
  json body = {{"package", {{"guid", package_guid}}}};
  if (!buildpacks.empty()) {
    body["lifecycle"] = {{"type", "buildpack"}, {"data", {{"buildpacks", buildpacks}}}};
  }
  // Logs are read from slightly before the build so its first lines are not missed.
  LogCursor cursor(nowNanos() - 2'000'000'000LL);
  auto created = client.post("/v3/builds", body);
  if (!created) return R::fail(created.error());
  std::string build_guid = stringOr(created->body, "guid");
  if (build_guid.empty()) return R::fail("The API answered a build without a guid");
  CcClient logs = context.logCache(client);
  bool streaming = true;
  auto pump = [&] {
    if (!streaming) return;
    auto lines = readLogs(logs, app_guid, cursor.startTime());
    if (!lines) {
      streaming = false;  // no log endpoint: stage without logs, as cf does
      return;
    }
    printStagingLines(context, cursor.fresh(std::move(*lines)));
  };
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    auto build = client.get("/v3/builds/" + build_guid);
    if (!build) return R::fail(build.error());
    std::string state = stringOr(build->body, "state");
    pump();
    if (state == "STAGED") {
      const json droplet = build->body.value("droplet", json());
      std::string droplet_guid = stringOr(droplet, "guid");
      if (droplet_guid.empty())
        return R::fail("Build " + build_guid + " is STAGED without a droplet");
      return R::ok(droplet_guid);
    }
    if (state == "FAILED") {
      std::string error = stringOr(build->body, "error", "staging failed");
      return R::fail("Stager error: " + error + "\n\nTIP: Use 'foundry logs " + app_name +
                     " --recent' for more information");
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      return R::fail("Timed out waiting for build " + build_guid + " to stage (state " + state +
                     ")");
    }
    std::this_thread::sleep_for(300ms);
  }
}

Result<json> newestReadyPackage(const CcClient& client, const std::string& app_guid) {
  auto package = client.first("/v3/packages?app_guids=" + app_guid +
                              "&states=READY&order_by=-created_at&per_page=1");
  if (!package) return package;
  if (package->is_null()) {
    return Result<json>::fail("App has no uploaded package: push it first ('foundry push').");
  }
  return package;
}

std::chrono::seconds startTimeout(const CcClient& client, const std::string& app_guid) {
  auto process = webProcess(client, app_guid);
  int health = 60;
  if (process && process->is_object() && process->contains("health_check")) {
    const json& data = (*process)["health_check"].value("data", json::object());
    if (data.is_object() && data.contains("timeout") && data["timeout"].is_number_integer()) {
      health = data["timeout"].get<int>();
    }
  }
  return std::chrono::seconds(health + 60);
}

Status waitForInstances(Context& context, const CcClient& client, const std::string& app_name,
                        const std::string& app_guid, std::chrono::seconds timeout) {
  auto processes = client.listAll("/v3/apps/" + app_guid + "/processes");
  if (!processes) return Status::fail(processes.error());
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (const auto& process : *processes) {
    int wanted = process.value("instances", 0);
    if (wanted <= 0) continue;
    std::string guid = stringOr(process, "guid");
    std::string type = stringOr(process, "type", "web");
    std::string last_seen;
    while (true) {
      auto reply = client.sendRaw("GET", "/v3/processes/" + guid + "/stats", "", "", 10000);
      if (!reply) return Status::fail(reply.error());
      if (reply->status == 404) {
        context.ui().warn("This API has no process stats yet; not waiting for instances to run.");
        return okStatus();
      }
      if (reply->status < 200 || reply->status >= 300) {
        return Status::fail(errorMessage(reply->status, reply->body.dump()));
      }
      int running = 0;
      int crashed = 0;
      int total = 0;
      const json resources = reply->body.value("resources", json::array());
      for (const auto& instance : resources) {
        ++total;
        std::string state = stringOr(instance, "state");
        if (state == "RUNNING") ++running;
        if (state == "CRASHED") ++crashed;
      }
      std::string now = std::to_string(running) + " of " + std::to_string(wanted) + " running";
      if (now != last_seen) {
        context.ui().say("   " + type + ": " + now);
        last_seen = now;
      }
      if (running >= wanted) break;
      const std::string tip =
          "\n\nTIP: use 'foundry logs " + app_name + " --recent' for more information";
      if (total > 0 && crashed == total) {
        return Status::fail("Start unsuccessful: every " + type + " instance crashed" + tip);
      }
      if (std::chrono::steady_clock::now() >= deadline) {
        return Status::fail("Start app timeout (" + std::to_string(timeout.count()) +
                            " s): " + now + tip);
      }
      std::this_thread::sleep_for(500ms);
    }
  }
  return okStatus();
}

Status restartApp(Context& context, const CcClient& client, const json& app) {
  std::string guid = stringOr(app, "guid");
  if (stringOr(app, "state") == "STARTED") {
    auto stopped = client.post("/v3/apps/" + guid + "/actions/stop", json::object());
    if (!stopped) return Status::fail(stopped.error());
  }
  auto started = client.post("/v3/apps/" + guid + "/actions/start", json::object());
  if (!started) return Status::fail(started.error());
  context.ui().newline();
  context.ui().say("Waiting for app " + stringOr(app, "name") + " to start...");
  context.ui().newline();
  return waitForInstances(context, client, stringOr(app, "name"), guid, startTimeout(client, guid));
}

std::string sinceText(double uptime_seconds) {
  time_t since = std::time(nullptr) - static_cast<time_t>(uptime_seconds);
  std::tm utc{};
  gmtime_r(&since, &utc);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &utc);
  return text;
}

void printAppSummary(Context& context, const CcClient& client, const json& app) {
  Ui& ui = context.ui();
  std::string guid = stringOr(app, "guid");
  std::string state = stringOr(app, "state", "STOPPED");
  std::string requested = state == "STARTED" ? "started" : "stopped";
  std::string routes_text;
  auto domains = listDomains(client);
  if (domains) {
    auto urls = appRouteUrls(client, guid, domainNames(*domains));
    if (urls) {
      for (const auto& u : *urls) routes_text += (routes_text.empty() ? "" : ", ") + u;
    }
  }
  std::string last_uploaded;
  std::string stack;
  std::string buildpacks;
  json process_types = json::object();  // the droplet's detected start commands
  auto droplet = client.sendRaw("GET", "/v3/apps/" + guid + "/droplets/current", "", "", 10000);
  if (droplet && droplet->status == 200 && droplet->body.is_object()) {
    last_uploaded = stringOr(droplet->body, "created_at");
    stack = stringOr(droplet->body, "stack");
    if (droplet->body.contains("process_types") && droplet->body["process_types"].is_object()) {
      process_types = droplet->body["process_types"];
    }
    for (const auto& bp : droplet->body.value("buildpacks", json::array())) {
      std::string name = stringOr(bp, "buildpack_name", stringOr(bp, "name"));
      if (!name.empty()) buildpacks += (buildpacks.empty() ? "" : ", ") + name;
    }
  }
  if (buildpacks.empty() && app.contains("lifecycle") && app["lifecycle"].is_object()) {
    for (const auto& bp :
         app["lifecycle"].value("data", json::object()).value("buildpacks", json::array())) {
      if (bp.is_string()) buildpacks += (buildpacks.empty() ? "" : ", ") + bp.get<std::string>();
    }
  }
  ui.keyValues({{"name", stringOr(app, "name")},
                {"requested state", requested},
                {"routes", routes_text},
                {"last uploaded", last_uploaded},
                {"stack", stack},
                {"buildpacks", buildpacks}});
  auto processes = client.listAll("/v3/apps/" + guid + "/processes");
  if (!processes) {
    ui.warn(processes.error());
    return;
  }
  for (const auto& process : *processes) {
    ui.newline();
    int wanted = process.value("instances", 0);
    int64_t memory_mb = static_cast<int64_t>(numberOr(process, "memory_in_mb"));
    int64_t disk_mb = static_cast<int64_t>(numberOr(process, "disk_in_mb"));
    std::vector<std::vector<std::string>> rows = {
        {"", "state", "since", "cpu", "memory", "disk", "details"}};
    int running = 0;
    std::string stats_error;
    if (state == "STARTED" && wanted > 0) {
      auto stats = client.sendRaw("GET", "/v3/processes/" + stringOr(process, "guid") + "/stats",
                                  "", "", 10000);
      if (!stats) {
        stats_error = stats.error();
      } else if (stats->status != 200) {
        stats_error = stats->status == 404 ? "instance stats are not available from this API"
                                           : errorMessage(stats->status, stats->body.dump());
      } else {
        for (const auto& instance : stats->body.value("resources", json::array())) {
          std::string instance_state = stringOr(instance, "state", "DOWN");
          if (instance_state == "RUNNING") ++running;
          for (auto& c : instance_state) c = static_cast<char>(std::tolower(c));
          const json usage = instance.value("usage", json::object());
          char cpu[16];
          std::snprintf(cpu, sizeof cpu, "%.1f%%", numberOr(usage, "cpu") * 100);
          double mem_quota =
              numberOr(instance, "mem_quota", static_cast<double>(memory_mb) * 1048576);
          double disk_quota =
              numberOr(instance, "disk_quota", static_cast<double>(disk_mb) * 1048576);
          std::string details = instance.contains("details") && instance["details"].is_string()
                                    ? instance["details"].get<std::string>()
                                    : "";
          std::string index = instance.contains("index") && instance["index"].is_number()
                                  ? std::to_string(instance["index"].get<int>())
                                  : "?";
          rows.push_back(
              {"#" + index, instance_state,
               instance_state == "running" ? sinceText(numberOr(instance, "uptime")) : "", cpu,
               formatBytes(numberOr(usage, "mem")) + " of " + formatBytes(mem_quota),
               formatBytes(numberOr(usage, "disk")) + " of " + formatBytes(disk_quota), details});
        }
      }
    }
    std::string command = process.contains("command") && process["command"].is_string()
                              ? process["command"].get<std::string>()
                              : "";
    if (command.empty())
      command = stringOr(process_types, stringOr(process, "type", "web").c_str());
    ui.keyValues({{"type", stringOr(process, "type", "web")},
                  {"instances", std::to_string(running) + "/" + std::to_string(wanted)},
                  {"memory usage", formatMegabytes(memory_mb)},
                  {"start command", command}});
    if (!stats_error.empty()) {
      ui.say("(" + stats_error + ")");
    } else if (rows.size() > 1) {
      ui.table(rows);
    } else {
      ui.say("There are no running instances of this process.");
    }
  }
}

}  // namespace foundry::cli
