// Service plans: /v3/service_plans, the cf CLI's marketplace. What a caller sees is decided in
// the store query (ServicePlanFilter::visible_to), so paging and totals count only visible
// plans: global readers see every plan; others see public plans, `organization` plans shared
// with an org they belong to (a role in it or in one of its spaces), and the plans of brokers
// scoped to spaces they can read.
#include <map>

#include "control/api/api.h"
#include "control/api/presenters.h"
#include "control/api/service_presenters.h"
#include "control/api/service_queries.h"

namespace foundry::control {

using nlohmann::json;

namespace {

std::vector<std::string> intersect(const std::vector<std::string>& a,
                                   const std::vector<std::string>& b) {
  std::set<std::string> keep(b.begin(), b.end());
  std::vector<std::string> out;
  for (const auto& x : a) {
    if (keep.count(x)) out.push_back(x);
  }
  return out;
}

// The space of each offering's broker, when it is space-scoped (looked up once per broker).
class BrokerSpaces {
 public:
  explicit BrokerSpaces(Store& store) : store_(store) {}
  std::optional<std::string> ofOffering(const std::string& offering_guid) {
    auto it = offerings_.find(offering_guid);
    if (it != offerings_.end()) return it->second;
    std::optional<std::string> space;
    if (auto o = store_.getServiceOffering(offering_guid)) {
      if (auto b = store_.getServiceBroker(o->broker_guid)) space = b->space_guid;
    }
    return offerings_[offering_guid] = space;
  }

