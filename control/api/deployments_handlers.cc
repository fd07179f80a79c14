// Rolling deployments (POST /v3/deployments: `cf push --strategy rolling`, `cf restart
// --strategy rolling`). A deployment records the versions every process had (the ones serving
// traffic), then gives the app its new droplet (or, without one, renews the versions: a rolling
// restart). While it is DEPLOYING, DesiredState wants both the old and the new LRP of every
// process, so the old instances stay routed while the new ones start; advanceDeployments()
// finalizes it once every new instance is RUNNING, and the old LRPs are then deleted.
#include <algorithm>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "control/api/api.h"
#include "control/api/body.h"
#include "control/api/presenters.h"
#include "control/scheduling/desired_lrp_builder.h"
#include "common/log/log.h"

namespace foundry::control {

using nlohmann::json;

namespace {

const char* const kDeploying = "DEPLOYING";
const char* const kActive = "ACTIVE";
const char* const kFinalized = "FINALIZED";

// {process guid: version} of a deployment's previous_versions ({} when unreadable).
std::map<std::string, std::string> versionsOf(const std::string& text) {
  std::map<std::string, std::string> out;
  auto j = json::parse(text, nullptr, false);
  if (!j.is_object()) return out;
  for (const auto& [k, v] : j.items()) {
    if (v.is_string()) out[k] = v.get<std::string>();
  }
  return out;
}

}  // namespace

json Api::presentDeployment(const std::string& base, const Deployment& d) {
  json new_processes = json::array();
  for (const Process& p : store_.listProcesses(d.app_guid)) {
    new_processes.push_back({{"guid", p.guid}, {"type", p.type}});
  }
  const std::string self = base + "/v3/deployments/" + d.guid;
  json links = {{"self", {{"href", self}}}, {"app", {{"href", base + "/v3/apps/" + d.app_guid}}}};
  // As CC: only a deployment that can still be canceled links its cancel action.
  if (d.status_value == kActive) {
    links["cancel"] = {{"href", self + "/actions/cancel"}, {"method", "POST"}};
  }
  return {{"guid", d.guid},
          {"state", d.state},
          {"status",
           {{"value", d.status_value},
            {"reason", d.status_reason},
            {"details",
             {{"last_successful_healthcheck", d.updated_at}, {"last_status_change", d.updated_at}}}}},
          {"strategy", d.strategy},
          {"droplet", {{"guid", d.droplet_guid}}},
          {"previous_droplet",
           {{"guid", d.previous_droplet_guid ? json(*d.previous_droplet_guid) : json(nullptr)}}},
          {"new_processes", std::move(new_processes)},
          {"revision", nullptr},
          {"created_at", d.created_at},
          {"updated_at", d.updated_at},
          {"relationships", {{"app", {{"data", {{"guid", d.app_guid}}}}}}},
          {"metadata", {{"labels", json::object()}, {"annotations", json::object()}}},
          {"links", std::move(links)}};
}

ApiResponse Api::createDeployment(Ctx& c) {
  json b = c.body();
  // `options` (newer CLIs: max_in_flight) is accepted and ignored: every new instance starts
  // at once here.
  body::allowOnly(b, {"relationships", "droplet", "strategy", "revision", "metadata", "options"});
  auto app_guid = body::relationshipGuid(b, "app");
  if (!app_guid) {
    throw unprocessable("Relationships app must be structured like {\"data\": {\"guid\": \"...\"}}");
  }
  if (b.contains("strategy") && !b["strategy"].is_null() && b["strategy"] != "rolling") {
    throw unprocessable("Strategy is not included in the list: rolling");
  }
  if (b.contains("revision") && !b["revision"].is_null()) {
    throw unprocessable("Deploying a revision is not supported");
  }
  if (b.contains("metadata") && !b["metadata"].is_object()) {
    throw unprocessable("Metadata must be an object");
  }
  if (b.contains("options") && !b["options"].is_object() && !b["options"].is_null()) {
    throw unprocessable("Options must be an object");
  }
  const App app = requireApp(c, *app_guid, Access::Write);
  if (app.state != "STARTED") {
    throw unprocessable("Cannot create a deployment for a STOPPED app.");  // CC's text
  }
  std::optional<Droplet> droplet;
  if (b.contains("droplet") && !b["droplet"].is_null()) {
    const json& d = b["droplet"];
    if (!d.is_object() || !d.contains("guid") || !d["guid"].is_string()) {
      throw unprocessable("Droplet must be structured like {\"guid\": \"...\"}");
    }
    droplet = store_.getDroplet(d["guid"].get<std::string>());
    if (!droplet || droplet->app_guid != app.guid) {
      throw unprocessable(
          "Unable to assign current droplet. Ensure the droplet exists and belongs to this app.");
    }
    if (droplet->state != "STAGED") throw unprocessable("Droplet must be STAGED to be assigned");
  } else {
    droplet = store_.getCurrentDroplet(app.guid);
    if (!droplet) {
      throw unprocessable(
          "Invalid droplet. Please specify a droplet in the request or set a current droplet "
          "for the app.");
    }
  }

  const std::string now = nowIso8601();
  const std::vector<Process> processes = store_.listProcesses(app.guid);
  json previous = json::object();
  for (const Process& p : processes) previous[p.guid] = p.version;
  std::optional<std::string> previous_droplet = app.droplet_guid;
  // CC: a deployment still running is superseded. The versions it kept running are the ones
  // known to serve (its own new instances may not be up yet), so this one keeps them instead.
  DeploymentFilter active;
  active.app_guids = {app.guid};
  active.status_values = {kActive};
  for (Deployment old : store_.listDeployments(active)) {
    if (old.state == kDeploying) {
      previous = json::object();
      for (const auto& [process, version] : versionsOf(old.previous_versions)) {
        previous[process] = version;
      }
      previous_droplet = old.previous_droplet_guid;
    }
    old.state = "DEPLOYED";
    old.status_value = kFinalized;
    old.status_reason = "SUPERSEDED";
    old.updated_at = now;
    store_.updateDeployment(old);
  }

  // The record first: should the controller stop half-way, the old versions are still known
  // (and a deployment whose versions were not renewed finishes at once).
  Deployment d;
  d.guid = newGuid();
  d.app_guid = app.guid;
  d.droplet_guid = droplet->guid;
  d.previous_droplet_guid = previous_droplet;
  d.previous_versions = previous.dump();
  d.created_at = d.updated_at = now;
  if (store_.createDeployment(d) != WriteResult::Ok) throw notFound("App");
  if (store_.setCurrentDroplet(app.guid, droplet->guid, now) != WriteResult::Ok) {
    throw notFound("App");
  }
  // Every process gets a new version (a new LRP beside the old one), with a new droplet or
  // without (a rolling restart).
  for (Process p : processes) {
    p.version = newGuid();
    p.updated_at = now;
    store_.updateProcess(p);
  }
  audit(c, "audit.app.deployment.create", "app", app.guid, app.name, app.space_guid,
        {{"deployment_guid", d.guid}, {"droplet_guid", d.droplet_guid}, {"strategy", d.strategy}});
  log::info("controller", "deployment-created",
            {{"deployment", d.guid}, {"app", app.guid}, {"droplet", d.droplet_guid}});
  desiredStateChanged(app.guid);
  return {201, presentDeployment(c.req.base_url, d), {}};
}

ApiResponse Api::getDeployment(Ctx& c, const std::string& guid) {
  auto d = store_.getDeployment(guid);
  auto app = d ? store_.getApp(d->app_guid) : std::nullopt;
  if (!app) throw notFound("Deployment");
  authorizeSpace(c, app->space_guid, Access::Read, "Deployment");
  return {200, presentDeployment(c.req.base_url, *d), {}};
}

ApiResponse Api::listDeployments(Ctx& c) {
  c.query.allowOnly({"guids", "app_guids", "states", "status_values", "status_reasons", "page",
                     "per_page", "order_by"});
  PageRequest page = readPageRequest(c.query, {"created_at", "updated_at"});
  DeploymentFilter f;
  if (auto* v = c.query.find("guids")) f.guids = *v;
  if (auto* v = c.query.find("app_guids")) f.app_guids = *v;
  if (auto* v = c.query.find("states")) f.states = *v;
  if (auto* v = c.query.find("status_values")) f.status_values = *v;
  std::vector<Deployment> items;
  if (scopeFilter(f.space_guids, c.can().readableSpaces())) items = store_.listDeployments(f);
  if (auto* reasons = c.query.find("status_reasons")) {
    std::erase_if(items, [&](const Deployment& d) {
      return std::find(reasons->begin(), reasons->end(), d.status_reason) == reasons->end();
    });
  }
  std::function<std::string(const Deployment&)> key = [&](const Deployment& d) {
    return page.order_by == "updated_at" ? d.updated_at : d.created_at;
  };
  std::function<json(const Deployment&)> present = [&](const Deployment& d) {
    return presentDeployment(c.req.base_url, d);
  };
  return {200,
          presentList(c.req.base_url, "/v3/deployments", c.req.query, page, std::move(items), key,
                      present),
          {}};
}

ApiResponse Api::cancelDeployment(Ctx& c, const std::string& guid) {
  auto d = store_.getDeployment(guid);
  auto app = d ? store_.getApp(d->app_guid) : std::nullopt;
  if (!app) throw notFound("Deployment");
  authorizeSpace(c, app->space_guid, Access::Write, "Deployment");
  if (d->status_value != kActive) {
    throw unprocessable("Cannot cancel a " + d->status_value + " deployment");  // CC's text
  }
  // Back to what was serving: the previous droplet and the old versions, whose LRPs are still
  // running at full scale; the reconcile deletes the new ones.
  const std::string now = nowIso8601();
  if (d->previous_droplet_guid &&
      store_.setCurrentDroplet(app->guid, *d->previous_droplet_guid, now) != WriteResult::Ok) {
    throw unprocessable("Unable to cancel: the previous droplet is gone");
  }
  const auto old = versionsOf(d->previous_versions);
  for (Process p : store_.listProcesses(app->guid)) {
    auto it = old.find(p.guid);
    if (it == old.end() || it->second == p.version) continue;
    p.version = it->second;
    p.updated_at = now;
    store_.updateProcess(p);
  }
  d->state = "CANCELED";
  d->status_value = kFinalized;
  d->status_reason = "CANCELED";
  d->updated_at = now;
  store_.updateDeployment(*d);
  audit(c, "audit.app.deployment.cancel", "app", app->guid, app->name, app->space_guid,
        {{"deployment_guid", d->guid}, {"droplet_guid", d->droplet_guid}});
  log::info("controller", "deployment-canceled", {{"deployment", d->guid}, {"app", app->guid}});
  desiredStateChanged(app->guid);
  return {200, nullptr, {}};  // CC answers an empty 200
}

int Api::advanceDeployments() {
  if (!scheduling_.actual_lrps) return 0;  // no scheduler: nothing can be observed
  DeploymentFilter deploying;
  deploying.states = {kDeploying};
  int finished = 0;
  for (Deployment d : store_.listDeployments(deploying)) {
    auto app = store_.getApp(d.app_guid);
    // A stopped app runs nothing; its deployment goes on when it starts again.
    if (!app || app->state != "STARTED") continue;
    bool ready = true;
    for (const Process& p : store_.listProcesses(app->guid)) {
      const std::string process_guid = scheduling::processGuidFor(p);
      auto actual = scheduling_.actual_lrps(process_guid);
      if (!actual) return finished;  // the scheduler is unreachable: try next round
      std::set<int> running;
      for (const auto& a : *actual) {
        if (a.process_guid == process_guid && a.state == sched::LrpState::kRunning &&
            a.index >= 0 && a.index < p.instances) {
          running.insert(a.index);
        }
      }
      if (static_cast<int64_t>(running.size()) < p.instances) {
        ready = false;
        break;
      }
    }
    if (!ready) {
      ready_once_.erase(d.guid);
      continue;
    }
    // Ready in two rounds in a row (a second apart on the server's timer): the new instances'
    // route registrations (published when they turned RUNNING) have reached the routers before
    // the old instances are unregistered.
    if (ready_once_.insert(d.guid).second) continue;
    ready_once_.erase(d.guid);
    d.state = "DEPLOYED";
    d.status_value = kFinalized;
    d.status_reason = "DEPLOYED";
    d.updated_at = nowIso8601();
    store_.updateDeployment(d);
    log::info("controller", "deployment-finished", {{"deployment", d.guid}, {"app", app->guid}});
    desiredStateChanged(app->guid);  // without the old versions now: their LRPs are deleted
    ++finished;
  }
  return finished;
}

}  // namespace foundry::control
