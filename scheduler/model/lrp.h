#pragma once
// The shapes the controller, the scheduler and the cells exchange (scheduler/PROTOCOL.md):
// Diego's DesiredLRP / ActualLRP / cell state, trimmed to what we run. Every struct converts to
// and from JSON with nlohmann's ADL hooks; a missing field takes its default, a field of the
// wrong type throws nlohmann::json::exception (callers answer 400/422 with its what()).
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/auth/secret.h"
#include "scheduler/model/task.h"

namespace foundry::auth {
void to_json(nlohmann::json& j, const Secret& s);
void from_json(const nlohmann::json& j, Secret& s);
}  // namespace foundry::auth

namespace foundry::sched {

struct HealthCheck {
  std::string type = "port";       // port | http | process
  std::string endpoint = "/";      // http only
  int timeout_s = 60;              // startup timeout (CC's health_check.data.timeout)
  int invocation_timeout_s = 1;    // one probe's timeout
  int interval_s = 30;             // liveness interval once healthy
};

struct RouteSpec {
  std::string hostname;            // fully qualified, e.g. demo.apps.internal
  std::string path;                // "" or "/segment..."
  std::string route_guid;
  int port = 8080;                 // the destination's app port (informational: one port per instance)
  // "" = none; else the router sends the route's traffic there. (`= {}`: initializers that
  // predate the field may leave it out without a -Wmissing-field-initializers warning.)
  std::string route_service_url = {};
  int weight = 0;                  // the destination's weight 1..100; 0: unweighted
  // The route's options for the router (loadbalancing, path_regex, health_check), sent as the
  // register message's "options" with "weight" added.
  nlohmann::json options = nlohmann::json::object();
  bool operator==(const RouteSpec&) const = default;
};

struct DesiredLrp {
  std::string process_guid;        // "<process guid>-<version>"
  std::string app_guid;
  std::string process_type = "web";
  std::string app_name;
  std::string space_guid, space_name, organization_guid, organization_name;
  int instances = 1;
  int memory_mb = 1024;
  int disk_mb = 1024;
  std::string droplet_guid, droplet_url, droplet_sha256;
  std::string start_command;       // "" = the droplet's own (a Docker image's entrypoint + cmd)
  // A Docker image instead of a droplet (the droplet fields stay empty): the cell pulls it from
  // its registry and runs it (scheduler/cell/README.md "Docker images"). The credentials go to
  // the cell with the work and are never logged.
  std::string docker_image;        // e.g. "registry.example.com/team/app@sha256:..."
  std::string docker_username;
  auth::Secret docker_password;
  std::map<std::string, std::string> environment;
  HealthCheck health_check;
  std::vector<RouteSpec> routes;
  std::vector<std::string> placement_tags;
  std::string annotation;
};

// Fields of a stored LRP that may change in place (Diego: instances, routes, annotation).
// Returns the name of the first other field that differs, or "" when the update is allowed.
std::string immutableFieldChanged(const DesiredLrp& stored, const DesiredLrp& update);
// "" when valid, else a message naming the field ("instances must be >= 0").
std::string validate(const DesiredLrp& lrp);

enum class LrpState { kUnclaimed, kClaimed, kRunning, kCrashed };
std::string_view toString(LrpState state);
bool parseLrpState(std::string_view text, LrpState* out);

struct ActualLrp {
  std::string process_guid;
  int index = 0;
  std::string instance_guid;
  std::string cell_id;
  std::string address;
  int port = 0;
  LrpState state = LrpState::kUnclaimed;
  int64_t since_ns = 0;
  int crash_count = 0;
  std::string crash_reason;
  std::string placement_error;
  std::string zone;
};

struct Resources {
  int memory_mb = 0;
  int disk_mb = 0;
  int containers = 0;
};

struct CellPresence {
  std::string cell_id;
  std::string rep_url;             // http://host:port of the cell's API
  std::string zone;
  std::vector<std::string> placement_tags;
  std::vector<std::string> optional_placement_tags;
  Resources total;
};

struct CellLrp {
  std::string process_guid;
  int index = 0;
  std::string instance_guid;
  LrpState state = LrpState::kClaimed;
  int memory_mb = 0;
  int disk_mb = 0;
  // Where a RUNNING instance listens (as in its start report), so a restarted scheduler can
  // adopt and route it from /state alone. Optional: 0 / "" when unknown.
  std::string address;
  int port = 0;
};

struct CellState {
  std::string cell_id;
  std::string zone;
  bool evacuating = false;
  std::vector<std::string> placement_tags;
  std::vector<std::string> optional_placement_tags;
  Resources total;
  Resources available;
  int starting_container_count = 0;
  std::vector<CellLrp> lrps;
  // The tasks it runs, and completed ones it has not yet reported. (`= {}`: initializers that
  // predate the field may leave it out.)
  std::vector<CellTask> tasks = {};
};

struct LrpStart {
  DesiredLrp desired;
  int index = 0;
  std::string instance_guid;
};

struct Work {
  std::vector<LrpStart> lrps;
  std::vector<TaskDefinition> tasks = {};
};

struct WorkResult {
  std::vector<LrpStart> failed;
  std::vector<std::string> failed_tasks = {};  // task_guids of the tasks it could not take
};

struct InstanceReport {
  std::string process_guid;
  int index = 0;
  std::string instance_guid;
  std::string cell_id;
  std::string address;
  int port = 0;
  std::string crash_reason;
};

struct LogLine {
  int64_t timestamp_ns = 0;
  std::string app_guid;
  std::string source_type;         // APP/PROC/WEB, CELL, STG
  std::string instance_index;      // "0"; "" for staging
  std::string message_type = "OUT";  // OUT | ERR
  std::string message;
};

void to_json(nlohmann::json& j, const LrpState& v);
void from_json(const nlohmann::json& j, LrpState& v);

#define FOUNDRY_SCHED_JSON(Type, ...)                      \
  void to_json(nlohmann::json& j, const Type& v);          \
  void from_json(const nlohmann::json& j, Type& v);
FOUNDRY_SCHED_JSON(HealthCheck)
FOUNDRY_SCHED_JSON(RouteSpec)
FOUNDRY_SCHED_JSON(DesiredLrp)
FOUNDRY_SCHED_JSON(ActualLrp)
FOUNDRY_SCHED_JSON(Resources)
FOUNDRY_SCHED_JSON(CellPresence)
FOUNDRY_SCHED_JSON(CellLrp)
FOUNDRY_SCHED_JSON(CellState)
FOUNDRY_SCHED_JSON(LrpStart)
FOUNDRY_SCHED_JSON(Work)
FOUNDRY_SCHED_JSON(WorkResult)
FOUNDRY_SCHED_JSON(InstanceReport)
FOUNDRY_SCHED_JSON(LogLine)
#undef FOUNDRY_SCHED_JSON

}  // namespace foundry::sched
