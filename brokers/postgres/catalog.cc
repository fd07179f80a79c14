#include "brokers/postgres/catalog.h"

#include <array>

namespace foundry::pgbroker {
namespace {

// Fixed ids: the platform knows offerings and plans by id only (A.6), so they never change.
constexpr std::array<Plan, 3> kPlans = {{
    {"9a6b3c1e-52d4-4c1a-8f0e-5b7d2a4c6e01", "small", 10, false},
    {"9a6b3c1e-52d4-4c1a-8f0e-5b7d2a4c6e02", "large", 100, false},
    {"9a6b3c1e-52d4-4c1a-8f0e-5b7d2a4c6e03", "async", 10, true},
}};

constexpr int kMaximumPollingSeconds = 600;

}  // namespace

const char* const kServiceId = "9a6b3c1e-52d4-4c1a-8f0e-5b7d2a4c6e00";

const Plan* findPlan(const std::string& plan_id) {
  for (const Plan& plan : kPlans) {
    if (plan_id == plan.id) return &plan;
  }
  return nullptr;
}

nlohmann::json catalogJson() {
  nlohmann::json plans = nlohmann::json::array();
  for (const Plan& plan : kPlans) {
    std::string limit = std::to_string(plan.connection_limit) + " connections";
    nlohmann::json p = {
        {"id", plan.id},
        {"name", plan.name},
        {"description", plan.async ? "A database, " + limit + ", created in the background"
                                   : "A database, " + limit},
        {"free", true},
        {"bindable", true},
        {"plan_updateable", true},
        {"metadata",
         {{"displayName", std::string("PostgreSQL ") + plan.name},
          {"bullets", {"Dedicated database on a shared server", limit}}}},
    };
    if (plan.async) p["maximum_polling_duration"] = kMaximumPollingSeconds;
    plans.push_back(std::move(p));
  }
  nlohmann::json service = {
      {"id", kServiceId},
      {"name", "postgresql"},
      {"description", "PostgreSQL databases on a shared server"},
      {"bindable", true},
      {"plan_updateable", true},
      {"instances_retrievable", true},
      {"bindings_retrievable", true},
      {"tags", {"postgresql", "relational"}},
      {"metadata",
       {{"displayName", "PostgreSQL"},
        {"longDescription", "A database per instance, a login role per binding"},
        {"providerDisplayName", "foundry"},
        {"shareable", false}}},
      {"plans", std::move(plans)},
  };
  return {{"services", nlohmann::json::array({std::move(service)})}};
}

}  // namespace foundry::pgbroker
