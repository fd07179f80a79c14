// An app's environment: GET /v3/apps/:guid/env (what `cf env` shows) and the user-provided
// variables (GET/PATCH /v3/apps/:guid/environment_variables). Both reveal secrets, so reading
// needs CC's secrets role set (space developers, admins, admin_read_only): auditors and
// managers who can see the app get 403.
#include "control/api/api.h"
#include "control/api/body.h"
#include "control/api/presenters.h"
#include "control/services/vcap_services.h"

namespace foundry::control {

using nlohmann::json;

namespace {

json variablesOf(const App& app) {
  json env = json::parse(app.environment_variables, nullptr, false);
  return env.is_object() ? env : json::object();
}

json environmentVariables(const std::string& base, const App& app) {
  const std::string self = base + "/v3/apps/" + app.guid;
  return {{"var", variablesOf(app)},
          {"links",
           {{"self", {{"href", self + "/environment_variables"}}}, {"app", {{"href", self}}}}}};
}

}  // namespace

App Api::requireAppSecrets(const Ctx& c, const std::string& guid) {
  App app = requireApp(c, guid);
  if (!c.can().canReadSecrets(app.space_guid)) throw notAuthorized();
  return app;
}

ApiResponse Api::appEnv(Ctx& c, const std::string& guid) {
  App app = requireAppSecrets(c, guid);
  Space space = *store_.getSpace(app.space_guid);
  auto org = store_.getOrganization(space.organization_guid);
  json uris = json::array();
  for (const auto& r : store_.listRoutes({{}, {}, {}, {}, {}, {guid}})) {
    auto d = store_.getDomain(r.domain_guid);
    uris.push_back((r.host.empty() ? "" : r.host + ".") + (d ? d->name : "") + r.path);
  }
  int64_t mem = 1024, disk = 1024;
  for (const auto& p : store_.listProcesses(guid)) {
    if (p.type == "web") {
      mem = p.memory_in_mb;
      disk = p.disk_in_mb;
    }
  }
  json vcap_application = {{"application_id", app.guid},
                           {"application_name", app.name},
                           {"application_uris", uris},
                           {"cf_api", c.req.base_url},
                           {"limits", {{"fds", 16384}, {"mem", mem}, {"disk", disk}}},
                           {"name", app.name},
                           {"organization_id", space.organization_guid},
                           {"organization_name", org ? org->name : ""},
                           {"space_id", space.guid},
                           {"space_name", space.name},
                           {"uris", uris},
                           {"users", nullptr}};
  return {200,
          {{"staging_env_json", json::object()},
           {"running_env_json", json::object()},
           {"environment_variables", variablesOf(app)},
           {"system_env_json", {{"VCAP_SERVICES", services::vcapServices(store_, app.guid)}}},
           {"application_env_json", {{"VCAP_APPLICATION", vcap_application}}}},
          {}};
}

ApiResponse Api::getEnvironmentVariables(Ctx& c, const std::string& guid) {
  return {200, environmentVariables(c.req.base_url, requireAppSecrets(c, guid)), {}};
}

ApiResponse Api::patchEnvironmentVariables(Ctx& c, const std::string& guid) {
  App app = requireApp(c, guid, Access::Write);
  json b = c.body();
  body::allowOnly(b, {"var"});
  if (!b.contains("var") || !b["var"].is_object()) {
    throw unprocessable("Var must be an object");
  }
  json env = variablesOf(app);
  json changes = json::object();
  for (const auto& [k, v] : b["var"].items()) {
    if (v.is_null()) {
      env.erase(k);  // null removes the variable, as CC
    } else {
      changes[k] = v;
    }
  }
  body::checkEnvironment(changes);
  for (const auto& [k, v] : changes.items()) env[k] = v;
  app.environment_variables = env.dump();
  app.updated_at = nowIso8601();
  if (store_.updateApp(app) != WriteResult::Ok) throw notFound("App");
  // The keys, never the values: they are secrets.
  json keys = json::array();
  for (const auto& [k, v] : b["var"].items()) keys.push_back(k);
  audit(c, "audit.app.update", "app", app.guid, app.name, app.space_guid,
        {{"request", {{"environment_variables", keys}}}});
  return {200, environmentVariables(c.req.base_url, app), {}};
}

}  // namespace foundry::control
