// Quota enforcement, as Cloud Controller words it (the CLI shows these texts): memory and
// instances count the processes of STARTED apps; org and space quotas both apply.
#include "control/api/api.h"

namespace foundry::control {

void Api::checkProcessQuota(const Space& space, const Process& p) {
  auto org = store_.getOrganization(space.organization_guid);
  std::optional<OrganizationQuota> oq;
  if (org && org->quota_guid) oq = store_.getOrganizationQuota(*org->quota_guid);
  std::optional<SpaceQuota> sq;
  if (space.quota_guid) sq = store_.getSpaceQuota(*space.quota_guid);
  std::vector<std::string> errors;
  auto check = [&](const QuotaLimits& l, const Usage& used, const std::string& prefix) {
    if (l.per_process_memory_in_mb && p.memory_in_mb > *l.per_process_memory_in_mb) {
      errors.push_back("memory " + prefix + "instance_memory_limit_exceeded");
    }
    if (l.total_memory_in_mb &&
        used.memory_in_mb + p.memory_in_mb * p.instances > *l.total_memory_in_mb) {
      errors.push_back("memory " + prefix + "quota_exceeded");
    }
    if (l.total_instances && used.instances + p.instances > *l.total_instances) {
      errors.push_back("app_instance_limit " + prefix + "app_instance_limit_exceeded");
    }
  };
  if (oq) check(oq->limits, store_.organizationUsage(space.organization_guid, p.guid), "");
  if (sq) check(sq->limits, store_.spaceUsage(space.guid, p.guid), "space_");
  if (!errors.empty()) {
    std::string detail;
    for (const auto& e : errors) detail += (detail.empty() ? "" : ", ") + e;
    throw unprocessable(detail);
  }
}

void Api::checkRouteQuota(const Space& space) {
  auto org = store_.getOrganization(space.organization_guid);
  if (org && org->quota_guid) {
    auto q = store_.getOrganizationQuota(*org->quota_guid);
    if (q && q->limits.total_routes &&
        store_.organizationUsage(org->guid, "").routes + 1 > *q->limits.total_routes) {
      throw unprocessable("Routes quota exceeded for organization '" + org->name + "'.");
    }
  }
  if (space.quota_guid) {
    auto q = store_.getSpaceQuota(*space.quota_guid);
    if (q && q->limits.total_routes &&
        store_.spaceUsage(space.guid, "").routes + 1 > *q->limits.total_routes) {
      throw unprocessable("Routes quota exceeded for space '" + space.name + "'.");
    }
  }
}

}  // namespace foundry::control

namespace foundry::control {

void Api::checkServiceInstanceQuota(const Space& space, const ServicePlan& plan) {
  // CC counts managed instances only; user-provided ones cost the platform nothing.
  auto org = store_.getOrganization(space.organization_guid);
  if (org && org->quota_guid) {
    if (auto q = store_.getOrganizationQuota(*org->quota_guid)) {
      if (!plan.free && !q->limits.paid_services_allowed) {
        throw unprocessable(
            "The service instance cannot be created because paid service plans are not allowed.");
      }
      if (q->limits.total_service_instances) {
        std::vector<std::string> spaces;
        for (const auto& s : store_.listSpaces({{}, {}, {org->guid}})) spaces.push_back(s.guid);
        const auto used = store_.listServiceInstances({{}, {}, spaces, {}, {"managed"}}).size();
        if (static_cast<int64_t>(used) + 1 > *q->limits.total_service_instances) {
          throw unprocessable("You have exceeded your organization's services limit.");
        }
      }
    }
  }
  if (space.quota_guid) {
    if (auto q = store_.getSpaceQuota(*space.quota_guid)) {
      if (!plan.free && !q->limits.paid_services_allowed) {
        throw unprocessable(
            "The service instance cannot be created because paid service plans are not allowed "
            "for your space.");
      }
      if (q->limits.total_service_instances) {
        const auto used = store_.listServiceInstances({{}, {}, {space.guid}, {}, {"managed"}}).size();
        if (static_cast<int64_t>(used) + 1 > *q->limits.total_service_instances) {
          throw unprocessable("You have exceeded your space's services limit.");
        }
      }
    }
  }
}

}  // namespace foundry::control

namespace foundry::control {

void Api::checkServiceKeyQuota(const Space& space) {
  auto count_keys = [&](const std::vector<std::string>& spaces) {
    ServiceBindingFilter f;
    f.types = {"key"};
    f.space_guids = spaces;
    return static_cast<int64_t>(store_.listServiceBindings(f).size());
  };
  auto org = store_.getOrganization(space.organization_guid);
  if (org && org->quota_guid) {
    auto q = store_.getOrganizationQuota(*org->quota_guid);
    if (q && q->limits.total_service_keys) {
      std::vector<std::string> spaces;
      for (const auto& s : store_.listSpaces({{}, {}, {org->guid}})) spaces.push_back(s.guid);
      if (count_keys(spaces) + 1 > *q->limits.total_service_keys) {
        throw unprocessable("You have exceeded your organization's limit for service binding of "
                            "type key.");
      }
    }
  }
  if (space.quota_guid) {
    auto q = store_.getSpaceQuota(*space.quota_guid);
    if (q && q->limits.total_service_keys && count_keys({space.guid}) + 1 > *q->limits.total_service_keys) {
      throw unprocessable("You have exceeded your space's limit for service binding of type key.");
    }
  }
}

}  // namespace foundry::control
