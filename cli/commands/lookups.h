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

// Every domain (visible in the org when `org_guid` is given: shared + its private ones); the
// domain named `name` ("Domain 'x' not found."); guid -> name.
Result<std::vector<nlohmann::json>> listDomains(const CcClient& client,
                                                const std::string& org_guid = "");
Result<nlohmann::json> findDomain(const CcClient& client, const std::string& name);
std::map<std::string, std::string> domainNames(const std::vector<nlohmann::json>& domains);
// The first shared domain (no owning organization), or the first domain; "" if none.
std::string defaultDomainName(const std::vector<nlohmann::json>& domains);
// The org's default domain (GET /v3/organizations/:guid/domains/default), else
// defaultDomainName(domains) when the API lacks that endpoint.
std::string orgDefaultDomainName(const CcClient& client, const std::string& org_guid,
                                 const std::vector<nlohmann::json>& domains);

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

// Tenancy: the org named `name` ("Organization 'x' not found."), the space in an org
// ("Space 'x' not found."), the quotas by name; the lookup* forms give null when missing.
Result<nlohmann::json> lookupOrg(const CcClient& client, const std::string& name);
Result<nlohmann::json> findOrg(const CcClient& client, const std::string& name);
Result<nlohmann::json> lookupSpace(const CcClient& client, const std::string& org_guid,
                                   const std::string& name);
Result<nlohmann::json> findSpace(const CcClient& client, const std::string& org_guid,
                                 const std::string& name);
Result<nlohmann::json> findOrgQuota(const CcClient& client, const std::string& name);
Result<nlohmann::json> findSpaceQuota(const CcClient& client, const std::string& org_guid,
                                      const std::string& name);
// The CC user with this username (origin uaa), or null.
Result<nlohmann::json> lookupUser(const CcClient& client, const std::string& username,
                                  const std::string& origin = "uaa");

// POST /v3/roles of `type` for the user (`user_data`: {"guid"} or {"username","origin"}) in
// the org or space (`scope` "organization" or "space"). true = created, false = the user
// already had it (CC's 422 "User 'x' already has 'y' role"), which cf treats as success.
Result<bool> createRole(const CcClient& client, const std::string& type,
                        const nlohmann::json& user_data, const std::string& scope,
                        const std::string& scope_guid);

// DELETE `path` and wait for its job (202) when there is one. false = it was not there (404).
Result<bool> deleteAndWait(const CcClient& client, const std::string& path);

// relationships.<name>.data.guid, or "".
std::string relationshipGuid(const nlohmann::json& resource, const std::string& name);

// Normalises a --path flag: "" stays "", "x" becomes "/x".
std::string normaliseRoutePath(const std::string& path);

}  // namespace foundry::cli
