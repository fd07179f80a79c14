#include "cli/commands/lookups.h"

#include "cli/commands/roles.h"

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

Result<std::vector<json>> listDomains(const CcClient& client, const std::string& org_guid) {
  if (org_guid.empty()) return client.listAll("/v3/domains?per_page=200");
  return client.listAll("/v3/organizations/" + org_guid + "/domains?per_page=200");
}

std::string orgDefaultDomainName(const CcClient& client, const std::string& org_guid,
                                 const std::vector<json>& domains) {
  auto reply =
      client.sendRaw("GET", "/v3/organizations/" + org_guid + "/domains/default", "", "", 30000);
  if (reply && reply->status == 200 && reply->body.is_object()) {
    std::string name = reply->body.value("name", "");
    if (!name.empty()) return name;
  }
  return defaultDomainName(domains);
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

Result<json> lookupOrg(const CcClient& client, const std::string& name) {
  return client.first("/v3/organizations?names=" + urlEncode(name));
}

Result<json> findOrg(const CcClient& client, const std::string& name) {
  auto org = lookupOrg(client, name);
  if (!org) return org;
  if (org->is_null()) return Result<json>::fail("Organization '" + name + "' not found.");
  return org;
}

Result<json> lookupSpace(const CcClient& client, const std::string& org_guid,
                         const std::string& name) {
  return client.first("/v3/spaces?names=" + urlEncode(name) + "&organization_guids=" + org_guid);
}

Result<json> findSpace(const CcClient& client, const std::string& org_guid,
                       const std::string& name) {
  auto space = lookupSpace(client, org_guid, name);
  if (!space) return space;
  if (space->is_null()) return Result<json>::fail("Space '" + name + "' not found.");
  return space;
}

Result<json> findOrgQuota(const CcClient& client, const std::string& name) {
  auto quota = client.first("/v3/organization_quotas?names=" + urlEncode(name));
  if (!quota) return quota;
  if (quota->is_null()) return Result<json>::fail("Organization quota '" + name + "' not found.");
  return quota;
}

Result<json> findSpaceQuota(const CcClient& client, const std::string& org_guid,
                            const std::string& name) {
  auto quota = client.first("/v3/space_quotas?names=" + urlEncode(name) +
                            "&organization_guids=" + org_guid);
  if (!quota) return quota;
  if (quota->is_null()) return Result<json>::fail("Space quota '" + name + "' not found.");
  return quota;
}

Result<json> lookupUser(const CcClient& client, const std::string& username,
                        const std::string& origin) {
  return client.first("/v3/users?usernames=" + urlEncode(username) +
                      "&origins=" + urlEncode(origin));
}

Result<bool> createRole(const CcClient& client, const std::string& type, const json& user_data,
                        const std::string& scope, const std::string& scope_guid) {
  json body = {{"type", type},
               {"relationships",
                {{"user", {{"data", user_data}}}, {scope, {{"data", {{"guid", scope_guid}}}}}}}};
  auto reply = client.sendRaw("POST", "/v3/roles", body.dump(), "application/json", 30000);
  if (!reply) return Result<bool>::fail(reply.error());
  if (reply->status >= 200 && reply->status < 300) return Result<bool>::ok(true);
  std::string message = replyError(*reply);
  if (reply->status == 422 && isRoleAlreadyExists(message)) return Result<bool>::ok(false);
  return Result<bool>::fail(message);
}

Result<bool> deleteAndWait(const CcClient& client, const std::string& path) {
  auto reply = client.sendRaw("DELETE", path, "", "", 30000);
  if (!reply) return Result<bool>::fail(reply.error());
  if (reply->status == 404) return Result<bool>::ok(false);
  if (reply->status < 200 || reply->status >= 300) {
    return Result<bool>::fail(replyError(*reply));
  }
  if (reply->status == 202 && !reply->location.empty()) {
    Status done = client.waitForJob(reply->location, std::chrono::minutes(5));
    if (!done) return Result<bool>::fail(done.error());
  }
  return Result<bool>::ok(true);
}

std::string relationshipGuid(const json& resource, const std::string& name) {
  try {
    const json& data = resource.at("relationships").at(name).at("data");
    if (data.is_object() && data.contains("guid") && data["guid"].is_string()) {
      return data["guid"].get<std::string>();
    }
  } catch (const std::exception&) {
  }
  return "";
}

std::string normaliseRoutePath(const std::string& path) {
  if (path.empty() || path[0] == '/') return path;
  return "/" + path;
}

}  // namespace foundry::cli
