#include "control/scheduling/desired_lrp_builder.h"

#include <algorithm>
#include <cmath>

#include "common/text/shell_word.h"

namespace foundry::control::scheduling {

namespace {
// Cloud Controller's defaults when a process leaves them null.
constexpr int kDefaultHealthCheckTimeoutS = 60;
constexpr int kDefaultInvocationTimeoutS = 1;
constexpr int kDefaultIntervalS = 30;

std::string withoutTrailingSlash(std::string url) {
  while (!url.empty() && url.back() == '/') url.pop_back();
  return url;
}

void describeApp(const LrpInputs& in, sched::TaskDefinition* t) {
  t->app_guid = in.app.guid;
  t->app_name = in.app.name;
  t->space_guid = in.app.space_guid;
  t->space_name = in.space_name;
  t->organization_guid = in.organization_guid;
  t->organization_name = in.organization_name;
}
}  // namespace

DropletInfo dropletInfoOf(const Droplet& d) {
  return {d.guid, d.sha256, d.docker_image, d.docker_username, d.docker_password};
}

std::string processGuidFor(const Process& process) {
  return process.guid + "-" + process.version;
}

std::string dropletUrl(const std::string& internal_url, const std::string& droplet_guid) {
  return withoutTrailingSlash(internal_url) + "/internal/v1/droplets/" + droplet_guid +
         "/download";
}

std::string routeHostname(const std::string& host, const std::string& domain_name) {
  return host.empty() ? domain_name : host + "." + domain_name;
}

std::map<std::string, std::string> environmentOf(const std::string& environment_json) {
  std::map<std::string, std::string> env;
  auto j = nlohmann::json::parse(environment_json, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return env;
  for (const auto& [key, value] : j.items()) {
    if (value.is_null()) continue;
    env[key] = value.is_string() ? value.get<std::string>() : value.dump();
  }
  return env;
}

sched::DesiredLrp buildDesiredLrp(const LrpInputs& in) {
  const Process& p = in.process;
  sched::DesiredLrp lrp;
  lrp.process_guid = processGuidFor(p);
  lrp.app_guid = in.app.guid;
  lrp.process_type = p.type;
  lrp.app_name = in.app.name;
  lrp.space_guid = in.app.space_guid;
  lrp.space_name = in.space_name;
  lrp.organization_guid = in.organization_guid;
  lrp.organization_name = in.organization_name;
  lrp.instances = static_cast<int>(p.instances);
  lrp.memory_mb = static_cast<int>(p.memory_in_mb);
  lrp.disk_mb = static_cast<int>(p.disk_in_mb);
  if (in.droplet.isDocker()) {  // the cells pull the pinned image instead of a droplet
    lrp.docker_image = in.droplet.docker_image;
    lrp.docker_username = in.droplet.docker_username;
    lrp.docker_password = in.droplet.docker_password;
  } else {
    lrp.droplet_guid = in.droplet.guid;
    lrp.droplet_url = dropletUrl(in.internal_url, in.droplet.guid);
    lrp.droplet_sha256 = in.droplet.sha256;
  }
  lrp.start_command = p.command.value_or("");  // "": the droplet's own start command
  lrp.environment = environmentOf(in.app.environment_variables);
  lrp.environment["VCAP_SERVICES"] = in.vcap_services;  // user variables cannot be VCAP_*

  lrp.health_check.type = p.health_check_type;
  lrp.health_check.endpoint =
      p.health_check_type == "http" ? p.health_check_endpoint.value_or("/") : "/";
  lrp.health_check.timeout_s =
      static_cast<int>(p.health_check_timeout.value_or(kDefaultHealthCheckTimeoutS));
  lrp.health_check.invocation_timeout_s =
      static_cast<int>(p.health_check_invocation_timeout.value_or(kDefaultInvocationTimeoutS));
  lrp.health_check.interval_s =
      static_cast<int>(p.health_check_interval.value_or(kDefaultIntervalS));

  for (const auto& r : in.routes) {
    sched::RouteSpec spec{routeHostname(r.host, r.domain_name), r.path, r.route_guid,
                          static_cast<int>(r.port), r.route_service_url};
    spec.weight = static_cast<int>(r.weight.value_or(0));
    spec.options = r.options.is_object() ? r.options : nlohmann::json::object();
    // Two destinations of one route to the same process are one route for the router (an
    // instance has one port): the first one counts.
    auto same_route = [&](const sched::RouteSpec& s) {
      return s.hostname == spec.hostname && s.path == spec.path;
    };
    if (std::none_of(lrp.routes.begin(), lrp.routes.end(), same_route)) {
      lrp.routes.push_back(std::move(spec));
    }
  }
  return lrp;
}

sched::TaskDefinition buildTaskDefinition(const AppTask& task, const LrpInputs& in) {
  sched::TaskDefinition t;
  t.task_guid = task.guid;
  t.domain = "cf-tasks";
  describeApp(in, &t);
  t.log_source = "APP/TASK/" + task.name;
  t.memory_mb = static_cast<int>(task.memory_in_mb);
  t.disk_mb = static_cast<int>(task.disk_in_mb);
  t.command = task.command;
  t.environment = environmentOf(in.app.environment_variables);
  t.environment["VCAP_SERVICES"] = in.vcap_services;
  if (in.droplet.isDocker()) {
    t.docker_image = in.droplet.docker_image;
    t.docker_username = in.droplet.docker_username;
    t.docker_password = in.droplet.docker_password;
  } else {
    t.droplet_guid = in.droplet.guid;
    t.droplet_url = dropletUrl(in.internal_url, in.droplet.guid);
    t.droplet_sha256 = in.droplet.sha256;
  }
  t.completion_callback_url =
      withoutTrailingSlash(in.internal_url) + "/internal/v4/tasks/" + task.guid + "/completed";
  return t;
}

sched::TaskDefinition buildStagingTaskDefinition(const StagingTask& task, const LrpInputs& in,
                                                 double timeout_s) {
  using text::shellWord;
  sched::TaskDefinition t;
  t.task_guid = task.build_guid;
  t.domain = "cf-app-staging";
  describeApp(in, &t);
  t.log_source = "STG";
  t.memory_mb = task.memory_mb;
  t.disk_mb = task.disk_mb;
  // In a container the task's /tmp is /tmp and the lifecycle folder is at /tmp/lifecycle; on
  // a cell with --isolation none both are host folders: /tmp is then $TMPDIR (where the
  // downloads land) and LIFECYCLE_DIR names the folder. One command serves both.
  std::string command =
      "T=/tmp; [ \"$LIFECYCLE_DIR\" = /tmp/lifecycle ] || T=\"$TMPDIR\"; "
      "exec \"$LIFECYCLE_DIR/stager\" --app \"$T/app\" --droplet \"$T/droplet.tgz\""
      " --cache \"$T/cache\" --output-cache \"$T/output-cache.tgz\" --result \"$T/result.json\""
      " --system-buildpacks \"$LIFECYCLE_DIR/buildpacks\" --timeout " +
      std::to_string(static_cast<long long>(std::ceil(timeout_s)));
  if (!task.stack.empty()) command += " --stack " + shellWord(task.stack);
  for (const auto& bp : task.buildpacks) command += " -b " + shellWord(bp);
  t.command = command;
  // The app's variables and VCAP_SERVICES reach the buildpacks through the task's environment
  // (the stager passes its own on), as on Diego.
  for (const auto& [name, value] : task.environment) t.environment[name] = value;
  const std::string base = withoutTrailingSlash(in.internal_url);
  t.downloads = {{.artifact = "app package",
                  .url = base + "/internal/v1/packages/" + task.package_guid + "/download",
                  .sha256 = task.package_sha256,
                  .to = "/tmp/app",
                  .extract = true,
                  .optional = false},
                 {.artifact = "build artifacts cache",
                  .url = base + "/internal/v1/apps/" + task.app_guid + "/buildpack_cache",
                  .sha256 = "",
                  .to = "/tmp/cache",
                  .extract = true,
                  .optional = true}};
  const std::string build = base + "/internal/v1/builds/" + task.build_guid;
  t.uploads = {{.artifact = "droplet",
                .from = "/tmp/droplet.tgz",
                .url = build + "/droplet",
                .optional = false},
               {.artifact = "build artifacts cache",
                .from = "/tmp/output-cache.tgz",
                .url = build + "/buildpack_cache",
                .optional = true}};
  t.result_file = "/tmp/result.json";
  t.completion_callback_url =
      base + "/internal/v3/staging/" + task.build_guid + "/build_completed";
  return t;
}

}  // namespace foundry::control::scheduling
