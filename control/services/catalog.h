#pragma once
// Reading a broker's catalog (GET /v2/catalog, PLATFORM-APIS.md A.6) into the records the
// store keeps. Pure: no store, no network, so the rules are tested on their own and the API's
// synchronization (control/api/service_catalog.cc) only matches and writes.

#include <string>
#include <vector>

#include "control/store/service_records.h"

namespace foundry::control::services {

// One service of the catalog with its plans, as records without guids or timestamps. Plan
// `bindable` / `plan_updateable` already fall back to the offering's; `costs` is in V3's
// shape [{amount, currency, unit}]; plans' visibility_type is left for the caller to decide.
struct CatalogEntry {
  ServiceOffering offering;
  std::vector<ServicePlan> plans;
};

struct ParsedCatalog {
  std::vector<CatalogEntry> entries;
  // Every rule the catalog breaks, one line each ("Service kv: Plan small: id must be a
  // non-empty string"); empty when the catalog is valid.
  std::vector<std::string> problems;
};

ParsedCatalog parseCatalog(const std::string& body);

}  // namespace foundry::control::services
