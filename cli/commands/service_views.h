#pragma once
// Turning V3 service JSON into what the commands print: the marketplace (offerings with their
// plans and brokers, from one GET /v3/service_plans?include=service_offering&fields[...]
// reply), the services table and last-operation texts. Pure functions, unit-tested on canned
// replies.
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace foundry::cli {

struct CatalogPlan {
  std::string guid;
  std::string name;
  std::string description;
  bool free = true;
  bool available = true;
  std::string costs;  // cf's "USD 10.00/Monthly, ..."
  std::string visibility;
};

struct CatalogOffering {
  std::string guid;
  std::string name;
  std::string description;
  std::string documentation_url;
  std::vector<std::string> tags;
  std::string broker_guid;
  std::string broker_name;
  std::vector<CatalogPlan> plans;
};

// The offerings of a service_plans list reply (plans grouped under their offering, offerings
// in the order the plans name them), with offering and broker details from `included`.
std::vector<CatalogOffering> parseCatalog(const nlohmann::json& plans_reply);

// The offering holding `plan_guid` (and the plan), or nullptrs.
struct PlanRef {
  const CatalogOffering* offering = nullptr;
  const CatalogPlan* plan = nullptr;
};
PlanRef findPlan(const std::vector<CatalogOffering>& catalog, const std::string& plan_guid);

// marketplace's table: "offering plans description broker" (available plans only), or with
// `no_plans` "offering description broker". Offerings without available plans are left out.
std::vector<std::vector<std::string>> marketplaceRows(const std::vector<CatalogOffering>& catalog,
                                                      bool no_plans);
// marketplace -e: "plan description free or paid costs" for one offering's available plans.
std::vector<std::vector<std::string>> planRows(const CatalogOffering& offering);

// "create succeeded", "update in progress"... from last_operation; "" when there is none.
std::string lastOperationText(const nlohmann::json& resource);

// last_operation.description, or "".
std::string lastOperationDescription(const nlohmann::json& resource);

// services' table: name, offering ("user-provided" for UPSIs), plan, bound apps, last
// operation, broker, upgrade available. `bound_apps` maps instance guid -> app names.
std::vector<std::vector<std::string>> servicesRows(
    const std::vector<nlohmann::json>& instances, const std::vector<CatalogOffering>& catalog,
    const std::map<std::string, std::vector<std::string>>& bound_apps);

// "a, b, c"
std::string joinList(const std::vector<std::string>& items);
// A JSON array of strings as "a, b"; anything else "".
std::string joinStrings(const nlohmann::json& array);

}  // namespace foundry::cli
