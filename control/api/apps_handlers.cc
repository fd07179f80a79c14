// /v3/apps: create (with its web process), list, get, rename, async delete, start/stop/restart.
#include <algorithm>

#include "control/api/api.h"
#include "control/api/body.h"
#include "control/api/presenters.h"

namespace foundry::control {

using nlohmann::json;

namespace {

// Applies body["lifecycle"] to the app (422 naming the field on bad input).
void applyLifecycle(const json& body, App* app) {
  if (!body.contains("lifecycle")) {
    return;
  }
  const json& l = body["lifecycle"];
  if (!l.is_object()) {
    throw unprocessable("Lifecycle must be an object");
  }
  body::allowOnly(l, {"type", "data"});
  std::string type = body::optString(l, "type", "Lifecycle type").value_or(app->lifecycle_type);
  if (type != "buildpack" && type != "docker") {
    throw unprocessable("Lifecycle type is not included in the list: buildpack, docker");
  }
  app->lifecycle_type = type;
  if (!l.contains("data")) {
    return;
  }
  const json& d = l["data"];
  if (!d.is_object()) {
    throw unprocessable("Lifecycle data must be an object");
  }
  if (type == "docker") {
    if (!d.empty()) {
      throw unprocessable("Lifecycle data must be empty for docker apps");
    }
    return;
  }
  body::allowOnly(d, {"buildpacks", "stack"});
  if (d.contains("buildpacks")) {
    if (!d["buildpacks"].is_array() ||
        !std::all_of(d["buildpacks"].begin(), d["buildpacks"].end(),
                     [](const json& b) { return b.is_string(); })) {
      throw unprocessable("Lifecycle Buildpacks can only contain strings");
    }
    app->buildpacks = d["buildpacks"].get<std::vector<std::string>>();
  }
  if (d.contains("stack") && !d["stack"].is_null()) {
    app->stack = body::optString(d, "stack", "Lifecycle Stack").value();
  }
}

std::string checkName(const json& body, bool required) {
  auto name = body::optString(body, "name", "Name");
  if (!name) {
    if (required) {
      throw unprocessable("Name can't be blank");
    }
    return "";
  }
  if (name->empty()) {
    throw unprocessable("Name can't be blank");
  }
  return *name;
}

}  // namespace

ApiResponse Api::createApp(Ctx& c) {
  json b = c.body();
  body::allowOnly(b, {"name", "relationships", "lifecycle", "environment_variables"});
  const std::string now = nowIso8601();
  App app;
  app.guid = newGuid();
  app.name = checkName(b, true);
  auto space_guid = body::relationshipGuid(b, "space");
  if (!space_guid) {
    throw unprocessable("Relationships space can't be blank");
  }
  auto space = store_.getSpace(*space_guid);
  if (!space || !c.can().canReadSpace(*space)) {
    throw unprocessable("Invalid space. Ensure that the space exists and you have access to it.");
  }
  authorizeSpace(c, *space_guid, Access::Write, "Space");
  app.space_guid = *space_guid;
  applyLifecycle(b, &app);
  if (b.contains("environment_variables")) {
    body::checkEnvironment(b["environment_variables"]);
    app.environment_variables = b["environment_variables"].dump();
  }
  app.created_at = app.updated_at = now;

  Process web;
  web.guid = newGuid();
  web.app_guid = app.guid;
  web.version = newGuid();
  web.created_at = web.updated_at = now;

  switch (store_.createApp(app, {web})) {
    case WriteResult::Ok:
      break;
    case WriteResult::Duplicate:
      throw unprocessable("App with the name '" + app.name + "' already exists.");
    default:
      throw unprocessable("Invalid space. Ensure that the space exists and you have access to it.");
  }
  audit(c, "audit.app.create", "app", app.guid, app.name, app.space_guid);
  return {201, presentApp(c.req.base_url, app), {}};
}

ApiResponse Api::listApps(Ctx& c) {
  c.query.allowOnly({"names", "guids", "space_guids", "organization_guids", "page", "per_page",
                     "order_by"});
  PageRequest page = readPageRequest(c.query, {"created_at", "updated_at", "name", "state"});
  AppFilter f;
  if (auto* v = c.query.find("names")) f.names = *v;
  if (auto* v = c.query.find("guids")) f.guids = *v;
  if (auto* v = c.query.find("space_guids")) f.space_guids = *v;
  std::vector<App> apps;
  if (scopeFilter(f.space_guids, c.can().readableSpaces())) apps = store_.listApps(f);
  if (auto* orgs = c.query.find("organization_guids")) {
    std::erase_if(apps, [&](const App& a) {
      auto space = store_.getSpace(a.space_guid);
      return !space ||
             std::find(orgs->begin(), orgs->end(), space->organization_guid) == orgs->end();
    });
  }
  std::function<std::string(const App&)> key = [&](const App& a) {
    if (page.order_by == "name") return a.name;
    if (page.order_by == "state") return a.state;
    return page.order_by == "updated_at" ? a.updated_at : a.created_at;
  };
  std::function<json(const App&)> present = [&](const App& a) {
    return presentApp(c.req.base_url, a);
  };
  return {200,
          presentList(c.req.base_url, "/v3/apps", c.req.query, page, std::move(apps), key,
                      present),
          {}};
}

ApiResponse Api::getApp(Ctx& c, const std::string& guid) {
  return {200, presentApp(c.req.base_url, requireApp(c, guid)), {}};
}

ApiResponse Api::updateApp(Ctx& c, const std::string& guid) {
  App app = requireApp(c, guid, Access::Write);
  json b = c.body();
  body::allowOnly(b, {"name", "lifecycle"});
  if (b.contains("name")) {
    app.name = checkName(b, true);
  }
  applyLifecycle(b, &app);
  app.updated_at = nowIso8601();
  switch (store_.updateApp(app)) {
    case WriteResult::Ok:
      break;
    case WriteResult::Duplicate:
      throw unprocessable("App with the name '" + app.name + "' already exists.");
    default:
      throw notFound("App");
  }
  audit(c, "audit.app.update", "app", app.guid, app.name, app.space_guid, b);
  return {200, presentApp(c.req.base_url, app), {}};
}

ApiResponse Api::deleteApp(Ctx& c, const std::string& guid) {
  App app = requireApp(c, guid, Access::Write);
  audit(c, "audit.app.delete-request", "app", app.guid, app.name, app.space_guid);
  return startDeleteJob(c, "app.delete", "app", guid);
}

ApiResponse Api::appAction(Ctx& c, const std::string& guid, const std::string& action) {
  App app = requireApp(c, guid, Access::Operate);
  if (action != "stop" && !store_.getCurrentDroplet(guid)) {
    throw unprocessable("Assign a droplet before starting this app.");  // the cf CLI's text
  }
  if (action != "stop") {
    // Starting adds every process's memory and instances to what the quotas count.
    Space space = *store_.getSpace(app.space_guid);
    for (const auto& p : store_.listProcesses(guid)) {
      if (app.state != "STARTED") checkProcessQuota(space, p);
    }
  }
  app.state = action == "stop" ? "STOPPED" : "STARTED";
  app.updated_at = nowIso8601();
  if (store_.updateApp(app) != WriteResult::Ok) {
    throw notFound("App");
  }
  // Stop deletes the app's LRPs, start puts them; restart (CF: stop, then start) does both.
  desiredStateChanged(guid, action == "restart");
  audit(c, "audit.app." + action, "app", app.guid, app.name, app.space_guid);
  return {200, presentApp(c.req.base_url, app), {}};
}

}  // namespace foundry::control
