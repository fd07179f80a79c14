#pragma once
// JSON shapes of the marketplace resources (PLATFORM-APIS.md B.3): service brokers (never
// their credentials), offerings, plans and a plan's visibility. `base` is the URL prefix of
// every href.

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "control/store/store.h"

namespace foundry::control {

nlohmann::json presentServiceBroker(const std::string& base, const ServiceBroker& broker);
nlohmann::json presentServiceOffering(const std::string& base, const ServiceOffering& offering);
// `space_guid`: the space of the plan's broker when it is space-scoped.
nlohmann::json presentServicePlan(const std::string& base, const ServicePlan& plan,
                                  const std::optional<std::string>& space_guid);
// GET /v3/service_plans/:guid/visibility: {type} plus the organizations ({guid, name}) of an
// `organization` plan or the space ({guid, name}) of a space-scoped broker's plan.
nlohmann::json presentPlanVisibility(const ServicePlan& plan,
                                     const std::vector<Organization>& organizations,
                                     const std::optional<Space>& space);
// A parent cut down to the `fields` asked for (fields[service_offering.service_broker]=name,guid).
nlohmann::json partialServiceBroker(const ServiceBroker& broker,
                                    const std::vector<std::string>& fields);

}  // namespace foundry::control
