#include "control/services/catalog.h"

#include <cctype>
#include <nlohmann/json.hpp>
#include <set>

namespace foundry::control::services {
namespace {

using nlohmann::json;

// Collects problems with a prefix naming where they are ("Service kv: Plan small: ").
class Checker {
 public:
  Checker(std::vector<std::string>& problems, std::string where)
      : problems_(problems), where_(std::move(where)) {}

  void problem(const std::string& text) { problems_.push_back(where_ + text); }

  // A required non-empty string; "" when missing (and noted).
  std::string requiredString(const json& o, const char* key) {
    if (!o.contains(key) || !o[key].is_string() || o[key].get<std::string>().empty()) {
      problem(std::string(key) + " must be a non-empty string");
      return "";
    }
    return o[key].get<std::string>();
  }
  bool optionalBool(const json& o, const char* key, bool fallback) {
    if (!o.contains(key) || o[key].is_null()) return fallback;
    if (!o[key].is_boolean()) {
      problem(std::string(key) + " must be a boolean");
      return fallback;
    }
    return o[key].get<bool>();
  }
  std::vector<std::string> stringList(const json& o, const char* key) {
    std::vector<std::string> out;
    if (!o.contains(key) || o[key].is_null()) return out;
    if (!o[key].is_array()) {
      problem(std::string(key) + " must be an array of strings");
      return out;
    }
    for (const auto& v : o[key]) {
      if (!v.is_string()) {
        problem(std::string(key) + " must be an array of strings");
        return {};
      }
      out.push_back(v.get<std::string>());
    }
    return out;
  }
  // An optional object, as JSON text ("{}" when absent).
  std::string object(const json& o, const char* key) {
    if (!o.contains(key) || o[key].is_null()) return "{}";
    if (!o[key].is_object()) {
      problem(std::string(key) + " must be an object");
      return "{}";
    }
    return o[key].dump();
  }

