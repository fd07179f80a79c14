// Service offerings: /v3/service_offerings. An offering is visible when one of its plans is
// (service_plans_handlers.cc decides which), so the list asks the store for the visible plans'
// offerings first and pages only those.
#include "control/api/api.h"
#include "control/api/body.h"
#include "control/api/presenters.h"
#include "control/api/service_presenters.h"
#include "control/api/service_queries.h"

namespace foundry::control {

using nlohmann::json;

namespace {

// The offerings that have a plan in `scope` (and of the given brokers).
std::vector<std::string> offeringsWithVisiblePlans(Store& store,
                                                   const std::optional<PlanVisibilityScope>& scope,
                                                   const std::vector<std::string>& broker_guids,
                                                   const std::vector<std::string>& guids) {
  ServicePlanFilter f;
  f.visible_to = scope;
  f.broker_guids = broker_guids;
  f.offering_guids = guids;
  std::set<std::string> out;
  for (const auto& p : store.listServicePlans(f)) out.insert(p.offering_guid);
  return {out.begin(), out.end()};
}

}  // namespace

ApiResponse Api::listServiceOfferings(Ctx& c) {
  c.query.allowOnly({"names", "guids", "service_broker_guids", "service_broker_names",
                     "space_guids", "organization_guids", "available", "fields[service_broker]",
                     "page", "per_page", "order_by"});
  PageRequest page = readPageRequest(c.query, {"created_at", "updated_at", "name"});
  const auto available = availableFilter(c.query);
  ServiceOfferingFilter f;
  if (auto* v = c.query.find("names")) f.names = *v;
  if (auto* v = c.query.find("guids")) f.guids = *v;
  std::optional<PlanVisibilityScope> scope;
  bool any = brokerGuidsFilter(c, f.broker_guids) && planScope(c, scope);
  if (any && scope) {
    any = scopeFilter(f.guids, offeringsWithVisiblePlans(store_, scope, f.broker_guids, f.guids));
  }
  std::vector<ServiceOffering> offerings;
  if (any) offerings = store_.listServiceOfferings(f);
  if (available) {
    std::erase_if(offerings, [&](const ServiceOffering& o) { return o.available != *available; });
  }
  std::function<std::string(const ServiceOffering&)> key = [&](const ServiceOffering& o) {
    return page.order_by == "name"         ? o.name
           : page.order_by == "updated_at" ? o.updated_at
                                           : o.created_at;
  };
  std::function<json(const ServiceOffering&)> present = [&](const ServiceOffering& o) {
    return presentServiceOffering(c.req.base_url, o);
  };
  json list = presentList(c.req.base_url, "/v3/service_offerings", c.req.query, page,
                          std::move(offerings), key, present);
  json included = includedForOfferings(c, list["resources"]);
  if (!included.empty()) list["included"] = std::move(included);
  return {200, std::move(list), {}};
}

ServiceOffering Api::requireOffering(const Ctx& c, const std::string& guid) {
  auto offering = store_.getServiceOffering(guid);
  const auto scope = userPlanScope(c);
  if (!offering || (scope && offeringsWithVisiblePlans(store_, scope, {}, {guid}).empty())) {
    throw notFound("Service offering");
  }
  return *offering;
}

ApiResponse Api::getServiceOffering(Ctx& c, const std::string& guid) {
  c.query.allowOnly({"fields[service_broker]"});
  ServiceOffering offering = requireOffering(c, guid);
  json body = presentServiceOffering(c.req.base_url, offering);
  json included = includedForOfferings(c, json::array({body}));
  if (!included.empty()) body["included"] = std::move(included);
  return {200, std::move(body), {}};
}

json Api::includedForOfferings(const Ctx& c, const json& offerings) {
  const auto fields = parentFields(c.query, "fields[service_broker]");
  if (fields.empty()) return json::object();
  ServiceBrokerFilter f;
  auto guids = relatedGuids(offerings, "service_broker");
  f.guids.assign(guids.begin(), guids.end());
  json brokers = json::array();
  if (!f.guids.empty()) {
    for (const auto& b : store_.listServiceBrokers(f)) {
      brokers.push_back(partialServiceBroker(b, fields));
    }
  }
  return {{"service_brokers", std::move(brokers)}};
}

ApiResponse Api::deleteServiceOffering(Ctx& c, const std::string& guid) {
  c.query.allowOnly({"purge"});
  ServiceOffering offering = requireOffering(c, guid);
  // Global brokers' offerings are the operator's; a space-scoped broker's, its space's.
  auto broker = store_.getServiceBroker(offering.broker_guid);
  if (broker && broker->space_guid) {
    requireBroker(c, broker->guid, true);
  } else {
    requireAdmin(c);
  }
  ServicePlanFilter plans;
  plans.offering_guids = {guid};
  ServiceInstanceFilter users;
  for (const auto& p : store_.listServicePlans(plans)) users.plan_guids.push_back(p.guid);
  if (!users.plan_guids.empty() && !store_.listServiceInstances(users).empty()) {
    // Purging (dropping the instances without asking the broker) is not offered yet.
    throw unprocessable(
        "Please delete the service_instances associations for your service_plans.");
  }
  const WriteResult r = store_.deleteServiceOffering(guid);
  if (r != WriteResult::Ok && r != WriteResult::NotFound) {
    throw StoreError("cannot delete service offering");
  }
  return {204, nullptr, {}};
}

}  // namespace foundry::control
