#pragma once
// What the service commands share: name -> service instance / broker lookups, the marketplace
// catalog call, cf's error texts for service calls, and following a 202's job the way cf v8
// does (to the end with --wait, else only until the broker is being polled).
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "cli/api/cc_client.h"
#include "cli/commands/service_views.h"
#include "cli/output/ui.h"

namespace foundry::cli {

// The service instance named `name` in the space, or null.
Result<nlohmann::json> lookupServiceInstance(const CcClient& client, const std::string& space_guid,
                                             const std::string& name);
// As lookupServiceInstance, but "Service instance 'NAME' not found" when missing.
Result<nlohmann::json> findServiceInstance(const CcClient& client, const std::string& space_guid,
                                           const std::string& name);
// The broker named `name`, or null.
Result<nlohmann::json> lookupServiceBroker(const CcClient& client, const std::string& name);

// The plans the user may see, grouped by offering: one GET /v3/service_plans?per_page=5000
// &include=service_offering&fields[service_offering.service_broker]=name,guid plus `filters`
// ("&space_guids=...&service_offering_names=...", values already encoded).
Result<std::vector<CatalogOffering>> fetchCatalog(const CcClient& client,
                                                  const std::string& filters = "");

// The offering named `offering` (from broker `broker` when not empty) in the catalog; cf's
// errors when there is none or several brokers offer it.
Result<const CatalogOffering*> pickOffering(const std::vector<CatalogOffering>& catalog,
                                            const std::string& offering,
                                            const std::string& broker);

// The plan named `plan` of the offering; cf's "The plan P could not be found for service
// offering O." otherwise.
Result<const CatalogPlan*> pickPlan(const CatalogOffering& offering, const std::string& plan,
                                    const std::string& broker = "");

// The text for a failed service call: cf's "An operation for service instance NAME is in
// progress." for a 409 CF-AsyncServiceInstanceOperationInProgress, else the V3 detail.
std::string serviceReplyError(const ApiReply& reply, const std::string& instance_name);
// sendRaw() with a JSON body (none when `body` is null): every reply comes back, so callers
// can branch on cf's special cases (already bound, name taken); only transport fails.
Result<ApiReply> sendJson(const CcClient& client, const std::string& method,
                          const std::string& path, const nlohmann::json& body);
bool succeeded(const ApiReply& reply);
// sendJson(), with a non-2xx reply turned into serviceReplyError().
Result<ApiReply> serviceRequest(const CcClient& client, const std::string& method,
                                const std::string& path, const nlohmann::json& body,
                                const std::string& instance_name);

enum class JobOutcome { kComplete, kInProgress };
// After a service call: a 202 with a Location job is polled. With `wait` until COMPLETE,
// printing "Waiting for the operation to complete" and a dot per poll; without, only until
// the job is COMPLETE or POLLING (the broker answered asynchronously), as cf v8 does. A FAILED
// job is an error with its detail. Other replies are complete.
Result<JobOutcome> followJob(Ui& ui, const CcClient& client, const ApiReply& reply, bool wait);

// The app bindings (type "app") of these service instances, or of this app when
// `app_guid` is given; `instance_guids` may be empty then.
Result<std::vector<nlohmann::json>> appBindings(const CcClient& client,
                                                const std::vector<std::string>& instance_guids,
                                                const std::string& app_guid = "");
// app guid -> name for the apps of the space.
Result<std::map<std::string, std::string>> appNamesInSpace(const CcClient& client,
                                                           const std::string& space_guid);

}  // namespace foundry::cli
