#pragma once
// The desired LRP of one process (scheduler/PROTOCOL.md, DesiredLrp in scheduler/model/lrp.h),
// built from the controller's records. A pure function: the store reads live in
// desired_state.h, so this is unit-tested on plain structs.
//
// Naming follows Cloud Controller: process_guid = "<process guid>-<process version>", and the
// version changes whenever what a cell runs changes (command, health check, droplet), so such a
// change is a new LRP while instances and routes change in place.

#include <optional>
#include <string>
#include <vector>

#include "control/staging/staging_backend.h"
#include "control/store/store.h"
#include "scheduler/model/lrp.h"
#include "scheduler/model/task.h"

namespace foundry::control::scheduling {

// What the scheduler needs of the app's current droplet.
struct DropletInfo {
  std::string guid;
  std::string sha256;  // hex; "" when unknown (the cell then skips the check)
  // A docker droplet: the pinned image the cells pull, with the registry credentials.
  std::string docker_image;
  std::string docker_username;
  auth::Secret docker_password;
  bool isDocker() const { return !docker_image.empty(); }
};
DropletInfo dropletInfoOf(const Droplet& droplet);

// One route destination pointing at the process.
struct RouteBinding {
  std::string route_guid;
  std::string host;         // "" for a route on the bare domain
  std::string domain_name;  // "apps.internal"
  std::string path;         // "" or "/..."
  int64_t port = 8080;      // the destination's app port
  std::optional<int64_t> weight;  // the destination's weight 1..100, if it has one
  nlohmann::json options = nlohmann::json::object();  // the route's options (route_options.h)
  std::string route_service_url = {};  // the route's bound route service, "" for none
};

struct LrpInputs {
  App app;
  Process process;
  std::string space_name;
  std::string organization_guid, organization_name;
  DropletInfo droplet;
  std::vector<RouteBinding> routes;
  std::string internal_url;  // where cells reach the controller: "http://127.0.0.1:9022"
  std::string vcap_services = "{}";  // the app's VCAP_SERVICES (JSON text)
};

// "<process guid>-<version>".
std::string processGuidFor(const Process& process);
// "<internal_url>/internal/v1/droplets/<guid>/download".
std::string dropletUrl(const std::string& internal_url, const std::string& droplet_guid);
// "host.domain", or just the domain for an empty host.
std::string routeHostname(const std::string& host, const std::string& domain_name);
// The app's environment_variables (a JSON object kept as text) as strings: strings as they
// are, numbers and booleans in their JSON spelling, nulls left out. Bad text -> empty.
std::map<std::string, std::string> environmentOf(const std::string& environment_json);

sched::DesiredLrp buildDesiredLrp(const LrpInputs& in);

// The scheduler's task for a `cf run-task` task (domain cf-tasks, log source
// "APP/TASK/<name>"), run in `in.droplet` with the app's environment; the scheduler reports its
// end to <internal_url>/internal/v4/tasks/<guid>/completed. `in.process` and `in.routes` are
// not used.
sched::TaskDefinition buildTaskDefinition(const AppTask& task, const LrpInputs& in);

// The scheduler's task that stages a buildpack build on a cell (Diego's staging task: domain
// cf-app-staging, log source STG, task guid = build guid), with Diego's paths: the package
// downloaded to /tmp/app, the app's build cache (when it has one) to /tmp/cache, the stager
// from the cell's lifecycle folder (/tmp/lifecycle) writing /tmp/droplet.tgz, the new cache and
// /tmp/result.json (the task's result); the droplet and the cache uploaded to the controller,
// the end reported to <internal_url>/internal/v3/staging/<build>/build_completed. The stager
// stops itself after `timeout_s`. `in.process`, `in.routes` and `in.droplet` are not used.
sched::TaskDefinition buildStagingTaskDefinition(const StagingTask& task, const LrpInputs& in,
                                                 double timeout_s);

}  // namespace foundry::control::scheduling
