#include "control/api/service_presenters.h"

namespace foundry::control {
namespace {

using nlohmann::json;

json link(const std::string& url) { return {{"href", url}}; }
json emptyMetadata() { return {{"labels", json::object()}, {"annotations", json::object()}}; }
json relation(const std::string& guid) { return {{"data", {{"guid", guid}}}}; }
// Stored JSON text back to JSON; what the store holds was written by us, so a parse failure
// means "nothing" rather than an error.
json stored(const std::string& text, json fallback) {
  json j = json::parse(text, nullptr, false);
  return j.is_discarded() ? fallback : j;
}

// CC always shows the three schema slots, {} where the broker gave none.
json schemasOf(const std::string& text) {
  json given = stored(text, json::object());
  auto slot = [&](const char* resource, const char* action) {
    json p = json::object();
    if (given.is_object() && given.contains(resource) && given[resource].is_object() &&
        given[resource].contains(action) && given[resource][action].is_object() &&
        given[resource][action].contains("parameters")) {
      p = given[resource][action]["parameters"];
    }
    return json{{"parameters", p}};
  };
  return {{"service_instance",
           {{"create", slot("service_instance", "create")},
            {"update", slot("service_instance", "update")}}},
          {"service_binding", {{"create", slot("service_binding", "create")}}}};
}

}  // namespace

json presentServiceBroker(const std::string& base, const ServiceBroker& b) {
  const std::string self = base + "/v3/service_brokers/" + b.guid;
  json relationships = json::object();
  json links = {{"self", link(self)},
                {"service_offerings",
                 link(base + "/v3/service_offerings?service_broker_guids=" + b.guid)}};
  if (b.space_guid) {
    relationships["space"] = relation(*b.space_guid);
    links["space"] = link(base + "/v3/spaces/" + *b.space_guid);
  }
  return {{"guid", b.guid},
          {"name", b.name},
          {"url", b.url},
          {"created_at", b.created_at},
          {"updated_at", b.updated_at},
          {"relationships", std::move(relationships)},
          {"metadata", emptyMetadata()},
          {"links", std::move(links)}};
}

json presentServiceOffering(const std::string& base, const ServiceOffering& o) {
  return {{"guid", o.guid},
          {"name", o.name},
          {"description", o.description},
          {"available", o.available},
          {"tags", o.tags},
          {"requires", o.requires_features},
          {"created_at", o.created_at},
          {"updated_at", o.updated_at},
          {"shareable", o.shareable},
          {"documentation_url", o.documentation_url ? json(*o.documentation_url) : json(nullptr)},
          {"broker_catalog",
           {{"id", o.broker_catalog_id},
            {"metadata", stored(o.metadata, json::object())},
            {"features",
             {{"plan_updateable", o.plan_updateable},
              {"bindable", o.bindable},
              {"instances_retrievable", o.instances_retrievable},
              {"bindings_retrievable", o.bindings_retrievable},
              {"allow_context_updates", o.allow_context_updates}}}}},
          {"relationships", {{"service_broker", relation(o.broker_guid)}}},
          {"metadata", emptyMetadata()},
          {"links",
           {{"self", link(base + "/v3/service_offerings/" + o.guid)},
            {"service_plans", link(base + "/v3/service_plans?service_offering_guids=" + o.guid)},
            {"service_broker", link(base + "/v3/service_brokers/" + o.broker_guid)}}}};
}

json presentServicePlan(const std::string& base, const ServicePlan& p,
                        const std::optional<std::string>& space_guid) {
  const std::string self = base + "/v3/service_plans/" + p.guid;
  json relationships = {{"service_offering", relation(p.offering_guid)}};
  if (space_guid) relationships["space"] = relation(*space_guid);
  return {{"guid", p.guid},
          {"name", p.name},
          {"description", p.description},
          {"visibility_type", p.visibility_type},
          {"available", p.available},
          {"free", p.free},
          {"costs", stored(p.costs, json::array())},
          {"created_at", p.created_at},
          {"updated_at", p.updated_at},
          {"maintenance_info",
           p.maintenance_info ? stored(*p.maintenance_info, json::object()) : json::object()},
          {"broker_catalog",
           {{"id", p.broker_catalog_id},
            {"metadata", stored(p.metadata, json::object())},
            {"maximum_polling_duration",
             p.maximum_polling_duration ? json(*p.maximum_polling_duration) : json(nullptr)},
            {"features", {{"plan_updateable", p.plan_updateable}, {"bindable", p.bindable}}}}},
          {"schemas", schemasOf(p.schemas)},
          {"relationships", std::move(relationships)},
          {"metadata", emptyMetadata()},
          {"links",
           {{"self", link(self)},
            {"service_offering", link(base + "/v3/service_offerings/" + p.offering_guid)},
            {"visibility", link(self + "/visibility")}}}};
}

json presentPlanVisibility(const ServicePlan& plan, const std::vector<Organization>& orgs,
                           const std::optional<Space>& space) {
  json out = {{"type", plan.visibility_type}};
  if (plan.visibility_type == "organization") {
    json list = json::array();
    for (const auto& o : orgs) list.push_back({{"guid", o.guid}, {"name", o.name}});
    out["organizations"] = std::move(list);
  }
  if (plan.visibility_type == "space" && space) {
    out["space"] = {{"guid", space->guid}, {"name", space->name}};
  }
  return out;
}

json partialServiceBroker(const ServiceBroker& b, const std::vector<std::string>& fields) {
  json out = json::object();
  for (const auto& f : fields) {
    if (f == "guid") out["guid"] = b.guid;
    if (f == "name") out["name"] = b.name;
  }
  return out;
}

}  // namespace foundry::control
