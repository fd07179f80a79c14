// shift-traffic: a gradual blue-green switch with weighted destinations. Each step replaces the
// route's destinations (PATCH /v3/routes/:guid/destinations) with both apps weighted, the new
// app's share growing evenly; the last step leaves the new app alone, which unmaps the old one.
#include <CLI/CLI.hpp>
#include <thread>

#include "cli/commands/commands.h"
#include "cli/commands/lookups.h"
#include "cli/commands/traffic_shift.h"
#include "cli/manifest/manifest.h"

namespace foundry::cli {

using nlohmann::json;

namespace {

struct ShiftOptions {
  std::string route;
  std::string from;
  std::string to;
  int steps = 5;
  std::string interval = "10s";
};

std::string appGuidOf(const json& destination) {
  try {
    return destination.at("app").at("guid").get<std::string>();
  } catch (const std::exception&) {
    return "";
  }
}

// The destination as a request item (process type, port and protocol kept) with `weight`.
json weighted(const json& destination, int weight) {
  json item = {{"app", {{"guid", appGuidOf(destination)}}}, {"weight", weight}};
  try {
    item["app"]["process"] = {{"type", destination.at("app").at("process").at("type")}};
  } catch (const std::exception&) {
  }
  if (destination.contains("port") && destination["port"].is_number_integer()) {
    item["port"] = destination["port"];
  }
  if (destination.contains("protocol") && destination["protocol"].is_string()) {
    item["protocol"] = destination["protocol"];
  }
  return item;
}

int shiftTraffic(Context& context, const ShiftOptions& o) {
  Ui& ui = context.ui();
  auto client = context.targetedClient();
  if (!client) return ui.failed(client.error());
  auto weights = shiftWeights(o.steps);
  if (!weights) return ui.failed(weights.error());
  auto interval = parseInterval(o.interval);
  if (!interval) return ui.failed(interval.error());
  if (o.from == o.to) return ui.failed("--from and --to name the same app");

  auto domains = listDomains(*client);
  if (!domains) return ui.failed(domains.error());
  std::vector<std::string> names;
  for (const auto& [guid, name] : domainNames(*domains)) names.push_back(name);
  auto address = splitRoute(o.route, names);  // as push's manifest routes are split
  if (!address) return ui.failed(address.error());
  while (address->path.size() > 1 && address->path.back() == '/') address->path.pop_back();
  const std::string text = routeText(address->host, address->domain, address->path);
  auto domain = findDomain(*client, address->domain);
  if (!domain) return ui.failed(domain.error());
  auto route = findRoute(*client, (*domain)["guid"], address->host, address->path);
  if (!route) return ui.failed(route.error());
  if (route->is_null()) return ui.failed("Route '" + text + "' not found.");
  const std::string route_guid = (*route)["guid"];
  auto old_app = findApp(*client, context.config().space_guid, o.from);
  if (!old_app) return ui.failed(old_app.error());
  auto new_app = findApp(*client, context.config().space_guid, o.to);
  if (!new_app) return ui.failed(new_app.error());
  const std::string old_guid = (*old_app)["guid"];
  const std::string new_guid = (*new_app)["guid"];

  const std::string destinations_path = "/v3/routes/" + route_guid + "/destinations";
  auto current = client->get(destinations_path);
  if (!current) return ui.failed(current.error());
  std::vector<json> old_destinations, new_destinations;
  std::vector<std::string> others;
  for (const auto& d : current->body.value("destinations", json::array())) {
    std::string guid = appGuidOf(d);
    if (guid == old_guid) {
      old_destinations.push_back(d);
    } else if (guid == new_guid) {
      new_destinations.push_back(d);
    } else {
      others.push_back(guid);
    }
  }
  if (old_destinations.empty()) {
    return ui.failed("App '" + o.from + "' is not mapped to route '" + text + "'.");
  }
  if (!others.empty()) {
    return ui.failed("Route '" + text + "' also routes to other apps (" + others[0] +
                     "); shift-traffic moves traffic between two apps only.");
  }
  if (new_destinations.empty()) new_destinations.push_back({{"app", {{"guid", new_guid}}}});

  ui.say("Shifting traffic on route " + text + " from " + o.from + " to " + o.to + " in " +
         std::to_string(weights->size()) + " steps as " + context.userName() + "...");
  for (size_t i = 0; i < weights->size(); ++i) {
    const int to_weight = (*weights)[i];
    json list = json::array();
    if (to_weight < 100) {
      for (const auto& d : old_destinations) list.push_back(weighted(d, 100 - to_weight));
    }
    for (const auto& d : new_destinations) list.push_back(weighted(d, to_weight));
    auto reply = client->patch(destinations_path, {{"destinations", list}});
    if (!reply) {
      return ui.failed("Step " + std::to_string(i + 1) + " failed (the route keeps the previous "
                       "step's weights): " + reply.error());
    }
    std::string step = "Step " + std::to_string(i + 1) + "/" + std::to_string(weights->size()) +
                       ": ";
    ui.say(to_weight < 100 ? step + o.from + " " + std::to_string(100 - to_weight) + "%, " +
                                 o.to + " " + std::to_string(to_weight) + "%"
                           : step + o.to + " 100%, " + o.from + " unmapped");
    if (i + 1 < weights->size()) std::this_thread::sleep_for(*interval);
  }
  ui.ok();
  return 0;
}

}  // namespace

void addShiftTrafficCommand(CommandTable& table) {
  Context& context = table.context();
  auto options = std::make_shared<ShiftOptions>();
  CLI::App* c = table.add("shift-traffic",
                          "Move a route's traffic from one app to another in weighted steps",
                          [&context, options] { return shiftTraffic(context, *options); });
  c->add_option("ROUTE", options->route, "The route, e.g. demo.apps.internal or host.domain/path")
      ->required();
  c->add_option("--from", options->from, "The app losing the traffic (mapped to the route)")
      ->required();
  c->add_option("--to", options->to, "The app gaining it (mapped by the first step if needed)")
      ->required();
  c->add_option("--steps", options->steps, "Number of steps (1-100, default 5)");
  c->add_option("--interval", options->interval,
                "Wait between steps: ms, s or m (default 10s)");
  c->footer(
      "Example:\n  foundry shift-traffic demo.apps.internal --from blue --to green --steps 4 "
      "--interval 30s\n  (blue 75% green 25%, 50/50, 25/75, then green 100% and blue unmapped)");
}

}  // namespace foundry::cli
