#pragma once
// Quota flags (cf's create-org-quota / create-space-quota) -> the V3 quota body, and the
// values quota tables print.
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "cli/common/result.h"

namespace foundry::cli {

struct QuotaFlags {
  std::optional<std::string> total_memory;       // -m "1G"; "-1" = unlimited
  std::optional<std::string> instance_memory;    // -i
  std::optional<std::string> app_instances;      // -a "10"; "-1" = unlimited
  std::optional<std::string> routes;             // -r
  std::optional<std::string> service_instances;  // -s
  std::optional<std::string> reserved_route_ports;
  bool allow_paid_service_plans = false;
};

// {"name", "apps":{...}, "services":{...}, "routes":{...}} with only the given limits (the
// server's defaults fill the rest), paid_services_allowed = the flag. Bad values are cf's
// usage errors.
Result<nlohmann::json> quotaBody(const std::string& name, const QuotaFlags& flags);

// A limit for a table: null -> "unlimited", memory in cf's units ("4G", "512M", "0").
std::string formatLimit(const nlohmann::json& value, bool memory);

}  // namespace foundry::cli
