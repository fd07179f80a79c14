// Root documents, organizations, spaces and domains. Who sees and changes what follows
// control/auth/permissions.h: lists are scoped in the store query, a GUID the caller may not
// read answers 404, a change they may not make 403.
#include <algorithm>

#include "control/api/api.h"
#include "control/api/body.h"
#include "control/api/presenters.h"

namespace foundry::control {

using nlohmann::json;

namespace {

std::string requiredName(const json& b, const std::string& label = "Name") {
  auto name = body::optString(b, "name", label);
  if (!name || name->empty()) throw unprocessable(label + " can't be blank");
  if (name->size() > 255) throw unprocessable(label + " is too long (maximum is 255 characters)");
  return *name;
}

template <typename T>
std::function<std::string(const T&)> nameOrTimeKey(const PageRequest& page) {
  return [&page](const T& t) {
    return page.order_by == "name" ? t.name : page.order_by == "updated_at" ? t.updated_at
                                                                            : t.created_at;
  };
}

}  // namespace

ApiResponse Api::root(Ctx& c) {
  json v3 = {{"href", c.url("/v3")}, {"meta", {{"version", config_.api_version}}}};
  return {200,
          {{"links",
            {{"self", {{"href", c.url("")}}},
             {"bits_service", nullptr},
             {"cloud_controller_v2", nullptr},
             {"cloud_controller_v3", std::move(v3)},
             {"network_policy_v0", nullptr},
             {"network_policy_v1", nullptr},
             // The token service is served by this controller under /uaa (token_service.h).
             {"login", {{"href", c.url("/uaa")}}},
             {"uaa", {{"href", c.url("/uaa")}}},
             {"credhub", nullptr},
             {"routing", nullptr},
             {"logging", nullptr},
             {"log_cache", {{"href", c.url("")}}},  // logs_handlers.cc serves /api/v1
             {"log_stream", nullptr},
             {"app_ssh", nullptr}}}},
          {}};
}

ApiResponse Api::v3Root(Ctx& c) {
  json links = {{"self", {{"href", c.url("/v3")}}}};
  for (const char* r : {"apps", "audit_events", "domains", "info", "jobs", "organizations",
                        "organization_quotas", "processes", "roles", "routes", "spaces",
                        "space_quotas", "users"}) {
    links[r] = {{"href", c.url(std::string("/v3/") + r)}};
  }
  return {200, {{"links", std::move(links)}}, {}};
}

ApiResponse Api::v3Info(Ctx& c) {
  return {200,
          {{"build", ""},
           {"cli_version", {{"minimum", nullptr}, {"recommended", nullptr}}},
           {"custom", json::object()},
           {"description", "foundry"},
           {"name", "foundry"},
           {"version", 0},
           {"links", {{"self", {{"href", c.url("/v3/info")}}}, {"support", nullptr}}}},
          {}};
}

// Organizations.

ApiResponse Api::createOrganization(Ctx& c) {
  requireAdmin(c);  // CC's user_org_creation feature flag is off by default
  json b = c.body();
  body::allowOnly(b, {"name", "suspended", "metadata"});
  const std::string now = nowIso8601();
  Organization o{newGuid(), requiredName(b), false, now, now, default_quota_guid_};
  if (b.contains("suspended")) {
    if (!b["suspended"].is_boolean()) throw unprocessable("Suspended must be a boolean");
    o.suspended = b["suspended"].get<bool>();
  }
  if (store_.createOrganization(o) != WriteResult::Ok) {
    throw unprocessable("Organization '" + o.name + "' already exists.");
  }
  audit(c, "audit.organization.create", "organization", o.guid, o.name, "");
  return {201, presentOrganization(c.req.base_url, o), {}};
}

ApiResponse Api::listOrganizations(Ctx& c) {
  c.query.allowOnly({"names", "guids", "page", "per_page", "order_by"});
  PageRequest page = readPageRequest(c.query, {"created_at", "updated_at", "name"});
  NameFilter f;
  if (auto* v = c.query.find("names")) f.names = *v;
  if (auto* v = c.query.find("guids")) f.guids = *v;
  std::vector<Organization> orgs;
  if (scopeFilter(f.guids, c.can().readableOrgs())) orgs = store_.listOrganizations(f);
  std::function<json(const Organization&)> present = [&](const Organization& o) {
    return presentOrganization(c.req.base_url, o);
  };
  return {200,
          presentList(c.req.base_url, "/v3/organizations", c.req.query, page, std::move(orgs),
                      nameOrTimeKey<Organization>(page), present),
          {}};
}

ApiResponse Api::getOrganization(Ctx& c, const std::string& guid) {
  return {200, presentOrganization(c.req.base_url, authorizeOrg(c, guid, false, "Organization")),
          {}};
}

ApiResponse Api::updateOrganization(Ctx& c, const std::string& guid) {
  json b = c.body();
  body::allowOnly(b, {"name", "suspended", "metadata"});
  Organization o = store_.getOrganization(guid).value_or(Organization{});
  if (o.guid.empty() || !c.can().canReadOrg(guid)) throw notFound("Organization");
  // Only admins (un)suspend; managers rename, unless suspended.
  if (b.contains("suspended")) {
    requireAdmin(c);
    if (!b["suspended"].is_boolean()) throw unprocessable("Suspended must be a boolean");
    o.suspended = b["suspended"].get<bool>();
  } else {
    o = authorizeOrg(c, guid, true, "Organization");
  }
  if (b.contains("name")) o.name = requiredName(b);
  o.updated_at = nowIso8601();
  if (store_.updateOrganization(o) != WriteResult::Ok) {
    throw unprocessable("Organization '" + o.name + "' already exists.");
  }
  audit(c, "audit.organization.update", "organization", o.guid, o.name, "", b);
  return {200, presentOrganization(c.req.base_url, o), {}};
}

ApiResponse Api::deleteOrganization(Ctx& c, const std::string& guid) {
  Organization o = authorizeOrg(c, guid, false, "Organization");
  requireAdmin(c);
  audit(c, "audit.organization.delete-request", "organization", o.guid, o.name, "");
  return startDeleteJob(c, "organization.delete", "organization", guid);
}

// Spaces.

ApiResponse Api::createSpace(Ctx& c) {
  json b = c.body();
  body::allowOnly(b, {"name", "relationships", "metadata"});
  std::string name = requiredName(b);
  auto org_guid = body::relationshipGuid(b, "organization");
  if (!org_guid) throw unprocessable("Relationships organization can't be blank");
  auto org = store_.getOrganization(*org_guid);
  if (!org || !c.can().canReadOrg(*org_guid)) {
    throw unprocessable("Invalid organization. Ensure the organization exists and you have access to it.");
  }
  authorizeOrg(c, *org_guid, true, "Organization");
  const std::string now = nowIso8601();
  Space s{newGuid(), name, *org_guid, now, now, std::nullopt};
  if (store_.createSpace(s) != WriteResult::Ok) {
    throw unprocessable("Name must be unique per organization");
  }
  audit(c, "audit.space.create", "space", s.guid, s.name, s.guid);
  return {201, presentSpace(c.req.base_url, s), {}};
}

ApiResponse Api::listSpaces(Ctx& c) {
  c.query.allowOnly({"names", "guids", "organization_guids", "page", "per_page", "order_by",
                     "include"});
  PageRequest page = readPageRequest(c.query, {"created_at", "updated_at", "name"});
  SpaceFilter f;
  if (auto* v = c.query.find("names")) f.names = *v;
  if (auto* v = c.query.find("guids")) f.guids = *v;
  if (auto* v = c.query.find("organization_guids")) f.organization_guids = *v;
  std::vector<Space> spaces;
  if (scopeFilter(f.guids, c.can().readableSpaces())) spaces = store_.listSpaces(f);
  std::function<json(const Space&)> present = [&](const Space& s) {
    return presentSpace(c.req.base_url, s);
  };
  json out = presentList(c.req.base_url, "/v3/spaces", c.req.query, page, spaces,
                         nameOrTimeKey<Space>(page), present);
  if (auto* inc = c.query.find("include")) {
    if (std::find(inc->begin(), inc->end(), "organization") != inc->end()) {
      std::vector<std::string> org_guids;
      for (const auto& r : out["resources"]) {
        org_guids.push_back(r["relationships"]["organization"]["data"]["guid"]);
      }
      json orgs = json::array();
      if (!org_guids.empty()) {
        for (const auto& o : store_.listOrganizations({org_guids, {}})) {
          orgs.push_back(presentOrganization(c.req.base_url, o));
        }
      }
      out["included"] = {{"organizations", orgs}};
    }
  }
  return {200, std::move(out), {}};
}

ApiResponse Api::getSpace(Ctx& c, const std::string& guid) {
  return {200, presentSpace(c.req.base_url, authorizeSpace(c, guid, Access::Read, "Space")), {}};
}

ApiResponse Api::updateSpace(Ctx& c, const std::string& guid) {
  Space s = authorizeSpace(c, guid, Access::Manage, "Space");
  json b = c.body();
  body::allowOnly(b, {"name", "metadata"});
  if (b.contains("name")) s.name = requiredName(b);
  s.updated_at = nowIso8601();
  if (store_.updateSpace(s) != WriteResult::Ok) {
    throw unprocessable("Name must be unique per organization");
  }
  audit(c, "audit.space.update", "space", s.guid, s.name, s.guid, b);
  return {200, presentSpace(c.req.base_url, s), {}};
}

ApiResponse Api::deleteSpace(Ctx& c, const std::string& guid) {
  Space s = authorizeSpace(c, guid, Access::Read, "Space");
  authorizeOrg(c, s.organization_guid, true, "Space");  // org managers (and admins) delete
  audit(c, "audit.space.delete-request", "space", s.guid, s.name, s.guid);
  return startDeleteJob(c, "space.delete", "space", guid);
}

// Domains: shared ones are visible to everyone, private ones to those who can read their org.

ApiResponse Api::createDomain(Ctx& c) {
  json b = c.body();
  body::allowOnly(b, {"name", "internal", "relationships", "metadata"});
  Domain d;
  d.guid = newGuid();
  d.name = requiredName(b);
  std::transform(d.name.begin(), d.name.end(), d.name.begin(),
                 [](unsigned char ch) { return std::tolower(ch); });
  if (d.name.find('.') == std::string::npos || d.name.front() == '.' || d.name.back() == '.' ||
      d.name.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789-.") != std::string::npos) {
    throw unprocessable("Name does not comply with RFC 1035 standards");
  }
  if (b.contains("internal")) {
    if (!b["internal"].is_boolean()) throw unprocessable("Internal must be a boolean");
    d.internal = b["internal"].get<bool>();
  }
  d.organization_guid = body::relationshipGuid(b, "organization");
  if (d.organization_guid) {
    Organization org = authorizeOrg(c, *d.organization_guid, true, "Organization");
    auto quota = org.quota_guid ? store_.getOrganizationQuota(*org.quota_guid) : std::nullopt;
    if (quota && quota->limits.total_domains) {
      int64_t owned = 0;
      for (const auto& x : store_.listDomains({{}, {}, std::nullopt})) {
        if (x.organization_guid == org.guid) ++owned;
      }
      if (owned + 1 > *quota->limits.total_domains) {
        throw unprocessable("The number of private domains exceeds the quota for organization \"" +
                            org.name + "\"");
      }
    }
  } else {
    requireAdmin(c);  // shared domains are the operator's
  }
  d.created_at = d.updated_at = nowIso8601();
  if (store_.createDomain(d) != WriteResult::Ok) {
    throw unprocessable("The domain name \"" + d.name + "\" is already in use");
  }
  return {201, presentDomain(c.req.base_url, d), {}};
}

ApiResponse Api::listDomains(Ctx& c, const std::string& org_guid) {
  c.query.allowOnly({"names", "guids", "organization_guids", "page", "per_page", "order_by"});
  PageRequest page = readPageRequest(c.query, {"created_at", "updated_at", "name"});
  DomainFilter f;
  if (auto* v = c.query.find("names")) f.names = *v;
  if (auto* v = c.query.find("guids")) f.guids = *v;
  if (!org_guid.empty()) {
    f.visible_in_organizations = std::vector<std::string>{org_guid};
  } else if (auto orgs = c.can().readableOrgs()) {
    f.visible_in_organizations = *orgs;
  }
  auto domains = store_.listDomains(f);
  if (auto* orgs = c.query.find("organization_guids")) {
    std::erase_if(domains, [&](const Domain& d) {
      return !d.organization_guid ||
             std::find(orgs->begin(), orgs->end(), *d.organization_guid) == orgs->end();
    });
  }
  std::function<json(const Domain&)> present = [&](const Domain& d) {
    return presentDomain(c.req.base_url, d);
  };
  return {200,
          presentList(c.req.base_url,
                      org_guid.empty() ? "/v3/domains" : "/v3/organizations/" + org_guid + "/domains",
                      c.req.query, page, std::move(domains), nameOrTimeKey<Domain>(page), present),
          {}};
}

ApiResponse Api::getDomain(Ctx& c, const std::string& guid) {
  auto d = store_.getDomain(guid);
  if (!d || (d->organization_guid && !c.can().canReadOrg(*d->organization_guid))) {
    throw notFound("Domain");
  }
  return {200, presentDomain(c.req.base_url, *d), {}};
}

ApiResponse Api::deleteDomain(Ctx& c, const std::string& guid) {
  auto d = store_.getDomain(guid);
  if (!d || (d->organization_guid && !c.can().canReadOrg(*d->organization_guid))) {
    throw notFound("Domain");
  }
  if (d->organization_guid) {
    authorizeOrg(c, *d->organization_guid, true, "Domain");
  } else {
    requireAdmin(c);
  }
  if (!store_.listRoutes({{}, {}, {}, {guid}, {}, {}}).empty()) {
    throw unprocessable("Domain with name '" + d->name + "' has routes; delete them first.");
  }
  return startDeleteJob(c, "domain.delete", "domain", guid);
}

ApiResponse Api::defaultDomain(Ctx& c, const std::string& org_guid) {
  authorizeOrg(c, org_guid, false, "Organization");
  // CC: the oldest shared domain; else the org's oldest private one.
  auto d = store_.getDomain(domain_guid_);
  if (!d) {
    auto mine = store_.listDomains({{}, {}, std::vector<std::string>{org_guid}});
    if (mine.empty()) throw notFound("Domain");
    d = mine[0];
  }
  return {200, presentDomain(c.req.base_url, *d), {}};
}

}  // namespace foundry::control
