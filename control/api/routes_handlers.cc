// /v3/routes and /v3/routes/:guid/destinations (http routes on the shared domain).
#include <algorithm>
#include <cctype>

#include "control/api/api.h"
#include "control/api/body.h"
#include "control/api/presenters.h"
#include "control/api/route_options.h"

namespace foundry::control {

using nlohmann::json;

namespace {

void checkHost(const std::string& host) {
  if (host.empty()) {
    throw unprocessable("Missing host. Routes in shared domains must have a host defined.");
  }
  if (host.size() > 63) {
    throw unprocessable("Host is too long (maximum is 63 characters)");
  }
  if (host != "*" && !std::all_of(host.begin(), host.end(), [](unsigned char ch) {
        return std::isalnum(ch) || ch == '-' || ch == '_';
      })) {
    throw unprocessable(
        "Host must be either \"*\" or contain only alphanumeric characters, \"_\", or \"-\"");
  }
}

void checkPath(const std::string& path) {
  if (path.empty()) {
    return;
  }
  if (path[0] != '/') throw unprocessable("Path must begin with a forward slash '/'.");
  if (path == "/") throw unprocessable("Path cannot be exactly '/'.");
  if (path.find('?') != std::string::npos) throw unprocessable("Path cannot contain '?'.");
  if (path.size() >= 128) throw unprocessable("Path is too long (maximum is 127 characters)");
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char ch) { return std::tolower(ch); });
  return s;
}

json storedOptions(const Route& r) {
  json options = json::parse(r.options, nullptr, false);
  return options.is_object() ? options : json::object();
}

// Cloud Controller's rule from when destinations had weights: all of a route's destinations
// have one, or none has.
void checkWeightsAllOrNone(const std::vector<Destination>& existing,
                           const std::vector<Destination>& added) {
  size_t weighted = 0;
  size_t total = 0;
  for (const auto* list : {&existing, &added}) {
    for (const Destination& d : *list) {
      ++total;
      weighted += d.weight.has_value() ? 1 : 0;
    }
  }
  if (weighted != 0 && weighted != total) {
    throw unprocessable("Destinations cannot contain both weighted and unweighted destinations.");
  }
}

}  // namespace

json Api::presentRoute(const Ctx& c, const Route& r) {
  const std::string& base = c.req.base_url;
  const std::string self = base + "/v3/routes/" + r.guid;
  auto domain = store_.getDomain(r.domain_guid);
  const std::string domain_name = domain ? domain->name : "";
  json destinations = json::array();
  for (const auto& d : store_.listDestinations(r.guid)) {
    destinations.push_back(presentDestination(d));
  }
  return {{"guid", r.guid},
          {"created_at", r.created_at},
          {"updated_at", r.updated_at},
          {"protocol", "http"},
          {"host", r.host},
          {"path", r.path},
          {"port", nullptr},
          {"url", (r.host.empty() ? "" : r.host + ".") + domain_name + r.path},
          {"destinations", std::move(destinations)},
          {"options", storedOptions(r)},
          {"metadata", {{"labels", json::object()}, {"annotations", json::object()}}},
          {"relationships",
           {{"space", {{"data", {{"guid", r.space_guid}}}}},
            {"domain", {{"data", {{"guid", r.domain_guid}}}}}}},
          {"links",
           {{"self", {{"href", self}}},
            {"space", {{"href", base + "/v3/spaces/" + r.space_guid}}},
            {"domain", {{"href", base + "/v3/domains/" + r.domain_guid}}},
            {"destinations", {{"href", self + "/destinations"}}}}}};
}

json Api::presentDestinations(const Ctx& c, const Route& route,
                              const std::vector<Destination>& destinations) {
  json list = json::array();
  for (const auto& d : destinations) {
    list.push_back(presentDestination(d));
  }
  const std::string self = c.url("/v3/routes/" + route.guid);
  return {{"destinations", std::move(list)},
          {"links", {{"self", {{"href", self + "/destinations"}}}, {"route", {{"href", self}}}}}};
}

