// Service instances: /v3/service_instances. (Being built.)
#include "control/api/api.h"

namespace foundry::control {

std::optional<ApiResponse> Api::dispatchServiceInstances(Ctx&) { return std::nullopt; }

int Api::advanceServiceOperations() { return advanceCatalogJobs(); }

nlohmann::json Api::vcapServices(const std::string&) { return nlohmann::json::object(); }

}  // namespace foundry::control