 private:
  std::vector<std::string>& problems_;
  std::string where_;
};

// metadata.costs [{"amount":{"usd":9.5},"unit":"MONTHLY"}] -> [{"amount":9.5,"currency":"USD",
// "unit":"MONTHLY"}], one entry per currency. Malformed costs are left out rather than failing
// the catalog: CC shows them as [] too, and they are informational only.
std::string v3Costs(const json& metadata) {
  json out = json::array();
  if (!metadata.is_object() || !metadata.contains("costs") || !metadata["costs"].is_array()) {
    return out.dump();
  }
  for (const auto& cost : metadata["costs"]) {
    if (!cost.is_object() || !cost.contains("amount") || !cost["amount"].is_object()) continue;
    const std::string unit = cost.contains("unit") && cost["unit"].is_string()
                                 ? cost["unit"].get<std::string>()
                                 : "";
    for (const auto& [currency, amount] : cost["amount"].items()) {
      if (!amount.is_number()) continue;
      std::string upper = currency;
      for (auto& ch : upper) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
      out.push_back({{"amount", amount.get<double>()}, {"currency", upper}, {"unit", unit}});
    }
  }
  return out.dump();
}

ServicePlan readPlan(const json& p, const ServiceOffering& offering, Checker& check) {
  ServicePlan plan;
  plan.broker_catalog_id = check.requiredString(p, "id");
  plan.name = check.requiredString(p, "name");
  plan.description = check.requiredString(p, "description");
  plan.free = check.optionalBool(p, "free", true);
  plan.bindable = check.optionalBool(p, "bindable", offering.bindable);
  plan.plan_updateable = check.optionalBool(p, "plan_updateable", offering.plan_updateable);
  plan.metadata = check.object(p, "metadata");
  plan.schemas = check.object(p, "schemas");
  plan.costs = v3Costs(json::parse(plan.metadata));
  if (p.contains("maximum_polling_duration") && !p["maximum_polling_duration"].is_null()) {
    if (!p["maximum_polling_duration"].is_number_integer()) {
      check.problem("maximum_polling_duration must be an integer");
    } else {
      plan.maximum_polling_duration = p["maximum_polling_duration"].get<int64_t>();
    }
  }
  if (p.contains("maintenance_info") && !p["maintenance_info"].is_null()) {
    const json& m = p["maintenance_info"];
    if (!m.is_object() || !m.contains("version") || !m["version"].is_string()) {
      check.problem("maintenance_info.version must be a string");
    } else {
      json kept = {{"version", m["version"]}};
      if (m.contains("description") && m["description"].is_string()) {
        kept["description"] = m["description"];
      }
      plan.maintenance_info = kept.dump();
    }
  }
  return plan;
}

CatalogEntry readService(const json& s, Checker& check, std::vector<std::string>& problems) {
  CatalogEntry e;
  ServiceOffering& o = e.offering;
  o.broker_catalog_id = check.requiredString(s, "id");
  o.name = check.requiredString(s, "name");
  o.description = check.requiredString(s, "description");
  if (!s.contains("bindable") || !s["bindable"].is_boolean()) {
    check.problem("bindable must be a boolean");
  } else {
    o.bindable = s["bindable"].get<bool>();
  }
  o.plan_updateable = check.optionalBool(s, "plan_updateable", false);
  o.instances_retrievable = check.optionalBool(s, "instances_retrievable", false);
  o.bindings_retrievable = check.optionalBool(s, "bindings_retrievable", false);
  o.allow_context_updates = check.optionalBool(s, "allow_context_updates", false);
  o.tags = check.stringList(s, "tags");
  o.requires_features = check.stringList(s, "requires");
  o.metadata = check.object(s, "metadata");
  const json metadata = json::parse(o.metadata);
  // CF's conventions inside the opaque metadata (A.6).
  if (metadata.contains("shareable") && metadata["shareable"].is_boolean()) {
    o.shareable = metadata["shareable"].get<bool>();
  }
  if (metadata.contains("documentationUrl") && metadata["documentationUrl"].is_string()) {
    o.documentation_url = metadata["documentationUrl"].get<std::string>();
  }
  if (!s.contains("plans") || !s["plans"].is_array() || s["plans"].empty()) {
    check.problem("At least one plan is required");
    return e;
  }
  std::set<std::string> plan_names;
  for (const auto& p : s["plans"]) {
    const std::string label = p.is_object() && p.contains("name") && p["name"].is_string()
                                  ? p["name"].get<std::string>()
                                  : "(unnamed)";
    Checker plan_check(problems, "Service " + o.name + ": Plan " + label + ": ");
    if (!p.is_object()) {
      plan_check.problem("must be an object");
      continue;
    }
    e.plans.push_back(readPlan(p, o, plan_check));
    if (!e.plans.back().name.empty() && !plan_names.insert(e.plans.back().name).second) {
      plan_check.problem("Plan names must be unique within a service");
    }
  }
  return e;
}

}  // namespace

ParsedCatalog parseCatalog(const std::string& body) {
  ParsedCatalog out;
  const json doc = json::parse(body, nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) {
    out.problems.push_back("The catalog is not a JSON object");
    return out;
  }
  if (!doc.contains("services") || !doc["services"].is_array()) {
    out.problems.push_back("services must be an array");
    return out;
  }
  std::set<std::string> names, ids, plan_ids;
  for (const auto& s : doc["services"]) {
    const std::string label = s.is_object() && s.contains("name") && s["name"].is_string()
                                  ? s["name"].get<std::string>()
                                  : "(unnamed)";
    Checker check(out.problems, "Service " + label + ": ");
    if (!s.is_object()) {
      check.problem("must be an object");
      continue;
    }
    CatalogEntry e = readService(s, check, out.problems);
    const ServiceOffering& o = e.offering;
    if (!o.name.empty() && !names.insert(o.name).second) {
      check.problem("Service names must be unique within a broker");
    }
    if (!o.broker_catalog_id.empty() && !ids.insert(o.broker_catalog_id).second) {
      check.problem("Service ids must be unique");
    }
    // A.6: plan ids are globally unique, so unique across the whole catalog too.
    for (const auto& p : e.plans) {
      if (!p.broker_catalog_id.empty() && !plan_ids.insert(p.broker_catalog_id).second) {
        check.problem("Plan " + p.name + ": Plan ids must be unique");
      }
    }
    out.entries.push_back(std::move(e));
  }
  if (!out.problems.empty()) out.entries.clear();
  return out;
}

}  // namespace foundry::control::services