ApiResponse Api::createRoute(Ctx& c) {
  json b = c.body();
  body::allowOnly(b, {"host", "path", "relationships", "options"});
  Route r;
  r.guid = newGuid();
  r.host = lower(body::optString(b, "host", "Host").value_or(""));
  r.path = body::optString(b, "path", "Path").value_or("");
  if (b.contains("options") && !b["options"].is_null()) {
    r.options = mergeRouteOptions(json::object(), b["options"], !r.path.empty()).dump();
  }
  auto space_guid = body::relationshipGuid(b, "space");
  auto domain_guid = body::relationshipGuid(b, "domain");
  if (!space_guid) throw unprocessable("Relationships space can't be blank");
  if (!domain_guid) throw unprocessable("Relationships domain can't be blank");
  auto space = store_.getSpace(*space_guid);
  if (!space || !c.can().canReadSpace(*space)) {
    throw unprocessable("Invalid space. Ensure that the space exists and you have access to it.");
  }
  // A private domain serves only its own organization's spaces.
  auto domain = store_.getDomain(*domain_guid);
  if (!domain || (domain->organization_guid && *domain->organization_guid != space->organization_guid)) {
    throw unprocessable("Invalid domain. Ensure that the domain exists and you have access to it.");
  }
  authorizeSpace(c, space->guid, Access::Write, "Space");
  if (!domain->organization_guid) checkHost(r.host);
  checkRouteQuota(*space);
  checkPath(r.path);
  r.space_guid = *space_guid;
  r.domain_guid = *domain_guid;
  r.created_at = r.updated_at = nowIso8601();
  switch (store_.createRoute(r)) {
    case WriteResult::Ok:
      break;
    case WriteResult::Duplicate:
      throw unprocessable("Route already exists with host '" + r.host + "'" +
                          (r.path.empty() ? "" : " and path '" + r.path + "'") +
                          " for domain '" + domain->name + "'.");
    default:
      throw unprocessable("Invalid space. Ensure that the space exists and you have access to it.");
  }
  audit(c, "audit.route.create", "route", r.guid, r.host, r.space_guid);
  return {201, presentRoute(c, r), {}};
}

ApiResponse Api::listRoutes(Ctx& c, const std::string& app_guid) {
  c.query.allowOnly({"guids", "hosts", "paths", "domain_guids", "space_guids", "app_guids",
                     "page", "per_page", "order_by"});
  PageRequest page = readPageRequest(c.query, {"created_at", "updated_at"});
  RouteFilter f;
  if (auto* v = c.query.find("guids")) f.guids = *v;
  if (auto* v = c.query.find("hosts")) {
    for (const auto& h : *v) f.hosts.push_back(lower(h));
  }
  if (auto* v = c.query.find("paths")) f.paths = *v;
  if (auto* v = c.query.find("domain_guids")) f.domain_guids = *v;
  if (auto* v = c.query.find("space_guids")) f.space_guids = *v;
  if (auto* v = c.query.find("app_guids")) f.app_guids = *v;
  if (!app_guid.empty()) {
    f.app_guids = {app_guid};
  }
  std::vector<Route> routes;
  if (scopeFilter(f.space_guids, c.can().readableSpaces())) routes = store_.listRoutes(f);
  std::function<std::string(const Route&)> key = [&](const Route& r) {
    return page.order_by == "updated_at" ? r.updated_at : r.created_at;
  };
  std::function<json(const Route&)> present = [&](const Route& r) { return presentRoute(c, r); };
  return {200,
          presentList(c.req.base_url,
                      app_guid.empty() ? "/v3/routes" : "/v3/apps/" + app_guid + "/routes",
                      c.req.query, page, std::move(routes), key, present),
          {}};
}

// The route, if the caller may do `access` in its space (404 "Route not found" otherwise).
Route Api::requireRoute(const Ctx& c, const std::string& guid, Access access) {
  auto r = store_.getRoute(guid);
  if (!r) throw notFound("Route");
  authorizeSpace(c, r->space_guid, access, "Route");
  return *r;
}

