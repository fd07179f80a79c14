#include "control/scheduling/desired_state.h"

#include "control/services/vcap_services.h"

#include <map>
#include <nlohmann/json.hpp>

namespace foundry::control::scheduling {

std::optional<DropletInfo> currentDroplet(Store& store, const App& app) {
  if (!app.droplet_guid || app.droplet_guid->empty()) return std::nullopt;
  auto droplet = store.getCurrentDroplet(app.guid);
  if (!droplet) return std::nullopt;
  return dropletInfoOf(*droplet);
}

DesiredState::DesiredState(Store& store, std::string internal_url)
    : store_(store), internal_url_(std::move(internal_url)) {}

std::vector<sched::DesiredLrp> DesiredState::forApp(const std::string& app_guid) {
  auto app = store_.getApp(app_guid);
  if (!app) return {};
  return forApp(*app);
}

std::vector<sched::DesiredLrp> DesiredState::all() {
  std::vector<sched::DesiredLrp> lrps;
  for (const App& app : store_.listApps({})) {
    for (auto& lrp : forApp(app)) lrps.push_back(std::move(lrp));
  }
  return lrps;
}

// What every LRP and task of `app` shares: the app, its space's and org's names, its
// bindings, where cells reach the controller.
LrpInputs DesiredState::inputsFor(const App& app, const DropletInfo& droplet) {
  LrpInputs in;
  in.app = app;
  in.droplet = droplet;
  in.internal_url = internal_url_;
  in.vcap_services = services::vcapServices(store_, app.guid).dump();
  if (auto space = store_.getSpace(app.space_guid)) {
    in.space_name = space->name;
    in.organization_guid = space->organization_guid;
    if (auto org = store_.getOrganization(space->organization_guid)) {
      in.organization_name = org->name;
    }
  }
  return in;
}

std::optional<sched::TaskDefinition> DesiredState::taskDefinition(const AppTask& task) {
  auto app = store_.getApp(task.app_guid);
  auto droplet = store_.getDroplet(task.droplet_guid);
  if (!app || !droplet) return std::nullopt;
  return buildTaskDefinition(task, inputsFor(*app, dropletInfoOf(*droplet)));
}

std::optional<sched::TaskDefinition> DesiredState::stagingTaskDefinition(
    const StagingTask& task, double timeout_s) {
  auto app = store_.getApp(task.app_guid);
  if (!app) return std::nullopt;
  return buildStagingTaskDefinition(task, inputsFor(*app, DropletInfo{}), timeout_s);
}

std::vector<sched::DesiredLrp> DesiredState::forApp(const App& app) {
  if (app.state != "STARTED") return {};
  auto droplet = currentDroplet(store_, app);
  if (!droplet) return {};
  LrpInputs in = inputsFor(app, *droplet);
  // A rolling deployment in progress keeps the versions that were serving (with the droplet
  // they run) beside the new ones, same instances and routes, until it finishes.
  std::map<std::string, std::string> old_versions;
  DropletInfo old_droplet = *droplet;
  DeploymentFilter deploying;
  deploying.app_guids = {app.guid};
  deploying.states = {"DEPLOYING"};
  for (const Deployment& d : store_.listDeployments(deploying)) {
    auto versions = nlohmann::json::parse(d.previous_versions, nullptr, false);
    if (versions.is_object()) {
      for (const auto& [process, version] : versions.items()) {
        if (version.is_string()) old_versions[process] = version.get<std::string>();
      }
    }
    if (d.previous_droplet_guid) {
      if (auto previous = store_.getDroplet(*d.previous_droplet_guid)) {
        old_droplet = dropletInfoOf(*previous);
      }
    }
  }
  std::vector<sched::DesiredLrp> lrps;
  for (const Process& process : store_.listProcesses(app.guid)) {
    in.process = process;
    in.droplet = *droplet;
    in.routes = routesOf(app.guid, process.type);
    lrps.push_back(buildDesiredLrp(in));
    auto old = old_versions.find(process.guid);
    if (old != old_versions.end() && old->second != process.version) {
      in.process.version = old->second;
      in.droplet = old_droplet;
      lrps.push_back(buildDesiredLrp(in));
    }
  }
  return lrps;
}

std::vector<RouteBinding> DesiredState::routesOf(const std::string& app_guid,
                                                 const std::string& type) {
  std::vector<RouteBinding> bindings;
  RouteFilter filter;
  filter.app_guids = {app_guid};
  for (const Route& route : store_.listRoutes(filter)) {
    auto domain = store_.getDomain(route.domain_guid);
    if (!domain) continue;
    nlohmann::json options = nlohmann::json::parse(route.options, nullptr, false);
    std::string route_service_url;
    for (const auto& b : store_.listServiceRouteBindings({{}, {route.guid}, {}, {}})) {
      route_service_url = b.route_service_url;
    }
    for (const Destination& d : store_.listDestinations(route.guid)) {
      if (d.app_guid == app_guid && d.process_type == type) {
        bindings.push_back({route.guid, route.host, domain->name, route.path, d.port, d.weight,
                            options.is_object() ? options : nlohmann::json::object(),
                            route_service_url});
      }
    }
  }
  return bindings;
}

}  // namespace foundry::control::scheduling
