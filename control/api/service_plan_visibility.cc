// Who may use a plan: /v3/service_plans/:guid/visibility (cf enable-service-access and
// disable-service-access). Admins change it; a space-scoped broker's plans stay `space`.
#include "control/api/api.h"
#include "control/api/body.h"
#include "control/api/service_presenters.h"

namespace foundry::control {

using nlohmann::json;

namespace {

// The organization guids of {"organizations":[{"guid":...}]}.
std::vector<std::string> organizationGuids(const json& b) {
  const auto bad = unprocessable("Organizations must be a non-empty array of {\"guid\": \"...\"}");
  if (!b.contains("organizations") || !b["organizations"].is_array()) throw bad;
  std::vector<std::string> out;
  for (const auto& o : b["organizations"]) {
    if (!o.is_object() || !o.contains("guid") || !o["guid"].is_string()) throw bad;
    out.push_back(o["guid"].get<std::string>());
  }
  if (out.empty()) throw bad;
  return out;
}

}  // namespace

ApiResponse Api::getPlanVisibility(Ctx& c, const std::string& plan_guid) {
  ServicePlan plan = requirePlan(c, plan_guid);
  std::vector<Organization> orgs;
  if (plan.visibility_type == "organization") {
    NameFilter f;
    for (const auto& v : store_.listPlanVisibilities(plan.guid)) {
      // Non-admins learn only of the orgs they can read.
      if (c.can().canReadOrg(v.organization_guid)) f.guids.push_back(v.organization_guid);
    }
    if (!f.guids.empty()) orgs = store_.listOrganizations(f);
  }
  std::optional<Space> space;
  if (auto offering = store_.getServiceOffering(plan.offering_guid)) {
    if (auto broker = store_.getServiceBroker(offering->broker_guid)) {
      if (broker->space_guid) space = store_.getSpace(*broker->space_guid);
    }
  }
  return {200, presentPlanVisibility(plan, orgs, space), {}};
}

ApiResponse Api::setPlanVisibility(Ctx& c, const std::string& plan_guid, bool replace) {
  ServicePlan plan = requirePlan(c, plan_guid);
  requireAdmin(c);
  json b = c.body();
  body::allowOnly(b, {"type", "organizations"});
  auto type = body::optString(b, "type", "Type");
  if (!type || (*type != "public" && *type != "admin" && *type != "organization")) {
    throw unprocessable("Type must be one of 'public', 'admin', 'organization'");
  }
  if (plan.visibility_type == "space") {
    throw unprocessable("Cannot update visibility of a service plan of a space-scoped broker");
  }
  std::vector<std::string> orgs;
  if (*type == "organization") {
    orgs = organizationGuids(b);
  } else if (b.contains("organizations")) {
    throw unprocessable("Organizations can only be given with type 'organization'");
  }
  std::string missing;
  for (const auto& g : orgs) {
    if (!store_.getOrganization(g)) missing += (missing.empty() ? "" : ", ") + g;
  }
  if (!missing.empty()) throw unprocessable("Could not find organizations: " + missing);
  store_.atomically([&] {
    // POST adds orgs to an `organization` plan; PATCH and any other type start over.
    if (replace || *type != "organization" || plan.visibility_type != "organization") {
      store_.deletePlanVisibilities(plan.guid, std::nullopt);
    }
    const std::string now = nowIso8601();
    for (const auto& g : orgs) {
      const WriteResult r = store_.createPlanVisibility({newGuid(), plan.guid, g, now, now});
      if (r != WriteResult::Ok && r != WriteResult::Duplicate) {
        throw StoreError("cannot record plan visibility");
      }
    }
    plan.visibility_type = *type;
    plan.updated_at = now;
    if (store_.updateServicePlan(plan) != WriteResult::Ok) {
      throw StoreError("cannot update plan visibility");
    }
  });
  audit(c, "audit.service_plan_visibility.update", "service_plan", plan.guid, plan.name, "",
        {{"request", b}});
  return getPlanVisibility(c, plan_guid);
}

ApiResponse Api::deletePlanVisibility(Ctx& c, const std::string& plan_guid,
                                      const std::string& org_guid) {
  ServicePlan plan = requirePlan(c, plan_guid);
  requireAdmin(c);
  if (!store_.getOrganization(org_guid)) throw notFound("Organization");
  store_.deletePlanVisibilities(plan.guid, org_guid);
  audit(c, "audit.service_plan_visibility.delete", "service_plan", plan.guid, plan.name, "",
        {{"organization_guid", org_guid}});
  return {204, nullptr, {}};
}

}  // namespace foundry::control
