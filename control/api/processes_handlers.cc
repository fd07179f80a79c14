// /v3/processes and /v3/apps/:guid/processes: read, scale, health check and command.
#include <chrono>

#include "control/api/api.h"
#include "control/api/body.h"
#include "control/api/presenters.h"
#include "control/scheduling/desired_lrp_builder.h"
#include "control/scheduling/process_stats.h"

namespace foundry::control {

using nlohmann::json;

namespace {
constexpr int64_t kMaxDiskInMb = 2048;  // CC's maximum_app_disk_in_mb default
constexpr int64_t kMaxInstances = 2000000;
constexpr int64_t kMaxHealthCheckTimeout = 180;
}  // namespace

ApiResponse Api::listAppProcesses(Ctx& c, const std::string& app_guid) {
  App app = requireApp(c, app_guid);
  c.query.allowOnly({"page", "per_page", "order_by", "types"});
  PageRequest page = readPageRequest(c.query, {"created_at", "updated_at"});
  auto processes = store_.listProcesses(app_guid);
  if (auto* types = c.query.find("types")) {
    std::erase_if(processes, [&](const Process& p) {
      return std::find(types->begin(), types->end(), p.type) == types->end();
    });
  }
  std::function<std::string(const Process&)> key = [&](const Process& p) {
    return page.order_by == "updated_at" ? p.updated_at : p.created_at;
  };
  std::function<json(const Process&)> present = [&](const Process& p) {
    return presentProcess(c.req.base_url, p, app.space_guid);
  };
  return {200,
          presentList(c.req.base_url, "/v3/apps/" + app_guid + "/processes", c.req.query, page,
                      std::move(processes), key, present),
          {}};
}

ApiResponse Api::getAppProcess(Ctx& c, const std::string& app_guid, const std::string& type) {
  App app = requireApp(c, app_guid);
  for (const auto& p : store_.listProcesses(app_guid)) {
    if (p.type == type) {
      return {200, presentProcess(c.req.base_url, p, app.space_guid), {}};
    }
  }
  throw notFound("Process");
}

ApiResponse Api::getProcess(Ctx& c, const std::string& guid) {
  auto p = store_.getProcess(guid);
  if (!p) throw notFound("Process");
  const App app = requireApp(c, p->app_guid, Access::Read, "Process");
  return {200, presentProcess(c.req.base_url, *p, app.space_guid), {}};
}

ApiResponse Api::scaleProcess(Ctx& c, Process p) {
  const App app = requireApp(c, p.app_guid, Access::Operate, "Process");
  json b = c.body();
  body::allowOnly(b, {"instances", "memory_in_mb", "disk_in_mb",
                      "log_rate_limit_in_bytes_per_second"});
  if (auto v = body::optInteger(b, "instances", "Instances")) {
    if (*v < 0) throw unprocessable("Instances must be greater than or equal to 0");
    if (*v > kMaxInstances) {
      throw unprocessable("Instances must be less than or equal to " +
                          std::to_string(kMaxInstances));
    }
    p.instances = *v;
  }
  if (auto v = body::optInteger(b, "memory_in_mb", "Memory in mb")) {
    if (*v <= 0) throw unprocessable("Memory in mb must be greater than 0");
    p.memory_in_mb = *v;
  }
  if (auto v = body::optInteger(b, "disk_in_mb", "Disk in mb")) {
    if (*v <= 0) throw unprocessable("Disk in mb must be greater than 0");
    if (*v > kMaxDiskInMb) {
      throw unprocessable("Disk in mb must be less than or equal to " +
                          std::to_string(kMaxDiskInMb));
    }
    p.disk_in_mb = *v;
  }
  if (auto v = body::optInteger(b, "log_rate_limit_in_bytes_per_second",
                                "Log rate limit in bytes per second")) {
    if (*v < -1) {
      throw unprocessable("Log rate limit in bytes per second must be greater than or equal to -1");
    }
    p.log_rate_limit_in_bytes_per_second = *v;
  }
  if (app.state == "STARTED") checkProcessQuota(*store_.getSpace(app.space_guid), p);
  p.updated_at = nowIso8601();
  if (store_.updateProcess(p) != WriteResult::Ok) throw notFound("Process");
  desiredStateChanged(p.app_guid);  // instances change in place; memory/disk at the next restart
  audit(c, "audit.app.process.scale", "app", app.guid, app.name, app.space_guid,
        {{"process_type", p.type}, {"request", b}});
  return {202, presentProcess(c.req.base_url, p, app.space_guid), {}};
}

ApiResponse Api::updateProcess(Ctx& c, const std::string& guid) {
  auto found = store_.getProcess(guid);
  if (!found) throw notFound("Process");
  requireApp(c, found->app_guid, Access::Write, "Process");
  Process p = *found;
  json b = c.body();
  body::allowOnly(b, {"command", "health_check"});
  bool changed_run = false;
  if (b.contains("command")) {
    if (b["command"].is_null()) {
      p.command.reset();
    } else if (b["command"].is_string() && !b["command"].get<std::string>().empty()) {
      p.command = b["command"].get<std::string>();
    } else {
      throw unprocessable("Command must be between 1 and 4096 characters");
    }
    changed_run = true;
  }
  if (b.contains("health_check")) {
    const json& hc = b["health_check"];
    if (!hc.is_object()) throw unprocessable("Health check must be an object");
    body::allowOnly(hc, {"type", "data"});
    std::string type = body::optString(hc, "type", "Health check type").value_or(p.health_check_type);
    if (type != "port" && type != "process" && type != "http") {
      throw unprocessable("Health check type must be \"port\", \"process\", or \"http\"");
    }
    if (type != "http") {
      p.health_check_endpoint.reset();
    }
    p.health_check_type = type;
    if (hc.contains("data")) {
      const json& d = hc["data"];
      if (!d.is_object()) throw unprocessable("Health check data must be an object");
      body::allowOnly(d, {"timeout", "invocation_timeout", "interval", "endpoint"});
      if (d.contains("timeout")) {
        auto v = body::optInteger(d, "timeout", "Health check timeout");
        if (v && (*v < 1 || *v > kMaxHealthCheckTimeout)) {
          throw unprocessable("Health check timeout must be between 1 and " +
                              std::to_string(kMaxHealthCheckTimeout));
        }
        p.health_check_timeout = v;
      }
      if (d.contains("invocation_timeout")) {
        auto v = body::optInteger(d, "invocation_timeout", "Health check invocation timeout");
        if (v && *v < 1) {
          throw unprocessable("Health check invocation timeout must be greater than or equal to 1");
        }
        p.health_check_invocation_timeout = v;
      }
      if (d.contains("interval")) {
        auto v = body::optInteger(d, "interval", "Health check interval");
        if (v && *v < 1) {
          throw unprocessable("Health check interval must be greater than or equal to 1");
        }
        p.health_check_interval = v;
      }
      if (d.contains("endpoint") && !d["endpoint"].is_null()) {
        if (type != "http") {
          throw unprocessable(
              "Health check type must be \"http\" to set a health check HTTP endpoint");
        }
        auto endpoint = body::optString(d, "endpoint", "Health check endpoint");
        if (endpoint->empty() || (*endpoint)[0] != '/') {
          throw unprocessable("Health check endpoint must be a valid URI path");
        }
        p.health_check_endpoint = endpoint;
      }
    }
    changed_run = true;
  }
  if (changed_run) {
    p.version = newGuid();  // what a cell runs changed
  }
  p.updated_at = nowIso8601();
  if (store_.updateProcess(p) != WriteResult::Ok) throw notFound("Process");
  if (changed_run) desiredStateChanged(p.app_guid);  // a new version: a new LRP
  auto app = store_.getApp(p.app_guid);
  return {200, presentProcess(c.req.base_url, p, app ? app->space_guid : ""), {}};
}

ApiResponse Api::processStats(Ctx& c, const Process& process) {
  c.query.allowOnly({});
  auto app = store_.getApp(process.app_guid);
  bool started = app && app->state == "STARTED";
  std::vector<sched::ActualLrp> actual;
  if (started) {
    // A stopped app is all DOWN without asking; a started one needs the scheduler.
    std::optional<std::vector<sched::ActualLrp>> answer;
    if (scheduling_.actual_lrps) {
      answer = scheduling_.actual_lrps(scheduling::processGuidFor(process));
    }
    if (!answer) {
      throw ApiError{503, 200002, "CF-StatsUnavailable", "Stats server temporarily unavailable."};
    }
    actual = std::move(*answer);
  }
  int64_t now_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
  return {200, scheduling::presentProcessStats(process, started, actual, now_ns), {}};
}

}  // namespace foundry::control