ApiResponse Api::getRoute(Ctx& c, const std::string& guid) {
  return {200, presentRoute(c, requireRoute(c, guid, Access::Read)), {}};
}

// PATCH /v3/routes/:guid: the options (merged key by key, null removes one). The apps routed
// by it get their LRP routes re-sent, so the router sees the change within a register.
ApiResponse Api::updateRoute(Ctx& c, const std::string& guid) {
  Route r = requireRoute(c, guid, Access::Write);
  json b = c.body();
  body::allowOnly(b, {"options"});
  if (b.contains("options") && !b["options"].is_null()) {
    r.options = mergeRouteOptions(storedOptions(r), b["options"], !r.path.empty()).dump();
  }
  r.updated_at = nowIso8601();
  if (store_.updateRoute(r) != WriteResult::Ok) throw notFound("Route");
  audit(c, "audit.route.update", "route", r.guid, r.host, r.space_guid);
  for (const auto& app_guid : appsRoutedBy(guid)) desiredStateChanged(app_guid);
  return {200, presentRoute(c, r), {}};
}

ApiResponse Api::deleteRoute(Ctx& c, const std::string& guid) {
  Route r = requireRoute(c, guid, Access::Write);
  audit(c, "audit.route.delete-request", "route", r.guid, r.host, r.space_guid);
  return startDeleteJob(c, "route.delete", "route", guid);
}

ApiResponse Api::listDestinations(Ctx& c, const std::string& route_guid) {
  auto route = std::optional<Route>(requireRoute(c, route_guid, Access::Read));
  c.query.allowOnly({"guids", "app_guids"});
  auto destinations = store_.listDestinations(route_guid);
  const auto* guids = c.query.find("guids");
  const auto* apps = c.query.find("app_guids");
  std::erase_if(destinations, [&](const Destination& d) {
    return (guids && std::find(guids->begin(), guids->end(), d.guid) == guids->end()) ||
           (apps && std::find(apps->begin(), apps->end(), d.app_guid) == apps->end());
  });
  return {200, presentDestinations(c, *route, destinations), {}};
}

