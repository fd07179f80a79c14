// Root documents, organizations, spaces and domains (read-only in this slice: one default
// organization, space and shared domain, made by Api::bootstrap()).
#include "control/api/api.h"
#include "control/api/presenters.h"

namespace foundry::control {

using nlohmann::json;

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
             {"login", nullptr},
             {"uaa", nullptr},
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
  for (const char* r : {"apps", "domains", "jobs", "organizations", "processes", "routes",
                        "spaces"}) {
    links[r] = {{"href", c.url(std::string("/v3/") + r)}};
  }
  return {200, {{"links", std::move(links)}}, {}};
}

ApiResponse Api::listOrganizations(Ctx& c) {
  c.query.allowOnly({"names", "guids", "page", "per_page", "order_by"});
  PageRequest page = readPageRequest(c.query, {"created_at", "updated_at", "name"});
  NameFilter f;
  if (auto* v = c.query.find("names")) f.names = *v;
  if (auto* v = c.query.find("guids")) f.guids = *v;
  std::function<std::string(const Organization&)> key = [&](const Organization& o) {
    return page.order_by == "name" ? o.name : page.order_by == "updated_at" ? o.updated_at
                                                                            : o.created_at;
  };
  std::function<json(const Organization&)> present = [&](const Organization& o) {
    return presentOrganization(c.req.base_url, o);
  };
  return {200,
          presentList(c.req.base_url, "/v3/organizations", c.req.query, page,
                      store_.listOrganizations(f), key, present),
          {}};
}

ApiResponse Api::getOrganization(Ctx& c, const std::string& guid) {
  auto o = store_.getOrganization(guid);
  if (!o) throw notFound("Organization");
  return {200, presentOrganization(c.req.base_url, *o), {}};
}

ApiResponse Api::listSpaces(Ctx& c) {
  c.query.allowOnly({"names", "guids", "organization_guids", "page", "per_page", "order_by"});
  PageRequest page = readPageRequest(c.query, {"created_at", "updated_at", "name"});
  NameFilter f;
  if (auto* v = c.query.find("names")) f.names = *v;
  if (auto* v = c.query.find("guids")) f.guids = *v;
  auto spaces = store_.listSpaces(f);
  if (auto* orgs = c.query.find("organization_guids")) {
    std::erase_if(spaces, [&](const Space& s) {
      return std::find(orgs->begin(), orgs->end(), s.organization_guid) == orgs->end();
    });
  }
  std::function<std::string(const Space&)> key = [&](const Space& s) {
    return page.order_by == "name" ? s.name : page.order_by == "updated_at" ? s.updated_at
                                                                            : s.created_at;
  };
  std::function<json(const Space&)> present = [&](const Space& s) {
    return presentSpace(c.req.base_url, s);
  };
  return {200,
          presentList(c.req.base_url, "/v3/spaces", c.req.query, page, std::move(spaces), key,
                      present),
          {}};
}

ApiResponse Api::getSpace(Ctx& c, const std::string& guid) {
  auto s = store_.getSpace(guid);
  if (!s) throw notFound("Space");
  return {200, presentSpace(c.req.base_url, *s), {}};
}

ApiResponse Api::listDomains(Ctx& c) {
  c.query.allowOnly({"names", "guids", "page", "per_page", "order_by"});
  PageRequest page = readPageRequest(c.query, {"created_at", "updated_at", "name"});
  NameFilter f;
  if (auto* v = c.query.find("names")) f.names = *v;
  if (auto* v = c.query.find("guids")) f.guids = *v;
  std::function<std::string(const Domain&)> key = [&](const Domain& d) {
    return page.order_by == "name" ? d.name : page.order_by == "updated_at" ? d.updated_at
                                                                            : d.created_at;
  };
  std::function<json(const Domain&)> present = [&](const Domain& d) {
    return presentDomain(c.req.base_url, d);
  };
  return {200,
          presentList(c.req.base_url, "/v3/domains", c.req.query, page, store_.listDomains(f),
                      key, present),
          {}};
}

ApiResponse Api::getDomain(Ctx& c, const std::string& guid) {
  auto d = store_.getDomain(guid);
  if (!d) throw notFound("Domain");
  return {200, presentDomain(c.req.base_url, *d), {}};
}

}  // namespace foundry::control
