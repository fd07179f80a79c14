#include "cli/commands/lookups.h"

namespace foundry::cli {

using nlohmann::json;

Result<json> lookupApp(const CcClient& client, const std::string& space_guid,
                       const std::string& name) {
  return client.first("/v3/apps?names=" + urlEncode(name) + "&space_guids=" + space_guid);
}

Result<json> findApp(const CcClient& client, const std::string& space_guid,
                     const std::string& name) {
  auto app = lookupApp(client, space_guid, name);
  if (!app) return app;
  if (app->is_null()) return Result<json>::fail("App '" + name + "' not found.");
  return app;
}

Result<json> webProcess(const CcClient& client, const std::string& app_guid) {
  auto reply = client.get("/v3/apps/" + app_guid + "/processes/web");
  if (!reply) return Result<json>::fail(reply.error());
  return Result<json>::ok(reply->body);
}

Result<std::vector<json>> listDomains(const CcClient& client) {
  return client.listAll("/v3/domains?per_page=200");
}

Result<json> findDomain(const CcClient& client, const std::string& name) {
  auto domain = client.first("/v3/domains?names=" + urlEncode(name));
  if (!domain) return domain;
  if (domain->is_null()) return Result<json>::fail("Domain '" + name + "' not found.");
  return domain;
}

std::map<std::string, std::string> domainNames(const std::vector<json>& domains) {
  std::map<std::string, std::string> names;
  for (const auto& d : domains) names[d.value("guid", "")] = d.value("name", "");
  return names;
}

std::string defaultDomainName(const std::vector<json>& domains) {
  for (const auto& d : domains) {
    const json org = d.contains("relationships") && d["relationships"].is_object()
                         ? d["relationships"].value("organization", json::object())
                         : json::object();
    bool shared = !org.is_object() || !org.contains("data") || org["data"].is_null();
    if (shared) return d.value("name", "");
  }
  return domains.empty() ? "" : domains.front().value("name", "");
}

Result<json> findRoute(const CcClient& client, const std::string& domain_guid,
                       const std::string& host, const std::string& path) {
  // `paths=` with an empty value is not a filter everywhere, so match the path here.
  auto routes =
      client.listAll("/v3/routes?domain_guids=" + domain_guid + "&hosts=" + urlEncode(host));
  if (!routes) return Result<json>::fail(routes.error());
  for (const auto& route : *routes) {
    if (route.value("host", "") == host && route.value("path", "") == path) {
      return Result<json>::ok(route);
    }
  }
  return Result<json>::ok(json());
}

std::string routeText(const std::string& host, const std::string& domain, const std::string& path) {
  return (host.empty() ? domain : host + "." + domain) + path;
}

std::string routeUrl(const json& route, const std::map<std::string, std::string>& domain_names) {
  if (route.contains("url") && route["url"].is_string()) return route["url"].get<std::string>();
  std::string domain;
  try {
    domain = domain_names.at(route["relationships"]["domain"]["data"]["guid"].get<std::string>());
  } catch (const std::exception&) {
  }
  return routeText(route.value("host", ""), domain, route.value("path", ""));
}

Result<std::vector<std::string>> appRouteUrls(const CcClient& client, const std::string& app_guid,
                                              const std::map<std::string, std::string>& domains) {
  auto routes = client.listAll("/v3/apps/" + app_guid + "/routes");
  if (!routes) return Result<std::vector<std::string>>::fail(routes.error());
  std::vector<std::string> urls;
  for (const auto& route : *routes) urls.push_back(routeUrl(route, domains));
  return Result<std::vector<std::string>>::ok(urls);
}

Result<std::vector<json>> appDestinations(const CcClient& client, const std::string& route_guid,
                                          const std::string& app_guid) {
  auto reply = client.get("/v3/routes/" + route_guid + "/destinations?app_guids=" + app_guid);
  if (!reply) return Result<std::vector<json>>::fail(reply.error());
  const json& body = reply->body;
  json list = json::array();
  if (body.is_object() && body.contains("destinations")) list = body["destinations"];
  if (body.is_object() && body.contains("resources")) list = body["resources"];
  std::vector<json> mine;
  if (!list.is_array()) return Result<std::vector<json>>::ok(mine);
  for (const auto& d : list) {
    // Filter here too, in case the server ignores app_guids.
    if (d.is_object() && d.contains("app") && d["app"].is_object() &&
        d["app"].value("guid", "") == app_guid) {
      mine.push_back(d);
    }
  }
  return Result<std::vector<json>>::ok(mine);
}

std::string normaliseRoutePath(const std::string& path) {
  if (path.empty() || path[0] == '/') return path;
  return "/" + path;
}

}  // namespace foundry::cli
