#pragma once
// The postgres broker's catalog (A.6): one offering `postgresql`, plans small / large / async.

#include <optional>
#include <string>

#include <nlohmann/json.hpp>

namespace foundry::pgbroker {

struct Plan {
  const char* id;
  const char* name;
  int connection_limit;
  bool async;  // provision, update and deprovision answer 202 and run in the background
};

extern const char* const kServiceId;

// nullptr when `plan_id` is not one of ours.
const Plan* findPlan(const std::string& plan_id);
nlohmann::json catalogJson();

}  // namespace foundry::pgbroker
