#include "cli/commands/service_views.h"

#include <cstdio>

#include "cli/commands/lookups.h"

namespace foundry::cli {

using nlohmann::json;

namespace {

std::string str(const json& object, const char* key) {
  if (object.is_object() && object.contains(key) && object[key].is_string()) {
    return object[key].get<std::string>();
  }
  return "";
}

bool flag(const json& object, const char* key, bool fallback) {
  if (object.is_object() && object.contains(key) && object[key].is_boolean()) {
    return object[key].get<bool>();
  }
  return fallback;
}

// cf prints each cost as "%s %.2f/%s" (currency, amount, unit).
std::string costsText(const json& costs) {
  std::string text;
  if (!costs.is_array()) return text;
  for (const auto& cost : costs) {
    double amount = cost.is_object() && cost.contains("amount") && cost["amount"].is_number()
                        ? cost["amount"].get<double>()
                        : 0.0;
    char number[64];
    std::snprintf(number, sizeof(number), "%.2f", amount);
    text += (text.empty() ? "" : ", ") + str(cost, "currency") + " " + number + "/" +
            str(cost, "unit");
  }
  return text;
}

// guid -> object of an `included` list.
std::map<std::string, json> byGuid(const json& reply, const char* kind) {
  std::map<std::string, json> out;
  if (!reply.is_object() || !reply.contains("included") || !reply["included"].is_object()) {
    return out;
  }
  const json& included = reply["included"];
  if (!included.contains(kind) || !included[kind].is_array()) return out;
  for (const auto& item : included[kind]) out[str(item, "guid")] = item;
  return out;
}

}  // namespace

std::string joinList(const std::vector<std::string>& items) {
  std::string text;
  for (const auto& item : items) text += (text.empty() ? "" : ", ") + item;
  return text;
}

std::string joinStrings(const json& array) {
  std::vector<std::string> items;
  if (array.is_array()) {
    for (const auto& item : array) {
      if (item.is_string()) items.push_back(item.get<std::string>());
    }
  }
  return joinList(items);
}

std::vector<CatalogOffering> parseCatalog(const json& plans_reply) {
  std::vector<CatalogOffering> catalog;
  auto offerings = byGuid(plans_reply, "service_offerings");
  auto brokers = byGuid(plans_reply, "service_brokers");
  std::map<std::string, size_t> index;
  if (!plans_reply.is_object() || !plans_reply.contains("resources") ||
      !plans_reply["resources"].is_array()) {
    return catalog;
  }
  for (const auto& plan : plans_reply["resources"]) {
    std::string offering_guid = relationshipGuid(plan, "service_offering");
    auto [it, added] = index.emplace(offering_guid, catalog.size());
    if (added) {
      CatalogOffering offering;
      offering.guid = offering_guid;
      const json& source = offerings.count(offering_guid) ? offerings[offering_guid] : json();
      offering.name = str(source, "name");
      offering.description = str(source, "description");
      offering.documentation_url = str(source, "documentation_url");
      if (source.is_object() && source.contains("tags") && source["tags"].is_array()) {
        for (const auto& tag : source["tags"]) {
          if (tag.is_string()) offering.tags.push_back(tag.get<std::string>());
        }
      }
      offering.broker_guid = relationshipGuid(source, "service_broker");
      if (brokers.count(offering.broker_guid)) {
        offering.broker_name = str(brokers[offering.broker_guid], "name");
      }
      catalog.push_back(std::move(offering));
    }
    CatalogPlan entry;
    entry.guid = str(plan, "guid");
    entry.name = str(plan, "name");
    entry.description = str(plan, "description");
    entry.free = flag(plan, "free", true);
    entry.available = flag(plan, "available", true);
    entry.costs = costsText(plan.value("costs", json::array()));
    entry.visibility = str(plan, "visibility_type");
    catalog[it->second].plans.push_back(std::move(entry));
  }
  return catalog;
}

PlanRef findPlan(const std::vector<CatalogOffering>& catalog, const std::string& plan_guid) {
  for (const auto& offering : catalog) {
    for (const auto& plan : offering.plans) {
      if (plan.guid == plan_guid) return {&offering, &plan};
    }
  }
  return {};
}

std::vector<std::vector<std::string>> marketplaceRows(const std::vector<CatalogOffering>& catalog,
                                                      bool no_plans) {
  std::vector<std::vector<std::string>> rows;
  if (no_plans) {
    rows.push_back({"offering", "description", "broker"});
  } else {
    rows.push_back({"offering", "plans", "description", "broker"});
  }
  for (const auto& offering : catalog) {
    std::vector<std::string> names;
    for (const auto& plan : offering.plans) {
      if (plan.available) names.push_back(plan.name);
    }
    if (names.empty()) continue;
    if (no_plans) {
      rows.push_back({offering.name, offering.description, offering.broker_name});
    } else {
      rows.push_back({offering.name, joinList(names), offering.description, offering.broker_name});
    }
  }
  return rows;
}

std::vector<std::vector<std::string>> planRows(const CatalogOffering& offering) {
  std::vector<std::vector<std::string>> rows = {{"plan", "description", "free or paid", "costs"}};
  for (const auto& plan : offering.plans) {
    if (!plan.available) continue;
    rows.push_back({plan.name, plan.description, plan.free ? "free" : "paid", plan.costs});
  }
  return rows;
}

std::string lastOperationText(const json& resource) {
  if (!resource.is_object() || !resource.contains("last_operation")) return "";
  const json& operation = resource["last_operation"];
  std::string type = str(operation, "type");
  std::string state = str(operation, "state");
  if (type.empty() && state.empty()) return "";
  return type + " " + state;
}

std::string lastOperationDescription(const json& resource) {
  if (!resource.is_object() || !resource.contains("last_operation")) return "";
  return str(resource["last_operation"], "description");
}

std::vector<std::vector<std::string>> servicesRows(
    const std::vector<json>& instances, const std::vector<CatalogOffering>& catalog,
    const std::map<std::string, std::vector<std::string>>& bound_apps) {
  std::vector<std::vector<std::string>> rows = {{"name", "offering", "plan", "bound apps",
                                                 "last operation", "broker", "upgrade available"}};
  for (const auto& instance : instances) {
    std::string offering;
    std::string plan;
    std::string broker;
    std::string upgrade;
    if (str(instance, "type") == "user-provided") {
      offering = "user-provided";
    } else {
      PlanRef ref = findPlan(catalog, relationshipGuid(instance, "service_plan"));
      if (ref.plan) {
        offering = ref.offering->name;
        plan = ref.plan->name;
        broker = ref.offering->broker_name;
      }
      if (instance.contains("upgrade_available") && instance["upgrade_available"].is_boolean()) {
        upgrade = instance["upgrade_available"].get<bool>() ? "yes" : "no";
      }
    }
    auto apps = bound_apps.find(str(instance, "guid"));
    rows.push_back({str(instance, "name"), offering, plan,
                    apps == bound_apps.end() ? "" : joinList(apps->second),
                    lastOperationText(instance), broker, upgrade});
  }
  return rows;
}

}  // namespace foundry::cli