ApiResponse Api::addDestinations(Ctx& c, const std::string& route_guid, bool replace) {
  auto route = std::optional<Route>(requireRoute(c, route_guid, Access::Write));
  json b = c.body();
  body::allowOnly(b, {"destinations"});
  if (!b.contains("destinations") || !b["destinations"].is_array()) {
    throw unprocessable("Destinations must be an array");
  }
  if (!replace && b["destinations"].empty()) {
    throw unprocessable("Destinations must have at least 1 destination");
  }
  const std::string now = nowIso8601();
  std::vector<Destination> wanted;
  std::string missing_apps;
  for (size_t i = 0; i < b["destinations"].size(); ++i) {
    const json& d = b["destinations"][i];
    const std::string at = "Destinations[" + std::to_string(i) + "]: ";
    if (!d.is_object()) throw unprocessable(at + "must be an object");
    body::allowOnly(d, {"app", "port", "protocol", "weight"});
    if (!d.contains("app") || !d["app"].is_object() || !d["app"].contains("guid") ||
        !d["app"]["guid"].is_string()) {
      throw unprocessable(at + "app must have the structure {\"guid\": \"app_guid\"}");
    }
    body::allowOnly(d["app"], {"guid", "process"});
    Destination dest;
    dest.guid = newGuid();
    dest.route_guid = route_guid;
    dest.app_guid = d["app"]["guid"].get<std::string>();
    if (d["app"].contains("process")) {
      const json& p = d["app"]["process"];
      if (!p.is_object() || !p.contains("type") || !p["type"].is_string() ||
          p["type"].get<std::string>().empty()) {
        throw unprocessable(at + "process must have the structure {\"type\": \"process_type\"}");
      }
      dest.process_type = p["type"].get<std::string>();
    }
    if (auto port = body::optInteger(d, "port", at + "port")) {
      if (*port < 1024 || *port > 65535) {
        throw unprocessable(at + "port must be between 1024 and 65535");
      }
      dest.port = *port;
    }
    if (auto protocol = body::optString(d, "protocol", at + "protocol")) {
      if (*protocol != "http1" && *protocol != "http2") {
        throw unprocessable(at + "protocol must be 'http1' or 'http2' for http routes");
      }
      dest.protocol = *protocol;
    }
    if (d.contains("weight") && !d["weight"].is_null()) {
      const json& weight = d["weight"];
      if (!weight.is_number_integer() || weight.get<int64_t>() < 1 ||
          weight.get<int64_t>() > 100) {
        throw unprocessable(at + "weight must be an integer between 1 and 100");
      }
      dest.weight = weight.get<int64_t>();
    }
    auto app = store_.getApp(dest.app_guid);
    auto app_space = app ? store_.getSpace(app->space_guid) : std::nullopt;
    if (!app || !app_space || !c.can().canReadSpace(*app_space)) {
      missing_apps += (missing_apps.empty() ? "\"" : ", \"") + dest.app_guid + "\"";
      continue;
    }
    if (app->space_guid != route->space_guid) {
      throw unprocessable("Routes destinations must be in either the route's space or the "
                          "route's shared spaces");
    }
    dest.created_at = dest.updated_at = now;
    wanted.push_back(std::move(dest));
  }
  if (!missing_apps.empty()) {
    throw unprocessable("App(s) with guid(s) " + missing_apps +
                        " do not exist or you do not have access.");
  }
  auto same = [](const Destination& a, const Destination& b) {
    return a.app_guid == b.app_guid && a.process_type == b.process_type && a.port == b.port &&
           a.protocol == b.protocol;
  };
  // Duplicates (in the request, or already on the route when appending) are added once.
  std::vector<Destination> existing = replace ? std::vector<Destination>{}
                                              : store_.listDestinations(route_guid);
  std::vector<Destination> fresh;
  for (auto& d : wanted) {
    auto dup = [&](const Destination& e) { return same(e, d); };
    if (std::none_of(existing.begin(), existing.end(), dup) &&
        std::none_of(fresh.begin(), fresh.end(), dup)) {
      fresh.push_back(std::move(d));
    }
  }
  checkWeightsAllOrNone(existing, fresh);
  std::vector<std::string> previous_apps =
      replace ? appsRoutedBy(route_guid) : std::vector<std::string>{};
  WriteResult r = replace ? store_.replaceDestinations(route_guid, fresh)
                          : store_.addDestinations(fresh);
  if (r == WriteResult::NotFound && !replace && fresh.empty()) {
    r = WriteResult::Ok;  // nothing new to add
  }
  if (r != WriteResult::Ok) {
    // The route or an app vanished between the checks and the write (another request).
    throw unprocessable("The route or an app of the destinations no longer exists");
  }
  // Apps gaining the route, and (replace) apps losing it, get their LRP routes updated.
  std::vector<std::string> changed = std::move(previous_apps);
  for (const auto& d : fresh) {
    if (std::find(changed.begin(), changed.end(), d.app_guid) == changed.end()) {
      changed.push_back(d.app_guid);
    }
  }
  for (const auto& app_guid : changed) desiredStateChanged(app_guid);
  return {200, presentDestinations(c, *route, store_.listDestinations(route_guid)), {}};
}

ApiResponse Api::deleteDestination(Ctx& c, const std::string& route_guid,
                                   const std::string& destination_guid) {
  requireRoute(c, route_guid, Access::Write);
  std::string app_guid;
  for (const auto& d : store_.listDestinations(route_guid)) {
    if (d.guid == destination_guid) app_guid = d.app_guid;
  }
  if (store_.deleteDestination(route_guid, destination_guid) != WriteResult::Ok) {
    // Cloud Controller's wording (a 422, not a 404).
    throw unprocessable(
        "Unable to unmap route from destination. Ensure the route has a destination with this "
        "guid.");
  }
  desiredStateChanged(app_guid);
  return {204, nullptr, {}};
}

}  // namespace foundry::control
