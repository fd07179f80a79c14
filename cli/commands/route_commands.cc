// routes, create-route, delete-route, map-route, unmap-route, domains (B.4 map/unmap flows).
#include <CLI/CLI.hpp>
#include <iostream>
#include <set>

#include "cli/commands/commands.h"
#include "cli/commands/lookups.h"

namespace foundry::cli {

using nlohmann::json;

namespace {

struct RouteOptions {
  std::string app;
  std::string domain;
  std::string host;
  std::string path;
  bool force = false;
};

void addRouteFlags(CLI::App* command, RouteOptions& options) {
  command->add_option("-n,--hostname", options.host, "Hostname for the route");
  command->add_option("--path", options.path, "Path for the route, e.g. /api");
}

int routes(Context& context) {
  Ui& ui = context.ui();
  auto client = context.targetedClient();
  if (!client) return ui.failed(client.error());
  ui.say("Getting routes for " + context.where() + "...");
  ui.newline();
  auto all = client->listAll("/v3/routes?space_guids=" + context.config().space_guid);
  if (!all) return ui.failed(all.error());
  auto domains = listDomains(*client);
  if (!domains) return ui.failed(domains.error());
  auto apps = client->listAll("/v3/apps?space_guids=" + context.config().space_guid);
  if (!apps) return ui.failed(apps.error());
  std::map<std::string, std::string> app_names;
  for (const auto& app : *apps) app_names[app.value("guid", "")] = app.value("name", "");
  auto names = domainNames(*domains);
  if (all->empty()) {
    ui.say("No routes found.");
    return 0;
  }
  std::vector<std::vector<std::string>> rows = {
      {"space", "host", "domain", "port", "path", "protocol", "app-protocol", "apps"}};
  for (const auto& route : *all) {
    std::string domain;
    try {
      domain = names.at(route["relationships"]["domain"]["data"]["guid"].get<std::string>());
    } catch (const std::exception&) {
    }
    std::string app_list;
    std::set<std::string> protocols;
    std::set<std::string> seen;
    for (const auto& destination : route.value("destinations", json::array())) {
      std::string app_guid;
      try {
        app_guid = destination["app"]["guid"].get<std::string>();
      } catch (const std::exception&) {
      }
      if (destination.contains("protocol") && destination["protocol"].is_string()) {
        protocols.insert(destination["protocol"].get<std::string>());
      }
      if (!seen.insert(app_guid).second) continue;
      auto it = app_names.find(app_guid);
      app_list += (app_list.empty() ? "" : ", ") + (it == app_names.end() ? app_guid : it->second);
    }
    std::string protocol_list;
    for (const auto& p : protocols) protocol_list += (protocol_list.empty() ? "" : ", ") + p;
    std::string port = route.contains("port") && route["port"].is_number()
                           ? std::to_string(route["port"].get<int>())
                           : "";
    rows.push_back({context.config().space_name, route.value("host", ""), domain, port,
                    route.value("path", ""), route.value("protocol", "http"), protocol_list,
                    app_list});
  }
  ui.table(rows);
  return 0;
}

int domainsCommand(Context& context) {
  Ui& ui = context.ui();
  auto client = context.orgTargetedClient();
  if (!client) return ui.failed(client.error());
  ui.say("Getting domains in org " + context.config().org_name + " as " + context.userName() +
         "...");
  ui.newline();
  auto domains = listDomains(*client, context.config().org_guid);
  if (!domains) return ui.failed(domains.error());
  std::vector<std::vector<std::string>> rows = {{"name", "availability", "internal", "protocols"}};
  for (const auto& d : *domains) {
    bool shared = true;
    try {
      shared = d["relationships"]["organization"]["data"].is_null();
    } catch (const std::exception&) {
    }
    bool internal = d.value("internal", false);
    std::string protocols;
    for (const auto& p : d.value("supported_protocols", json::array({"http"}))) {
      if (p.is_string()) protocols += (protocols.empty() ? "" : ", ") + p.get<std::string>();
    }
    rows.push_back(
        {d.value("name", ""), shared ? "shared" : "private", internal ? "true" : "", protocols});
  }
  ui.table(rows);
  return 0;
}

Result<json> createRoute(const CcClient& client, const std::string& space_guid,
                         const std::string& domain_guid, const std::string& host,
                         const std::string& path) {
  json body = {{"host", host},
               {"relationships",
                {{"space", {{"data", {{"guid", space_guid}}}}},
                 {"domain", {{"data", {{"guid", domain_guid}}}}}}}};
  if (!path.empty()) body["path"] = path;
  auto reply = client.post("/v3/routes", body);
  if (!reply) return Result<json>::fail(reply.error());
  return Result<json>::ok(reply->body);
}

int createRouteCommand(Context& context, const RouteOptions& options) {
  Ui& ui = context.ui();
  auto client = context.targetedClient();
  if (!client) return ui.failed(client.error());
  std::string path = normaliseRoutePath(options.path);
  std::string text = routeText(options.host, options.domain, path);
  ui.say("Creating route " + text + " for " + context.where() + "...");
  auto domain = findDomain(*client, options.domain);
  if (!domain) return ui.failed(domain.error());
  auto existing = findRoute(*client, (*domain)["guid"], options.host, path);
  if (!existing) return ui.failed(existing.error());
  if (!existing->is_null()) {
    ui.warn("Route " + text + " already exists.");
    ui.ok();
    return 0;
  }
  auto created =
      createRoute(*client, context.config().space_guid, (*domain)["guid"], options.host, path);
  if (!created) return ui.failed(created.error());
  ui.say("Route " + text + " has been created.");
  ui.ok();
  return 0;
}

int deleteRouteCommand(Context& context, const RouteOptions& options) {
  Ui& ui = context.ui();
  auto client = context.targetedClient();
  if (!client) return ui.failed(client.error());
  std::string path = normaliseRoutePath(options.path);
  std::string text = routeText(options.host, options.domain, path);
  if (!options.force && !confirm(ui, std::cin, "Really delete the route " + text + "?")) {
    ui.say("'" + text + "' has not been deleted.");
    return 0;
  }
  ui.say("Deleting route " + text + "...");
  auto domain = findDomain(*client, options.domain);
  if (!domain) return ui.failed(domain.error());
  auto route = findRoute(*client, (*domain)["guid"], options.host, path);
  if (!route) return ui.failed(route.error());
  if (route->is_null()) {
    ui.warn("Unable to delete. Route with host '" + options.host + "' and domain '" +
            options.domain + "'" + (path.empty() ? "" : " and path '" + path + "'") +
            " not found.");
    ui.ok();
    return 0;
  }
  auto reply = client->del("/v3/routes/" + (*route)["guid"].get<std::string>());
  if (!reply) return ui.failed(reply.error());
  if (!reply->location.empty()) {
    Status job = client->waitForJob(reply->location);
    if (!job) return ui.failed(job.error());
  }
  ui.ok();
  return 0;
}

int mapRouteCommand(Context& context, const RouteOptions& options) {
  Ui& ui = context.ui();
  auto client = context.targetedClient();
  if (!client) return ui.failed(client.error());
  std::string path = normaliseRoutePath(options.path);
  std::string text = routeText(options.host, options.domain, path);
  ui.say("Mapping route " + text + " to app " + options.app + " in " + context.where() + "...");
  auto domain = findDomain(*client, options.domain);
  if (!domain) return ui.failed(domain.error());
  auto app = findApp(*client, context.config().space_guid, options.app);
  if (!app) return ui.failed(app.error());
  std::string app_guid = (*app)["guid"];
  auto route = findRoute(*client, (*domain)["guid"], options.host, path);
  if (!route) return ui.failed(route.error());
  if (route->is_null()) {
    auto created =
        createRoute(*client, context.config().space_guid, (*domain)["guid"], options.host, path);
    if (!created) return ui.failed(created.error());
    route = Result<json>::ok(*created);
  }
  std::string route_guid = (*route)["guid"];
  auto mapped = appDestinations(*client, route_guid, app_guid);
  if (!mapped) return ui.failed(mapped.error());
  if (!mapped->empty()) {
    ui.say("App '" + options.app + "' is already mapped to route '" + text +
           "'. Nothing has been updated.");
    ui.ok();
    return 0;
  }
  auto added = client->post("/v3/routes/" + route_guid + "/destinations",
                            {{"destinations", json::array({{{"app", {{"guid", app_guid}}}}})}});
  if (!added) return ui.failed(added.error());
  ui.ok();
  return 0;
}

int unmapRouteCommand(Context& context, const RouteOptions& options) {
  Ui& ui = context.ui();
  auto client = context.targetedClient();
  if (!client) return ui.failed(client.error());
  std::string path = normaliseRoutePath(options.path);
  std::string text = routeText(options.host, options.domain, path);
  ui.say("Removing route " + text + " from app " + options.app + " in " + context.where() + "...");
  auto domain = findDomain(*client, options.domain);
  if (!domain) return ui.failed(domain.error());
  auto app = findApp(*client, context.config().space_guid, options.app);
  if (!app) return ui.failed(app.error());
  std::string app_guid = (*app)["guid"];
  auto route = findRoute(*client, (*domain)["guid"], options.host, path);
  if (!route) return ui.failed(route.error());
  if (route->is_null()) {
    return ui.failed("Route with host '" + options.host + "' and domain '" + options.domain + "'" +
                     (path.empty() ? "" : " and path '" + path + "'") + " not found.");
  }
  std::string route_guid = (*route)["guid"];
  auto destinations = appDestinations(*client, route_guid, app_guid);
  if (!destinations) return ui.failed(destinations.error());
  int removed = 0;
  for (const auto& d : *destinations) {
    auto reply = client->del("/v3/routes/" + route_guid + "/destinations/" + d.value("guid", ""));
    if (!reply) return ui.failed(reply.error());
    ++removed;
  }
  if (removed == 0) ui.say("Route to be unmapped is not currently mapped to the application.");
  ui.ok();
  return 0;
}

}  // namespace

void addRouteCommands(CommandTable& table) {
  Context& context = table.context();

  table.add("routes", "List all routes in the current space",
            [&context] { return routes(context); });
  table.add("domains", "List domains in the target org",
            [&context] { return domainsCommand(context); });

  auto create = std::make_shared<RouteOptions>();
  CLI::App* c = table.add("create-route", "Create a route for later use",
                          [&context, create] { return createRouteCommand(context, *create); });
  c->add_option("DOMAIN", create->domain, "Domain of the route")->required();
  addRouteFlags(c, *create);
  c->footer("Example:\n  foundry create-route apps.internal -n demo --path /api");

  auto remove = std::make_shared<RouteOptions>();
  CLI::App* d = table.add("delete-route", "Delete a route",
                          [&context, remove] { return deleteRouteCommand(context, *remove); });
  d->add_option("DOMAIN", remove->domain, "Domain of the route")->required();
  addRouteFlags(d, *remove);
  d->add_flag("-f,--force", remove->force, "Force deletion without confirmation");
  d->footer("Example:\n  foundry delete-route apps.internal -n demo -f");

  auto map = std::make_shared<RouteOptions>();
  CLI::App* m = table.add("map-route", "Map a route to an app (creating the route if needed)",
                          [&context, map] { return mapRouteCommand(context, *map); });
  m->add_option("APP_NAME", map->app, "The app")->required();
  m->add_option("DOMAIN", map->domain, "Domain of the route")->required();
  addRouteFlags(m, *map);
  m->footer("Example:\n  foundry map-route green apps.internal -n demo");

  auto unmap = std::make_shared<RouteOptions>();
  CLI::App* u = table.add("unmap-route", "Remove a route from an app",
                          [&context, unmap] { return unmapRouteCommand(context, *unmap); });
  u->add_option("APP_NAME", unmap->app, "The app")->required();
  u->add_option("DOMAIN", unmap->domain, "Domain of the route")->required();
  addRouteFlags(u, *unmap);
  u->footer("Example:\n  foundry unmap-route blue apps.internal -n demo");
}

}  // namespace foundry::cli
