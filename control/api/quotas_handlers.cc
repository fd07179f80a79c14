// /v3/organization_quotas and /v3/space_quotas: named limits applied to orgs and spaces.
// Org quotas are the operator's (admins); space quotas belong to an org and its managers.
#include <algorithm>
#include <map>

#include "control/api/api.h"
#include "control/api/body.h"
#include "control/api/presenters.h"

namespace foundry::control {

using nlohmann::json;

namespace {

// Reads the limit groups of a quota body into `limits` (only the fields present change).
void readLimits(const json& b, QuotaLimits* limits, bool with_domains) {
  auto group = [&](const char* name, std::vector<std::string> allowed) -> const json* {
    if (!b.contains(name)) return nullptr;
    if (!b[name].is_object()) throw unprocessable(std::string(name) + " must be an object");
    body::allowOnly(b[name], allowed);
    return &b[name];
  };
  auto limit = [](const json& g, const char* key, std::optional<int64_t>* out) {
    if (!g.contains(key)) return;
    if (g[key].is_null()) {
      *out = std::nullopt;
      return;
    }
    if (!g[key].is_number_integer() || g[key].get<int64_t>() < 0) {
      throw unprocessable(std::string(key) + " must be an integer greater than or equal to 0");
    }
    *out = g[key].get<int64_t>();
  };
  if (auto* a = group("apps", {"total_memory_in_mb", "per_process_memory_in_mb", "total_instances",
                               "log_rate_limit_in_bytes_per_second", "per_app_tasks"})) {
    limit(*a, "total_memory_in_mb", &limits->total_memory_in_mb);
    limit(*a, "per_process_memory_in_mb", &limits->per_process_memory_in_mb);
    limit(*a, "total_instances", &limits->total_instances);
    limit(*a, "log_rate_limit_in_bytes_per_second", &limits->log_rate_limit_in_bytes_per_second);
    limit(*a, "per_app_tasks", &limits->per_app_tasks);
  }
  if (auto* s = group("services",
                      {"paid_services_allowed", "total_service_instances", "total_service_keys"})) {
    if (s->contains("paid_services_allowed")) {
      if (!(*s)["paid_services_allowed"].is_boolean()) {
        throw unprocessable("Paid services allowed must be a boolean");
      }
      limits->paid_services_allowed = (*s)["paid_services_allowed"].get<bool>();
    }
    limit(*s, "total_service_instances", &limits->total_service_instances);
    limit(*s, "total_service_keys", &limits->total_service_keys);
  }
  if (auto* r = group("routes", {"total_routes", "total_reserved_ports"})) {
    limit(*r, "total_routes", &limits->total_routes);
    limit(*r, "total_reserved_ports", &limits->total_reserved_ports);
  }
  if (with_domains) {
    if (auto* d = group("domains", {"total_domains"})) {
      limit(*d, "total_domains", &limits->total_domains);
    }
  }
}

// The guids in {"data":[{"guid":...}]}.
std::vector<std::string> toManyGuids(const json& b) {
  if (!b.is_object() || !b.contains("data") || !b["data"].is_array()) {
    throw unprocessable("Data must be an array of {\"guid\": \"...\"}");
  }
  std::vector<std::string> guids;
  for (const auto& d : b["data"]) {
    if (!d.is_object() || !d.contains("guid") || !d["guid"].is_string()) {
      throw unprocessable("Data must be an array of {\"guid\": \"...\"}");
    }
    guids.push_back(d["guid"].get<std::string>());
  }
  return guids;
}

std::string quotaName(const json& b) {
  auto name = body::optString(b, "name", "Name");
  if (!name || name->empty()) throw unprocessable("Name can't be blank");
  return *name;
}

}  // namespace

// Organization quotas.

ApiResponse Api::createOrganizationQuota(Ctx& c) {
  requireAdmin(c);
  json b = c.body();
  body::allowOnly(b, {"name", "apps", "services", "routes", "domains", "relationships"});
  const std::string now = nowIso8601();
  OrganizationQuota q{newGuid(), quotaName(b), {}, now, now};
  readLimits(b, &q.limits, true);
  std::vector<std::string> orgs;
  if (b.contains("relationships") && b["relationships"].contains("organizations")) {
    orgs = toManyGuids(b["relationships"]["organizations"]);
  }
  if (store_.createOrganizationQuota(q) != WriteResult::Ok) {
    throw unprocessable("Organization Quota '" + q.name + "' already exists.");
  }
  for (const auto& g : orgs) {
    auto o = store_.getOrganization(g);
    if (!o) continue;
    o->quota_guid = q.guid;
    store_.updateOrganization(*o);
  }
  return {201, presentOrganizationQuota(c.req.base_url, q, orgs), {}};
}

ApiResponse Api::listOrganizationQuotas(Ctx& c) {
  c.query.allowOnly({"guids", "names", "organization_guids", "page", "per_page", "order_by"});
  PageRequest page = readPageRequest(c.query, {"created_at", "updated_at", "name"});
  QuotaFilter f;
  if (auto* v = c.query.find("guids")) f.guids = *v;
  if (auto* v = c.query.find("names")) f.names = *v;
  if (auto* v = c.query.find("organization_guids")) f.organization_guids = *v;
  std::vector<OrganizationQuota> quotas;
  // Non-admins see the quotas of the orgs they can read.
  if (scopeFilter(f.organization_guids, c.can().readableOrgs())) {
    quotas = store_.listOrganizationQuotas(f);
  }
  // Which readable orgs each quota is applied to (one pass over the orgs, not one per quota).
  std::map<std::string, std::vector<std::string>> applied;
  NameFilter readable;
  if (scopeFilter(readable.guids, c.can().readableOrgs())) {
    for (const auto& o : store_.listOrganizations(readable)) {
      if (o.quota_guid) applied[*o.quota_guid].push_back(o.guid);
    }
  }
  std::function<std::string(const OrganizationQuota&)> key = [&](const OrganizationQuota& q) {
    return page.order_by == "name" ? q.name : page.order_by == "updated_at" ? q.updated_at
                                                                            : q.created_at;
  };
  std::function<json(const OrganizationQuota&)> present = [&](const OrganizationQuota& q) {
    return presentOrganizationQuota(c.req.base_url, q, applied[q.guid]);
  };
  return {200,
          presentList(c.req.base_url, "/v3/organization_quotas", c.req.query, page,
                      std::move(quotas), key, present),
          {}};
}

ApiResponse Api::getOrganizationQuota(Ctx& c, const std::string& guid) {
  auto q = store_.getOrganizationQuota(guid);
  std::vector<std::string> orgs;
  bool visible = q && c.can().canReadGlobally();
  for (const auto& o : store_.listOrganizations({})) {
    if (q && o.quota_guid == q->guid && c.can().canReadOrg(o.guid)) {
      orgs.push_back(o.guid);
      visible = true;
    }
  }
  if (!visible) throw notFound("Organization quota");
  return {200, presentOrganizationQuota(c.req.base_url, *q, orgs), {}};
}

ApiResponse Api::updateOrganizationQuota(Ctx& c, const std::string& guid) {
  getOrganizationQuota(c, guid);  // 404 when invisible
  requireAdmin(c);
  auto q = store_.getOrganizationQuota(guid);
  json b = c.body();
  body::allowOnly(b, {"name", "apps", "services", "routes", "domains"});
  if (b.contains("name")) q->name = quotaName(b);
  readLimits(b, &q->limits, true);
  q->updated_at = nowIso8601();
  if (store_.updateOrganizationQuota(*q) != WriteResult::Ok) {
    throw unprocessable("Organization Quota '" + q->name + "' already exists.");
  }
  return getOrganizationQuota(c, guid);
}

ApiResponse Api::deleteOrganizationQuota(Ctx& c, const std::string& guid) {
  getOrganizationQuota(c, guid);
  requireAdmin(c);
  for (const auto& o : store_.listOrganizations({})) {
    if (o.quota_guid == guid) {
      throw unprocessable(
          "This quota is applied to one or more organizations. Remove this quota from all "
          "organizations before deleting.");
    }
  }
  return startDeleteJob(c, "organization_quota.delete", "organization_quota", guid);
}

ApiResponse Api::applyOrganizationQuota(Ctx& c, const std::string& guid) {
  getOrganizationQuota(c, guid);
  requireAdmin(c);
  auto orgs = toManyGuids(c.body());
  for (const auto& g : orgs) {
    if (!store_.getOrganization(g)) {
      throw unprocessable("Organizations with guids [\"" + g + "\"] do not exist");
    }
  }
  for (const auto& g : orgs) {
    auto o = store_.getOrganization(g);
    o->quota_guid = guid;
    o->updated_at = nowIso8601();
    store_.updateOrganization(*o);
  }
  json data = json::array();
  for (const auto& o : store_.listOrganizations({})) {
    if (o.quota_guid == guid) data.push_back({{"guid", o.guid}});
  }
  return {200,
          {{"data", data},
           {"links",
            {{"self", {{"href", c.url("/v3/organization_quotas/" + guid +
                                      "/relationships/organizations")}}}}}},
          {}};
}

// Space quotas.

ApiResponse Api::createSpaceQuota(Ctx& c) {
  json b = c.body();
  body::allowOnly(b, {"name", "apps", "services", "routes", "relationships"});
  auto org_guid = body::relationshipGuid(b, "organization");
  if (!org_guid) throw unprocessable("Relationships organization can't be blank");
  authorizeOrg(c, *org_guid, true, "Organization");
  const std::string now = nowIso8601();
  SpaceQuota q{newGuid(), quotaName(b), *org_guid, {}, now, now};
  readLimits(b, &q.limits, false);
  std::vector<std::string> spaces;
  if (b["relationships"].contains("spaces")) spaces = toManyGuids(b["relationships"]["spaces"]);
  for (const auto& g : spaces) {
    auto s = store_.getSpace(g);
    if (!s || s->organization_guid != *org_guid) {
      throw unprocessable("Space quotas cannot be applied outside of their owning organization.");
    }
  }
  if (store_.createSpaceQuota(q) != WriteResult::Ok) {
    throw unprocessable("Space Quota '" + q.name + "' already exists.");
  }
  for (const auto& g : spaces) {
    auto s = store_.getSpace(g);
    s->quota_guid = q.guid;
    store_.updateSpace(*s);
  }
  return {201, presentSpaceQuota(c.req.base_url, q, spaces), {}};
}

namespace {
std::vector<std::string> spacesWithQuota(Store& store, const SpaceQuota& q) {
  std::vector<std::string> out;
  for (const auto& s : store.listSpaces({{}, {}, {q.organization_guid}})) {
    if (s.quota_guid == q.guid) out.push_back(s.guid);
  }
  return out;
}
}  // namespace

ApiResponse Api::listSpaceQuotas(Ctx& c) {
  c.query.allowOnly({"guids", "names", "organization_guids", "space_guids", "page", "per_page",
                     "order_by"});
  PageRequest page = readPageRequest(c.query, {"created_at", "updated_at", "name"});
  QuotaFilter f;
  if (auto* v = c.query.find("guids")) f.guids = *v;
  if (auto* v = c.query.find("names")) f.names = *v;
  if (auto* v = c.query.find("organization_guids")) f.organization_guids = *v;
  std::vector<SpaceQuota> quotas;
  if (scopeFilter(f.organization_guids, c.can().readableOrgs())) {
    quotas = store_.listSpaceQuotas(f);
  }
  std::function<std::string(const SpaceQuota&)> key = [&](const SpaceQuota& q) {
    return page.order_by == "name" ? q.name : page.order_by == "updated_at" ? q.updated_at
                                                                            : q.created_at;
  };
  std::function<json(const SpaceQuota&)> present = [&](const SpaceQuota& q) {
    return presentSpaceQuota(c.req.base_url, q, spacesWithQuota(store_, q));
  };
  return {200,
          presentList(c.req.base_url, "/v3/space_quotas", c.req.query, page, std::move(quotas),
                      key, present),
          {}};
}

ApiResponse Api::getSpaceQuota(Ctx& c, const std::string& guid) {
  auto q = store_.getSpaceQuota(guid);
  if (!q || !c.can().canReadOrg(q->organization_guid)) throw notFound("Space quota");
  return {200, presentSpaceQuota(c.req.base_url, *q, spacesWithQuota(store_, *q)), {}};
}

ApiResponse Api::updateSpaceQuota(Ctx& c, const std::string& guid) {
  auto q = store_.getSpaceQuota(guid);
  if (!q || !c.can().canReadOrg(q->organization_guid)) throw notFound("Space quota");
  authorizeOrg(c, q->organization_guid, true, "Space quota");
  json b = c.body();
  body::allowOnly(b, {"name", "apps", "services", "routes"});
  if (b.contains("name")) q->name = quotaName(b);
  readLimits(b, &q->limits, false);
  q->updated_at = nowIso8601();
  if (store_.updateSpaceQuota(*q) != WriteResult::Ok) {
    throw unprocessable("Space Quota '" + q->name + "' already exists.");
  }
  return {200, presentSpaceQuota(c.req.base_url, *q, spacesWithQuota(store_, *q)), {}};
}

ApiResponse Api::deleteSpaceQuota(Ctx& c, const std::string& guid) {
  auto q = store_.getSpaceQuota(guid);
  if (!q || !c.can().canReadOrg(q->organization_guid)) throw notFound("Space quota");
  authorizeOrg(c, q->organization_guid, true, "Space quota");
  if (!spacesWithQuota(store_, *q).empty()) {
    throw unprocessable(
        "This quota is applied to one or more spaces. Remove this quota from all spaces before "
        "deleting.");
  }
  store_.deleteSpaceQuota(guid);
  return {204, nullptr, {}};
}

ApiResponse Api::applySpaceQuota(Ctx& c, const std::string& guid) {
  auto q = store_.getSpaceQuota(guid);
  if (!q || !c.can().canReadOrg(q->organization_guid)) throw notFound("Space quota");
  authorizeOrg(c, q->organization_guid, true, "Space quota");
  auto spaces = toManyGuids(c.body());
  for (const auto& g : spaces) {
    auto s = store_.getSpace(g);
    if (!s || s->organization_guid != q->organization_guid) {
      throw unprocessable("Space quotas cannot be applied outside of their owning organization.");
    }
  }
  for (const auto& g : spaces) {
    auto s = store_.getSpace(g);
    s->quota_guid = guid;
    s->updated_at = nowIso8601();
    store_.updateSpace(*s);
  }
  json data = json::array();
  for (const auto& g : spacesWithQuota(store_, *q)) data.push_back({{"guid", g}});
  return {200,
          {{"data", data},
           {"links",
            {{"self", {{"href", c.url("/v3/space_quotas/" + guid + "/relationships/spaces")}}}}}},
          {}};
}

ApiResponse Api::removeSpaceQuota(Ctx& c, const std::string& guid, const std::string& space_guid) {
  auto q = store_.getSpaceQuota(guid);
  if (!q || !c.can().canReadOrg(q->organization_guid)) throw notFound("Space quota");
  authorizeOrg(c, q->organization_guid, true, "Space quota");
  auto s = store_.getSpace(space_guid);
  if (!s || s->quota_guid != guid) {
    throw unprocessable("Unable to remove quota from space with guid '" + space_guid +
                        "'. Ensure the space quota is applied to this space.");
  }
  s->quota_guid = std::nullopt;
  s->updated_at = nowIso8601();
  store_.updateSpace(*s);
  return {204, nullptr, {}};
}

// Audit events: readable where the caller can read the space (or org, for org-level events).

ApiResponse Api::listAuditEvents(Ctx& c) {
  c.query.allowOnly({"guids", "types", "target_guids", "space_guids", "organization_guids",
                     "page", "per_page", "order_by", "created_ats"});
  PageRequest page = readPageRequest(c.query, {"created_at", "updated_at"});
  AuditEventFilter f;
  if (auto* v = c.query.find("guids")) f.guids = *v;
  if (auto* v = c.query.find("types")) f.types = *v;
  if (auto* v = c.query.find("target_guids")) f.target_guids = *v;
  if (auto* v = c.query.find("space_guids")) f.space_guids = *v;
  if (auto* v = c.query.find("organization_guids")) f.organization_guids = *v;
  std::vector<AuditEvent> events;
  if (scopeFilter(f.space_guids, c.can().readableSpaces())) events = store_.listAuditEvents(f);
  std::function<std::string(const AuditEvent&)> key = [&](const AuditEvent& e) {
    return page.order_by == "updated_at" ? e.updated_at : e.created_at;
  };
  std::function<json(const AuditEvent&)> present = [&](const AuditEvent& e) {
    return presentAuditEvent(c.req.base_url, e);
  };
  return {200,
          presentList(c.req.base_url, "/v3/audit_events", c.req.query, page, std::move(events),
                      key, present),
          {}};
}

ApiResponse Api::getAuditEvent(Ctx& c, const std::string& guid) {
  auto e = store_.getAuditEvent(guid);
  if (!e) throw notFound("Event");
  if (e->space_guid) {
    authorizeSpace(c, *e->space_guid, Access::Read, "Event");
  } else if (!c.can().canReadGlobally() &&
             !(e->organization_guid && c.can().canReadOrg(*e->organization_guid))) {
    throw notFound("Event");
  }
  return {200, presentAuditEvent(c.req.base_url, *e), {}};
}

}  // namespace foundry::control
