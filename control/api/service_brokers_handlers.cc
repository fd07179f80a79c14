// Service brokers and their catalogs: /v3/service_brokers, /v3/service_offerings,
// /v3/service_plans and plan visibility. (Being built: answers nothing yet.)
#include "control/api/api.h"

namespace foundry::control {

std::optional<ApiResponse> Api::dispatchMarketplace(Ctx&) { return std::nullopt; }

int Api::advanceCatalogJobs() { return 0; }

}  // namespace foundry::control
