#pragma once
// Name -> resource lookups the commands share (apps in the target space, domains, routes).
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "cli/api/cc_client.h"

namespace foundry::cli {

// The app named `name` in the space; an error "App 'name' not found." when there is none.
Result<nlohmann::json> findApp(const CcClient& client, const std::string& space_guid,
                               const std::string& name);
// As findApp but null when missing.
Result<nlohmann::json> lookupApp(const CcClient& client, const std::string& space_guid,
                                 const std::string& name);

Result<nlohmann::json> webProcess(const CcClient& client, const std::string& app_guid);

// Every domain; the domain named `name` ("Domain 'x' not found."); guid -> name.
Result<std::vector<nlohmann::json>> listDomains(const CcClient& client);
Result<nlohmann::json> findDomain(const CcClient& client, const std::string& name);
std::map<std::string, std::string> domainNames(const std::vector<nlohmann::json>& domains);
// The first shared domain (no owning organization), or the first domain; "" if none.
std::string defaultDomainName(const std::vector<nlohmann::json>& domains);

// The route for domain+host+path, or null.
Result<nlohmann::json> findRoute(const CcClient& client, const std::string& domain_guid,
                                 const std::string& host, const std::string& path);

// "host.domain/path" for a route (its `url` when present).
std::string routeUrl(const nlohmann::json& route,
                     const std::map<std::string, std::string>& domain_names);
// The same for user input: host may be empty.
std::string routeText(const std::string& host, const std::string& domain, const std::string& path);

// The routes mapped to an app, as "host.domain/path".
Result<std::vector<std::string>> appRouteUrls(const CcClient& client, const std::string& app_guid,
                                              const std::map<std::string, std::string>& domains);

// The route's destinations for one app (GET /v3/routes/:guid/destinations?app_guids=, whose
// list is under `destinations`, not `resources`).
Result<std::vector<nlohmann::json>> appDestinations(const CcClient& client,
                                                    const std::string& route_guid,
                                                    const std::string& app_guid);

// Normalises a --path flag: "" stays "", "x" becomes "/x".
std::string normaliseRoutePath(const std::string& path);

}  // namespace foundry::cli
