// Builds: POST /v3/builds starts staging a READY package through the StagingBackend (off the
// event loop); finishStaging() records the outcome when the backend reports back.
#include "control/api/api.h"
#include "control/services/vcap_services.h"
#include "control/api/body.h"
#include "control/api/presenters.h"
#include "control/logs/log_buffer.h"
#include "control/staging/staging_backend.h"
#include "common/log/log.h"

namespace foundry::control {

using nlohmann::json;

namespace {

int64_t stagingSize(const json& b, const char* key, const char* label) {
  auto v = body::optInteger(b, key, label);
  if (!v) return 1024;
  if (*v < 1 || *v > 64 * 1024) {
    throw unprocessable(std::string(label) + " must be between 1 and 65536");
  }
  return *v;
}

}  // namespace

void Api::stagingLog(const std::string& app_guid, const std::string& message, bool is_error) {
  if (!staging_.logs) return;
  sched::LogLine line;
  line.timestamp_ns = nowNs();
  line.app_guid = app_guid;
  line.source_type = "STG";
  line.instance_index = "0";
  line.message_type = is_error ? "ERR" : "OUT";
  line.message = message;
  staging_.logs->append(std::move(line));
}

ApiResponse Api::createBuild(Ctx& c) {
  json b = c.body();
  body::allowOnly(b, {"package", "lifecycle", "staging_memory_in_mb", "staging_disk_in_mb",
                      "staging_log_rate_limit_bytes_per_second", "metadata"});
  if (!b.contains("package") || !b["package"].is_object() || !b["package"].contains("guid") ||
      !b["package"]["guid"].is_string()) {
    throw unprocessable("Package guid must be a string");
  }
  auto package = store_.getPackage(b["package"]["guid"].get<std::string>());
  auto owner = package ? store_.getApp(package->app_guid) : std::nullopt;
  auto owner_space = owner ? store_.getSpace(owner->space_guid) : std::nullopt;
  if (!owner_space || !c.can().canReadSpace(*owner_space)) {
    throw unprocessable(
        "Unable to use package. Ensure that the package exists and you have access to it.");
  }
  App app = requireApp(c, package->app_guid, Access::Write);

  Build build;
  build.buildpacks = app.buildpacks;
  build.stack = app.stack;
  build.lifecycle_type = package->type == "docker" ? "docker" : "buildpack";
  if (b.contains("lifecycle")) {
    const json& l = b["lifecycle"];
    if (!l.is_object()) throw unprocessable("Lifecycle must be an object");
    if (l.contains("type") && l["type"] != build.lifecycle_type) {
      throw unprocessable("Lifecycle type must be " + build.lifecycle_type + " for a " +
                          package->type + " package");
    }
    if (l.contains("data")) {
      const json& d = l["data"];
      if (!d.is_object()) throw unprocessable("Lifecycle data must be an object");
      if (d.contains("buildpacks")) {
        if (!d["buildpacks"].is_array()) throw unprocessable("Buildpacks must be an array");
        build.buildpacks.clear();
        for (const auto& bp : d["buildpacks"]) {
          if (!bp.is_string() || bp.get<std::string>().empty()) {
            throw unprocessable("Buildpacks can only contain non-empty strings");
          }
          build.buildpacks.push_back(bp.get<std::string>());
        }
      }
      if (d.contains("stack")) {
        if (!d["stack"].is_string()) throw unprocessable("Stack must be a string");
        build.stack = d["stack"].get<std::string>();
      }
    }
  }
  if (build.lifecycle_type == "docker") {  // a docker build runs no buildpack on no stack
    build.buildpacks.clear();
    build.stack.clear();
  }
  build.staging_memory_in_mb = stagingSize(b, "staging_memory_in_mb", "Staging memory in mb");
  build.staging_disk_in_mb = stagingSize(b, "staging_disk_in_mb", "Staging disk in mb");

  // CC checks staging-in-progress before the package state.
  if (!store_.listBuilds({{}, {app.guid}, {}, {"STAGING"}, {}}).empty()) {
    throw ApiError{422, 170017, "CF-StagingInProgress",
                   "Only one build can be STAGING at a time per application."};
  }
  if (package->state != "READY" || (package->type == "bits" && !package->sha256)) {
    throw ApiError{400, 1004, "CF-BadRequest",
                   "Bad request: Cannot stage package whose state is not ready."};
  }

  const std::string now = nowIso8601();
  build.guid = newGuid();
  build.app_guid = app.guid;
  build.package_guid = package->guid;
  build.state = "STAGING";
  build.created_at = build.updated_at = now;
  if (store_.createBuild(build) != WriteResult::Ok) throw notFound("App");
  log::info("controller", "build-created",
            {{"build", build.guid}, {"app", app.guid}, {"package", package->guid}});

  StagingTask task;
  task.build_guid = build.guid;
  task.app_guid = app.guid;
  task.package_guid = package->guid;
  task.package_sha256 = package->sha256.value_or("");
  task.memory_mb = static_cast<int>(build.staging_memory_in_mb);
  task.disk_mb = static_cast<int>(build.staging_disk_in_mb);
  if (package->type == "docker") {
    task.docker = DockerSource{package->docker_image, package->docker_username,
                               package->docker_password};
    for (const Process& p : store_.listProcesses(app.guid)) {
      if (p.type == "web" && p.command) task.web_command = *p.command;
    }
  }
  task.buildpacks = build.buildpacks;
  task.stack = build.stack;
  json env = json::parse(app.environment_variables, nullptr, false);
  if (env.is_object()) {
    for (const auto& [k, v] : env.items()) {
      task.environment.emplace_back(k, v.is_string() ? v.get<std::string>() : v.dump());
    }
  }
  // Buildpacks may read the bindings (A.9 staging order: VCAP_SERVICES last).
  task.environment.emplace_back("VCAP_SERVICES", services::vcapServices(store_, app.guid).dump());
  if (staging_.stager && (staging_.blobs || task.docker)) {  // an image needs no blobstore
    staging_.stager->stage(task);
  } else {
    StagingResult r;
    r.build_guid = build.guid;
    r.app_guid = app.guid;
    r.exit_code = 1;
    r.error = "StagingError - Staging error: staging is not configured on this controller";
    finishStaging(r);
  }
  return {201, presentBuild(c.req.base_url, build), {}};
}

void Api::finishStaging(const StagingResult& r) {
  auto found = store_.getBuild(r.build_guid);
  if (!found || found->state != "STAGING") {
    log::warn("controller", "staging-result-ignored",
              {{"build", r.build_guid}, {"reason", found ? "build not STAGING" : "build gone"}});
    return;
  }
  Build build = *found;
  const std::string now = nowIso8601();
  build.updated_at = now;
  std::optional<Droplet> droplet;
  if (r.ok) {
    Droplet d;
    d.guid = newGuid();
    d.app_guid = build.app_guid;
    d.package_guid = build.package_guid;
    d.build_guid = build.guid;
    d.state = "STAGED";
    d.process_types = r.process_types.is_object() ? r.process_types.dump() : "{}";
    d.sha256 = r.droplet_sha256;
    d.buildpacks = r.buildpacks.is_array() ? r.buildpacks.dump() : "[]";
    d.start_command = r.start_command;
    d.stack = build.stack;
    if (build.lifecycle_type == "docker") {
      auto package = store_.getPackage(build.package_guid);
      d.stack.clear();
      d.docker_image = r.docker_image;
      d.docker_username = package ? package->docker_username : "";
      d.docker_password = package ? package->docker_password : auth::Secret();
      d.execution_metadata = r.execution_metadata;
    }
    d.created_at = d.updated_at = now;
    build.state = "STAGED";
    build.droplet_guid = d.guid;
    droplet = std::move(d);
  } else {
    build.state = "FAILED";
    build.error = r.error.empty() ? "StagingError - Staging error: unknown" : r.error;
    stagingLog(build.app_guid, "Staging failed: " + *build.error, true);
  }
  WriteResult w = store_.finishBuild(build, droplet);
  log::info("controller", "build-finished",
            {{"build", build.guid}, {"app", build.app_guid}, {"state", build.state},
             {"stored", w == WriteResult::Ok ? "true" : "false"}});
}

int Api::failInterruptedBuilds() {
  const std::string error = "StagingError - controller restarted";
  if (!staging_.staging_tasks) return store_.failStagingBuilds(error, nowIso8601());
  int failed = 0;
  BuildFilter open;
  open.states = {"STAGING"};
  for (const Build& build : store_.listBuilds(open)) {
    if (build.lifecycle_type == "buildpack") continue;  // its task goes on on a cell
    StagingResult r;
    r.build_guid = build.guid;
    r.app_guid = build.app_guid;
    r.error = error;
    finishStaging(r);
    ++failed;
  }
  return failed;
}

ApiResponse Api::getBuild(Ctx& c, const std::string& guid) {
  auto b = store_.getBuild(guid);
  if (!b) throw notFound("Build");
  requireApp(c, b->app_guid, Access::Read, "Build");
  return {200, presentBuild(c.req.base_url, *b), {}};
}

ApiResponse Api::listBuilds(Ctx& c, const std::string& app_guid) {
  if (!app_guid.empty()) requireApp(c, app_guid);
  c.query.allowOnly({"guids", "app_guids", "package_guids", "states", "page", "per_page",
                     "order_by"});
  PageRequest page = readPageRequest(c.query, {"created_at", "updated_at"});
  BuildFilter f;
  if (auto* v = c.query.find("guids")) f.guids = *v;
  if (auto* v = c.query.find("app_guids")) f.app_guids = *v;
  if (auto* v = c.query.find("package_guids")) f.package_guids = *v;
  if (auto* v = c.query.find("states")) f.states = *v;
  if (!app_guid.empty()) f.app_guids = {app_guid};
  std::function<std::string(const Build&)> key = [&](const Build& b) {
    return page.order_by == "updated_at" ? b.updated_at : b.created_at;
  };
  std::function<json(const Build&)> present = [&](const Build& b) {
    return presentBuild(c.req.base_url, b);
  };
  const std::string path = app_guid.empty() ? "/v3/builds" : "/v3/apps/" + app_guid + "/builds";
  return {200,
          presentList(c.req.base_url, path, c.req.query, page,
                      scopeFilter(f.space_guids, c.can().readableSpaces()) ? store_.listBuilds(f)
                                                                           : std::vector<Build>{},
                      key, present),
          {}};
}

}  // namespace foundry::control
