// POST /v3/spaces/:guid/actions/apply_manifest (what `cf push` v7+ sends first) and
// POST /v3/spaces/:guid/manifest_diff.
//
// The manifest is parsed and checked at once (422 for a bad one); then each application is
// found or created by name and changed through the same handlers the individual calls use
// (subrequest()), so permissions, validation, quotas and audit events are those of the API
// itself. The answer is 202 with a `space.apply_manifest` job, already COMPLETE, or FAILED
// with the first error (the cf CLI polls the job and prints it). As in CC, only instances and
// routes take effect on running instances; the rest waits for a restart.
#include <random>

#include "control/api/api.h"
#include "control/api/presenters.h"
#include "control/manifest/app_manifest.h"

namespace foundry::control {

using nlohmann::json;

namespace {

// A stop on the way: the sub-request's error, carried to the job.
struct StepFailed {
  ApiResponse response;
};

ApiResponse expect(ApiResponse r, std::initializer_list<int> ok) {
  for (int s : ok) {
    if (r.status == s) return r;
  }
  throw StepFailed{std::move(r)};
}

std::string randomHost(const std::string& name) {
  static const char* const kWords[] = {"brave", "calm", "daring", "eager", "fair", "gentle",
                                       "happy", "jolly", "kind", "lively", "merry", "noble"};
  static const char* const kNouns[] = {"otter", "panda", "quail", "rabbit", "seal", "tiger",
                                       "urchin", "viper", "walrus", "yak", "zebra", "bison"};
  std::random_device rd;
  return name + "-" + kWords[rd() % 12] + "-" + kNouns[rd() % 12] + "-" +
         std::to_string(rd() % 100);
}

}  // namespace

ApiResponse Api::subrequest(const Ctx& parent, const std::string& method,
                            const std::string& target, const json& body) {
  ApiRequest r;
  r.method = method;
  size_t q = target.find('?');
  r.path = target.substr(0, q);
  r.query = q == std::string::npos ? "" : target.substr(q + 1);
  r.body = body.is_null() ? "" : body.dump();
  r.base_url = parent.req.base_url;
  r.content_type = "application/json";
  Ctx c{r, splitPath(r.path), parseQuery(r.query), parent.perm};
  try {
    return dispatchWatched(c);
  } catch (const ApiError& e) {
    return {e.status, presentError(e), {}};
  }
}

void Api::applyAppManifest(Ctx& c, const Space& space, const AppManifest& m) {
  const std::string space_guid = space.guid;
  // Find or create the app by name.
  std::string app_guid;
  auto found = store_.listApps({{}, {m.name}, {space_guid}});
  if (found.empty()) {
    json body = {{"name", m.name}, {"relationships", {{"space", {{"data", {{"guid", space_guid}}}}}}}};
    if (m.docker_image) body["lifecycle"] = {{"type", "docker"}, {"data", json::object()}};
    app_guid = expect(subrequest(c, "POST", "/v3/apps", body), {201}).body["guid"];
  } else {
    app_guid = found[0].guid;
    const std::string wanted = m.docker_image ? "docker" : "buildpack";
    if ((m.docker_image || m.buildpacks || m.stack) && found[0].lifecycle_type != wanted) {
      throw StepFailed{{422, presentError(unprocessable(
                                 "Lifecycle type cannot be changed from " +
                                 found[0].lifecycle_type + " to " + wanted +
                                 "; delete the app and push it again")),
                        {}}};
    }
  }
  const std::string app = "/v3/apps/" + app_guid;
  if (m.buildpacks || m.stack) {
    json data = json::object();
    if (m.buildpacks) data["buildpacks"] = *m.buildpacks;
    if (m.stack) data["stack"] = *m.stack;
    expect(subrequest(c, "PATCH", app, {{"lifecycle", {{"type", "buildpack"}, {"data", data}}}}),
           {200});
  }
  if (!m.env.empty()) {
    json var = json::object();
    for (const auto& [k, v] : m.env) var[k] = v ? json(*v) : json(nullptr);
    expect(subrequest(c, "PATCH", app + "/environment_variables", {{"var", var}}), {200});
  }
  // The app-level keys are the web process's; `processes` entries name their own type.
  std::vector<ProcessManifest> processes = m.processes;
  bool has_web = false;
  for (auto& p : processes) has_web = has_web || p.type == "web";
  if (!has_web) processes.insert(processes.begin(), m.web);
  for (const auto& p : processes) {
    Process* existing = nullptr;
    auto all = store_.listProcesses(app_guid);
    for (auto& x : all) {
      if (x.type == p.type) existing = &x;
    }
    if (!existing) continue;  // other types appear once a droplet declares them
    json scale = json::object();
    if (p.instances) scale["instances"] = *p.instances;
    if (p.memory_mb) scale["memory_in_mb"] = *p.memory_mb;
    if (p.disk_mb) scale["disk_in_mb"] = *p.disk_mb;
    if (!scale.empty()) {
      expect(subrequest(c, "POST", "/v3/processes/" + existing->guid + "/actions/scale", scale),
             {202});
    }
    json update = json::object();
    if (p.command) update["command"] = *p.command;
    if (p.health_check_type || p.health_check_endpoint || p.timeout) {
      json hc = {{"type", p.health_check_type.value_or(existing->health_check_type)}};
      json data = json::object();
      if (p.timeout) data["timeout"] = *p.timeout;
      if (p.health_check_endpoint) data["endpoint"] = *p.health_check_endpoint;
      if (!data.empty()) hc["data"] = data;
      update["health_check"] = hc;
    }
    if (!update.empty()) {
      expect(subrequest(c, "PATCH", "/v3/processes/" + existing->guid, update), {200});
    }
  }
  applyManifestRoutes(c, space, app_guid, m);
  applyManifestServices(c, space, app_guid, m);
}

void Api::applyManifestRoutes(Ctx& c, const Space& space, const std::string& app_guid,
                              const AppManifest& m) {
  auto app_routes = store_.listRoutes({{}, {}, {}, {}, {}, {app_guid}});
  if (m.no_route) {
    for (const auto& r : app_routes) {
      for (const auto& d : store_.listDestinations(r.guid)) {
        if (d.app_guid != app_guid) continue;
        expect(subrequest(c, "DELETE", "/v3/routes/" + r.guid + "/destinations/" + d.guid), {204});
      }
    }
    return;
  }
  struct Wanted {
    std::string host, path, domain_guid;
  };
  std::vector<Wanted> wanted;
  auto domains = store_.listDomains({{}, {}, std::vector<std::string>{space.organization_guid}});
  if (m.routes) {
    for (const auto& url : *m.routes) {
      std::string host_domain = url.substr(0, url.find('/'));
      std::string path = url.find('/') == std::string::npos ? "" : url.substr(url.find('/'));
      size_t colon = host_domain.find(':');
      if (colon != std::string::npos) host_domain = host_domain.substr(0, colon);  // TCP ports: n/a
      const Domain* best = nullptr;
      std::string host;
      for (const auto& d : domains) {
        bool exact = host_domain == d.name;
        bool suffix = host_domain.size() > d.name.size() + 1 &&
                      host_domain.compare(host_domain.size() - d.name.size(), d.name.size(),
                                          d.name) == 0 &&
                      host_domain[host_domain.size() - d.name.size() - 1] == '.';
        if ((exact || suffix) && (!best || d.name.size() > best->name.size())) {
          best = &d;
          host = exact ? "" : host_domain.substr(0, host_domain.size() - d.name.size() - 1);
        }
      }
      if (!best) {
        throw ApiError{422, 10008, "CF-UnprocessableEntity",
                       "For application '" + m.name + "': The route '" + url +
                           "' did not match any existing domains."};
      }
      wanted.push_back({host, path, best->guid});
    }
  } else if ((m.default_route || m.random_route) && app_routes.empty()) {
    std::string domain_guid = domain_guid_;
    if (!store_.getDomain(domain_guid) && !domains.empty()) domain_guid = domains[0].guid;
    wanted.push_back({m.random_route ? randomHost(m.name) : m.name, "", domain_guid});
  }
  for (const auto& w : wanted) {
    std::string lowered = w.host;
    for (auto& ch : lowered) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    auto existing = store_.listRoutes({{}, {lowered}, {w.path}, {w.domain_guid}, {}, {}});
    std::string route_guid;
    if (existing.empty()) {
      json body = {{"host", w.host},
                   {"relationships",
                    {{"space", {{"data", {{"guid", space.guid}}}}},
                     {"domain", {{"data", {{"guid", w.domain_guid}}}}}}}};
      if (!w.path.empty()) body["path"] = w.path;
      route_guid = expect(subrequest(c, "POST", "/v3/routes", body), {201}).body["guid"];
    } else {
      route_guid = existing[0].guid;
    }
    expect(subrequest(c, "POST", "/v3/routes/" + route_guid + "/destinations",
                      {{"destinations", json::array({{{"app", {{"guid", app_guid}}}}})}}),
           {200});
  }
}

void Api::applyManifestServices(Ctx& c, const Space& space, const std::string& app_guid,
                                const AppManifest& manifest) {
  // Bound already: nothing to do (a manifest is applied again on every push).
  for (const auto& service : manifest.services) {
    auto instances = store_.listServiceInstances({{}, {service.name}, {space.guid}, {}, {}});
    if (instances.empty()) {
      throw unprocessable("For application '" + manifest.name + "': Service instance '" +
                          service.name + "' not found");
    }
    ServiceBindingFilter f;
    f.app_guids = {app_guid};
    f.instance_guids = {instances[0].guid};
    bool bound = false;
    for (const auto& b : store_.listServiceBindings(f)) {
      bound = bound || b.last_operation.state != "failed";
    }
    if (bound) continue;
    json body = {{"type", "app"},
                 {"relationships",
                  {{"app", {{"data", {{"guid", app_guid}}}}},
                   {"service_instance", {{"data", {{"guid", instances[0].guid}}}}}}}};
    if (service.binding_name) body["name"] = *service.binding_name;
    if (!service.parameters.empty()) body["parameters"] = json::parse(service.parameters);
    expect(subrequest(c, "POST", "/v3/service_credential_bindings", body), {201, 202});
  }
}

ApiResponse Api::applyManifest(Ctx& c, const std::string& space_guid) {
  Space space = authorizeSpace(c, space_guid, Access::Write, "Space");
  std::vector<AppManifest> apps;
  try {
    apps = parseAppManifest(c.req.body);
  } catch (const ManifestError& e) {
    throw unprocessable(e.what());
  }
  json errors = json::array();
  // Managed bindings the manifest asks for report to this job: it completes when their broker
  // calls have (service_operations.cc), as CC's apply_manifest waits for its bindings.
  auto [job, accepted] = newServiceJob(c, "space.apply_manifest", "space", space_guid);
  manifest_job_ = job.guid;
  struct Reset {
    std::optional<std::string>& slot;
    ~Reset() { slot.reset(); }
  } reset{manifest_job_};
  for (const auto& m : apps) {
    try {
      applyAppManifest(c, space, m);
    } catch (const StepFailed& f) {
      const json& e = f.response.body.contains("errors") ? f.response.body["errors"][0] : json();
      errors.push_back({{"code", e.value("code", 10001)},
                        {"title", e.value("title", std::string("UnknownError"))},
                        {"detail", "For application '" + m.name + "': " +
                                       e.value("detail", std::string("failed"))}});
      break;
    } catch (const ApiError& e) {
      errors.push_back({{"code", e.code}, {"title", e.title}, {"detail", e.detail}});
      break;
    }
  }
  audit(c, "audit.space.apply_manifest", "space", space.guid, space.name, space.guid);
  finishServiceJob(job.guid, errors, "");
  return accepted;
}

ApiResponse Api::manifestDiff(Ctx& c, const std::string& space_guid) {
  authorizeSpace(c, space_guid, Access::Write, "Space");
  try {
    parseAppManifest(c.req.body);
  } catch (const ManifestError& e) {
    throw unprocessable(e.what());
  }
  // The CLI only displays the diff; an empty one means "nothing to show".
  return {201, {{"diff", json::array()}}, {}};
}

}  // namespace foundry::control