 private:
  Store& store_;
  std::map<std::string, std::optional<std::string>> offerings_;
};

}  // namespace

std::optional<PlanVisibilityScope> Api::userPlanScope(const Ctx& c) {
  if (c.can().canReadGlobally()) return std::nullopt;
  PlanVisibilityScope scope;
  scope.space_guids = c.can().readableSpaces().value_or(std::vector<std::string>{});
  auto orgs = c.can().readableOrgs().value_or(std::vector<std::string>{});
  std::set<std::string> all(orgs.begin(), orgs.end());
  if (!scope.space_guids.empty()) {
    for (const auto& s : store_.listSpaces({scope.space_guids, {}, {}})) {
      all.insert(s.organization_guid);
    }
  }
  scope.organization_guids.assign(all.begin(), all.end());
  return scope;
}

bool Api::planScope(const Ctx& c, std::optional<PlanVisibilityScope>& scope) {
  scope = userPlanScope(c);
  const auto* spaces = c.query.find("space_guids");
  const auto* orgs = c.query.find("organization_guids");
  if (!spaces && !orgs) return true;
  // Plans usable there: public ones, those shared with the orgs, those of brokers scoped to
  // the spaces (CC's space_guids / organization_guids filters).
  SpaceFilter where;
  if (spaces) where.guids = *spaces;
  if (orgs) where.organization_guids = *orgs;
  std::set<std::string> asked_orgs;
  if (orgs && !spaces) asked_orgs.insert(orgs->begin(), orgs->end());
  PlanVisibilityScope asked;
  for (const auto& s : store_.listSpaces(where)) {
    asked.space_guids.push_back(s.guid);
    asked_orgs.insert(s.organization_guid);
  }
  asked.organization_guids.assign(asked_orgs.begin(), asked_orgs.end());
  if (scope) {
    asked.space_guids = intersect(asked.space_guids, scope->space_guids);
    asked.organization_guids = intersect(asked.organization_guids, scope->organization_guids);
  }
  scope = asked;
  // Nowhere the caller can see: not even public plans are "in" it.
  return !asked.space_guids.empty() || !asked.organization_guids.empty();
}

bool Api::brokerGuidsFilter(const Ctx& c, std::vector<std::string>& guids) {
  if (auto* v = c.query.find("service_broker_guids")) guids = *v;
  if (auto* v = c.query.find("service_broker_names")) {
    ServiceBrokerFilter f;
    f.names = *v;
    std::vector<std::string> named;
    for (const auto& b : store_.listServiceBrokers(f)) named.push_back(b.guid);
    return scopeFilter(guids, named);
  }
  return true;
}

ServicePlan Api::requirePlan(const Ctx& c, const std::string& guid) {
  ServicePlanFilter f;
  f.guids = {guid};
  f.visible_to = userPlanScope(c);
  auto plans = store_.listServicePlans(f);
  if (plans.empty()) throw notFound("Service plan");
  return plans[0];
}

ApiResponse Api::listServicePlans(Ctx& c) {
  c.query.allowOnly({"names", "guids", "service_offering_guids", "service_offering_names",
                     "service_broker_guids", "service_broker_names", "space_guids",
                     "organization_guids", "available", "include",
                     "fields[service_offering.service_broker]", "page", "per_page",
                     "order_by"});
  PageRequest page = readPageRequest(c.query, {"created_at", "updated_at", "name"});
  const auto available = availableFilter(c.query);
  ServicePlanFilter f;
  if (auto* v = c.query.find("names")) f.names = *v;
  if (auto* v = c.query.find("guids")) f.guids = *v;
  if (auto* v = c.query.find("service_offering_guids")) f.offering_guids = *v;
  bool any = brokerGuidsFilter(c, f.broker_guids) && planScope(c, f.visible_to);
  if (auto* v = c.query.find("service_offering_names")) {
    ServiceOfferingFilter named;
    named.names = *v;
    std::vector<std::string> guids;
    for (const auto& o : store_.listServiceOfferings(named)) guids.push_back(o.guid);
    any = any && scopeFilter(f.offering_guids, guids);
  }
  std::vector<ServicePlan> plans;
  if (any) plans = store_.listServicePlans(f);
  if (available) {
    std::erase_if(plans, [&](const ServicePlan& p) { return p.available != *available; });
  }
  BrokerSpaces spaces(store_);
  std::function<std::string(const ServicePlan&)> key = [&](const ServicePlan& p) {
    return page.order_by == "name"         ? p.name
           : page.order_by == "updated_at" ? p.updated_at
                                           : p.created_at;
  };
  std::function<json(const ServicePlan&)> present = [&](const ServicePlan& p) {
    return presentServicePlan(c.req.base_url, p, spaces.ofOffering(p.offering_guid));
  };
  json list = presentList(c.req.base_url, "/v3/service_plans", c.req.query, page,
                          std::move(plans), key, present);
  json included = includedForPlans(c, list["resources"]);
  if (!included.empty()) list["included"] = std::move(included);
  return {200, std::move(list), {}};
}

ApiResponse Api::getServicePlan(Ctx& c, const std::string& guid) {
  c.query.allowOnly({"include", "fields[service_offering.service_broker]"});
  ServicePlan plan = requirePlan(c, guid);
  BrokerSpaces spaces(store_);
  json body = presentServicePlan(c.req.base_url, plan, spaces.ofOffering(plan.offering_guid));
  json included = includedForPlans(c, json::array({body}));
  if (!included.empty()) body["included"] = std::move(included);
  return {200, std::move(body), {}};
}

json Api::includedForPlans(const Ctx& c, const json& plans) {
  bool offerings = false, space_orgs = false;
  if (auto* v = c.query.find("include")) {
    for (const auto& what : *v) {
      if (what == "service_offering") {
        offerings = true;
      } else if (what == "space.organization") {
        space_orgs = true;
      } else {
        throw badQuery("The query parameter is invalid: Invalid included resource: '" + what +
                       "'. Valid included resources are: 'space.organization', "
                       "'service_offering'");
      }
    }
  }
  const auto broker_fields = parentFields(c.query, "fields[service_offering.service_broker]");
  json included = json::object();
  if (offerings || !broker_fields.empty()) {
    ServiceOfferingFilter f;
    auto guids = relatedGuids(plans, "service_offering");
    f.guids.assign(guids.begin(), guids.end());
    auto found = guids.empty() ? std::vector<ServiceOffering>{} : store_.listServiceOfferings(f);
    if (offerings) {
      included["service_offerings"] = json::array();
      for (const auto& o : found) {
        included["service_offerings"].push_back(presentServiceOffering(c.req.base_url, o));
      }
    }
    if (!broker_fields.empty()) {
      ServiceBrokerFilter bf;
      for (const auto& o : found) bf.guids.push_back(o.broker_guid);
      included["service_brokers"] = json::array();
      for (const auto& b : bf.guids.empty() ? std::vector<ServiceBroker>{}
                                            : store_.listServiceBrokers(bf)) {
        included["service_brokers"].push_back(partialServiceBroker(b, broker_fields));
      }
    }
  }
  if (space_orgs) {
    included["spaces"] = json::array();
    included["organizations"] = json::array();
    auto guids = relatedGuids(plans, "space");
    std::set<std::string> org_guids;
    for (const auto& g : guids) {
      if (auto s = store_.getSpace(g)) {
        included["spaces"].push_back(presentSpace(c.req.base_url, *s));
        org_guids.insert(s->organization_guid);
      }
    }
    for (const auto& g : org_guids) {
      if (auto o = store_.getOrganization(g)) {
        included["organizations"].push_back(presentOrganization(c.req.base_url, *o));
      }
    }
  }
  return included;
}

}  // namespace foundry::control
