// JSON shapes of users, roles, quotas and audit events (CC V3, PLATFORM-APIS.md B.3).
#include "control/api/presenters.h"

#include "control/api/json_shapes.h"

namespace foundry::control {

using nlohmann::json;

namespace {
using namespace shapes;

json toMany(const std::vector<std::string>& guids) {
  json data = json::array();
  for (const auto& g : guids) data.push_back({{"guid", g}});
  return {{"data", data}};
}

json limits(const QuotaLimits& l, bool with_domains) {
  json q = {{"apps",
             {{"total_memory_in_mb", orNull(l.total_memory_in_mb)},
              {"per_process_memory_in_mb", orNull(l.per_process_memory_in_mb)},
              {"total_instances", orNull(l.total_instances)},
              {"log_rate_limit_in_bytes_per_second", orNull(l.log_rate_limit_in_bytes_per_second)},
              {"per_app_tasks", orNull(l.per_app_tasks)}}},
            {"services",
             {{"paid_services_allowed", l.paid_services_allowed},
              {"total_service_instances", orNull(l.total_service_instances)},
              {"total_service_keys", orNull(l.total_service_keys)}}},
            {"routes",
             {{"total_routes", orNull(l.total_routes)},
              {"total_reserved_ports", orNull(l.total_reserved_ports)}}}};
  if (with_domains) q["domains"] = {{"total_domains", orNull(l.total_domains)}};
  return q;
}
}  // namespace

json presentUser(const std::string& base, const User& u) {
  return {{"guid", u.guid},
          {"created_at", u.created_at},
          {"updated_at", u.updated_at},
          {"username", u.username},
          {"presentation_name", u.username},
          {"origin", u.origin},
          {"metadata", metadata()},
          {"links", {{"self", href(base + "/v3/users/" + u.guid)}}}};
}

json presentRole(const std::string& base, const Role& r) {
  json links = {{"self", href(base + "/v3/roles/" + r.guid)},
                {"user", href(base + "/v3/users/" + r.user_guid)}};
  if (r.organization_guid) {
    links["organization"] = href(base + "/v3/organizations/" + *r.organization_guid);
  }
  if (r.space_guid) links["space"] = href(base + "/v3/spaces/" + *r.space_guid);
  return {{"guid", r.guid},
          {"created_at", r.created_at},
          {"updated_at", r.updated_at},
          {"type", r.type},
          {"relationships",
           {{"user", toOne(r.user_guid)},
            {"organization", toOne(r.organization_guid)},
            {"space", toOne(r.space_guid)}}},
          {"links", std::move(links)}};
}

json presentOrganizationQuota(const std::string& base, const OrganizationQuota& q,
                              const std::vector<std::string>& organization_guids) {
  json j = limits(q.limits, true);
  j["guid"] = q.guid;
  j["created_at"] = q.created_at;
  j["updated_at"] = q.updated_at;
  j["name"] = q.name;
  j["relationships"] = {{"organizations", toMany(organization_guids)}};
  j["links"] = {{"self", href(base + "/v3/organization_quotas/" + q.guid)}};
  return j;
}

json presentSpaceQuota(const std::string& base, const SpaceQuota& q,
                       const std::vector<std::string>& space_guids) {
  json j = limits(q.limits, false);
  j["guid"] = q.guid;
  j["created_at"] = q.created_at;
  j["updated_at"] = q.updated_at;
  j["name"] = q.name;
  j["relationships"] = {{"organization", toOne(q.organization_guid)},
                        {"spaces", toMany(space_guids)}};
  j["links"] = {{"self", href(base + "/v3/space_quotas/" + q.guid)},
                {"organization", href(base + "/v3/organizations/" + q.organization_guid)}};
  return j;
}

json presentAuditEvent(const std::string& base, const AuditEvent& e) {
  json data = json::parse(e.data, nullptr, false);
  return {{"guid", e.guid},
          {"created_at", e.created_at},
          {"updated_at", e.updated_at},
          {"type", e.type},
          {"actor", {{"guid", e.actor_guid}, {"type", e.actor_type}, {"name", e.actor_name}}},
          {"target", {{"guid", e.target_guid}, {"type", e.target_type}, {"name", e.target_name}}},
          {"data", data.is_discarded() ? json::object() : data},
          {"space", e.space_guid ? json{{"guid", *e.space_guid}} : json(nullptr)},
          {"organization",
           e.organization_guid ? json{{"guid", *e.organization_guid}} : json(nullptr)},
          {"links", {{"self", href(base + "/v3/audit_events/" + e.guid)}}}};
}

}  // namespace foundry::control
