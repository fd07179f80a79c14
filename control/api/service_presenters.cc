#include "control/api/service_presenters.h"

#include "control/api/json_shapes.h"

namespace foundry::control {
namespace {

using nlohmann::json;

using namespace shapes;

// CC always shows the three schema slots, {} where the broker gave none.
json schemasOf(const std::string& text) {
  json given = parsedOr(text, json::object());
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
  json links = {{"self", href(self)},
                {"service_offerings",
                 href(base + "/v3/service_offerings?service_broker_guids=" + b.guid)}};
  if (b.space_guid) {
    relationships["space"] = toOne(*b.space_guid);
    links["space"] = href(base + "/v3/spaces/" + *b.space_guid);
  }
  return {{"guid", b.guid},
          {"name", b.name},
          {"url", b.url},
          {"created_at", b.created_at},
          {"updated_at", b.updated_at},
          {"relationships", std::move(relationships)},
          {"metadata", metadata()},
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
            {"metadata", parsedOr(o.metadata, json::object())},
            {"features",
             {{"plan_updateable", o.plan_updateable},
              {"bindable", o.bindable},
              {"instances_retrievable", o.instances_retrievable},
              {"bindings_retrievable", o.bindings_retrievable},
              {"allow_context_updates", o.allow_context_updates}}}}},
          {"relationships", {{"service_broker", toOne(o.broker_guid)}}},
          {"metadata", metadata()},
          {"links",
           {{"self", href(base + "/v3/service_offerings/" + o.guid)},
            {"service_plans", href(base + "/v3/service_plans?service_offering_guids=" + o.guid)},
            {"service_broker", href(base + "/v3/service_brokers/" + o.broker_guid)}}}};
}

json presentServicePlan(const std::string& base, const ServicePlan& p,
                        const std::optional<std::string>& space_guid) {
  const std::string self = base + "/v3/service_plans/" + p.guid;
  json relationships = {{"service_offering", toOne(p.offering_guid)}};
  if (space_guid) relationships["space"] = toOne(*space_guid);
  return {{"guid", p.guid},
          {"name", p.name},
          {"description", p.description},
          {"visibility_type", p.visibility_type},
          {"available", p.available},
          {"free", p.free},
          {"costs", parsedOr(p.costs, json::array())},
          {"created_at", p.created_at},
          {"updated_at", p.updated_at},
          {"maintenance_info",
           p.maintenance_info ? parsedOr(*p.maintenance_info, json::object()) : json::object()},
          {"broker_catalog",
           {{"id", p.broker_catalog_id},
            {"metadata", parsedOr(p.metadata, json::object())},
            {"maximum_polling_duration",
             p.maximum_polling_duration ? json(*p.maximum_polling_duration) : json(nullptr)},
            {"features", {{"plan_updateable", p.plan_updateable}, {"bindable", p.bindable}}}}},
          {"schemas", schemasOf(p.schemas)},
          {"relationships", std::move(relationships)},
          {"metadata", metadata()},
          {"links",
           {{"self", href(self)},
            {"service_offering", href(base + "/v3/service_offerings/" + p.offering_guid)},
            {"visibility", href(self + "/visibility")}}}};
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
