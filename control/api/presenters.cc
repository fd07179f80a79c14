#include "control/api/presenters.h"

#include <algorithm>

#include "control/api/json_shapes.h"

namespace foundry::control {
namespace {

using nlohmann::json;

using namespace shapes;

}  // namespace

ApiResponse blobDownload(const std::string& path, const std::string& sha256) {
  ApiResponse r;
  r.status = 200;
  r.body = nullptr;
  r.file_path = path;
  r.headers = {{"Content-Type", "application/gzip"}};
  if (!sha256.empty()) r.headers.push_back({"X-Checksum-Sha256", sha256});
  return r;
}

json presentError(const ApiError& e) {
  return {{"errors", json::array({{{"code", e.code}, {"title", e.title}, {"detail", e.detail}}})}};
}

json presentOrganization(const std::string& base, const Organization& o) {
  const std::string self = base + "/v3/organizations/" + o.guid;
  return {{"guid", o.guid},
          {"created_at", o.created_at},
          {"updated_at", o.updated_at},
          {"name", o.name},
          {"suspended", o.suspended},
          {"relationships", {{"quota", o.quota_guid ? toOne(*o.quota_guid) : toOneNull()}}},
          {"metadata", metadata()},
          {"links",
           {{"self", href(self)},
            {"domains", href(self + "/domains")},
            {"default_domain", href(self + "/domains/default")},
            {"quota", href(base + "/v3/organization_quotas/" + o.quota_guid.value_or(""))}}}};
}

json presentSpace(const std::string& base, const Space& s) {
  const std::string self = base + "/v3/spaces/" + s.guid;
  return {{"guid", s.guid},
          {"created_at", s.created_at},
          {"updated_at", s.updated_at},
          {"name", s.name},
          {"suspended", false},
          {"relationships",
           {{"organization", toOne(s.organization_guid)},
            {"quota", s.quota_guid ? toOne(*s.quota_guid) : toOneNull()}}},
          {"metadata", metadata()},
          {"links",
           {{"self", href(self)},
            {"organization", href(base + "/v3/organizations/" + s.organization_guid)},
            {"features", href(self + "/features")},
            {"apply_manifest", href(self + "/actions/apply_manifest", "POST")}}}};
}

json presentDomain(const std::string& base, const Domain& d) {
  const std::string self = base + "/v3/domains/" + d.guid;
  json links = {{"self", href(self)},
                {"route_reservations", href(self + "/route_reservations")}};
  if (d.organization_guid) {
    links["organization"] = href(base + "/v3/organizations/" + *d.organization_guid);
  }
  return {{"guid", d.guid},
          {"created_at", d.created_at},
          {"updated_at", d.updated_at},
          {"name", d.name},
          {"internal", d.internal},
          {"router_group", nullptr},
          {"supported_protocols", json::array({"http"})},
          {"metadata", metadata()},
          {"relationships",
           {{"organization",
             d.organization_guid ? toOne(*d.organization_guid) : toOneNull()},
            {"shared_organizations", {{"data", json::array()}}}}},
          {"links", std::move(links)}};
}

json presentApp(const std::string& base, const App& a) {
  const std::string self = base + "/v3/apps/" + a.guid;
  json lifecycle_data = json::object();
  if (a.lifecycle_type != "docker") {
    lifecycle_data = {{"buildpacks", a.buildpacks}, {"stack", a.stack}};
  }
  return {{"guid", a.guid},
          {"created_at", a.created_at},
          {"updated_at", a.updated_at},
          {"name", a.name},
          {"state", a.state},
          {"lifecycle", {{"type", a.lifecycle_type}, {"data", std::move(lifecycle_data)}}},
          {"relationships",
           {{"space", toOne(a.space_guid)},
            {"current_droplet", a.droplet_guid ? toOne(*a.droplet_guid) : toOneNull()}}},
          {"metadata", metadata()},
          {"links",
           {{"self", href(self)},
            {"space", href(base + "/v3/spaces/" + a.space_guid)},
            {"processes", href(self + "/processes")},
            {"packages", href(self + "/packages")},
            {"environment_variables", href(self + "/environment_variables")},
            {"current_droplet", href(self + "/droplets/current")},
            {"droplets", href(self + "/droplets")},
            {"tasks", href(self + "/tasks")},
            {"start", href(self + "/actions/start", "POST")},
            {"stop", href(self + "/actions/stop", "POST")},
            {"revisions", href(self + "/revisions")},
            {"deployed_revisions", href(self + "/revisions/deployed")},
            {"features", href(self + "/features")}}}};
}

json presentProcess(const std::string& base, const Process& p, const std::string& space_guid) {
  const std::string self = base + "/v3/processes/" + p.guid;
  json hc_data = {{"timeout", orNull(p.health_check_timeout)},
                  {"invocation_timeout", orNull(p.health_check_invocation_timeout)},
                  {"interval", orNull(p.health_check_interval)}};
  if (p.health_check_type == "http") {
    hc_data["endpoint"] = orNull(p.health_check_endpoint);
  }
  return {{"guid", p.guid},
          {"created_at", p.created_at},
          {"updated_at", p.updated_at},
          {"type", p.type},
          {"command", orNull(p.command)},
          {"user", "vcap"},
          {"instances", p.instances},
          {"memory_in_mb", p.memory_in_mb},
          {"disk_in_mb", p.disk_in_mb},
          {"log_rate_limit_in_bytes_per_second", p.log_rate_limit_in_bytes_per_second},
          {"health_check", {{"type", p.health_check_type}, {"data", std::move(hc_data)}}},
          {"readiness_health_check", {{"type", "process"}, {"data", json::object()}}},
          {"relationships", {{"app", toOne(p.app_guid)}, {"revision", toOneNull()}}},
          {"version", p.version},
          {"metadata", metadata()},
          {"links",
           {{"self", href(self)},
            {"scale", href(self + "/actions/scale", "POST")},
            {"app", href(base + "/v3/apps/" + p.app_guid)},
            {"space", href(base + "/v3/spaces/" + space_guid)},
            {"stats", href(self + "/stats")}}}};
}

json presentDestination(const Destination& d) {
  return {{"guid", d.guid},
          {"app", {{"guid", d.app_guid}, {"process", {{"type", d.process_type}}}}},
          {"weight", d.weight ? json(*d.weight) : json(nullptr)},
          {"port", d.port},
          {"protocol", d.protocol},
          {"created_at", d.created_at},
          {"updated_at", d.updated_at}};
}

json presentJob(const std::string& base, const Job& j) {
  json links = {{"self", href(base + "/v3/jobs/" + j.guid)}};
  if (j.state != "COMPLETE") {
    // While the resource still exists, link it (CC does the same for app.delete jobs).
    links[j.resource_type] = href(base + "/v3/" + j.resource_type + "s/" + j.resource_guid);
  }
  json errors = json::parse(j.errors, nullptr, false);
  json warnings = json::parse(j.warnings, nullptr, false);
  return {{"guid", j.guid},
          {"created_at", j.created_at},
          {"updated_at", j.updated_at},
          {"operation", j.operation},
          {"state", j.state},
          {"errors", errors.is_array() ? errors : json::array()},
          {"warnings", warnings.is_array() ? warnings : json::array()},
          {"links", std::move(links)}};
}

PageRequest readPageRequest(const Query& query, const std::vector<std::string>& order_fields) {
  PageRequest p;
  auto integer = [&](const char* key, int64_t lo, int64_t hi, int64_t* out) {
    const auto* v = query.find(key);
    if (!v) {
      return;
    }
    const std::string text = v->size() == 1 ? (*v)[0] : "";
    int64_t n = 0;
    bool ok = !text.empty() && text.size() < 10 &&
              std::all_of(text.begin(), text.end(), [](char ch) { return ch >= '0' && ch <= '9'; });
    if (ok) {
      n = std::stoll(text);
    }
    if (!ok || n < lo || n > hi) {
      throw badQuery(std::string("The query parameter is invalid: ") + key + " must be between " +
                     std::to_string(lo) + " and " + std::to_string(hi));
    }
    *out = n;
  };
  integer("page", 1, 1000000000, &p.page);
  integer("per_page", 1, 5000, &p.per_page);
  if (const auto* v = query.find("order_by")) {
    std::string field = v->size() == 1 ? (*v)[0] : "";
    if (!field.empty() && (field[0] == '-' || field[0] == '+')) {
      p.descending = field[0] == '-';
      field.erase(0, 1);
    }
    if (std::find(order_fields.begin(), order_fields.end(), field) == order_fields.end()) {
      std::string allowed;
      for (const auto& f : order_fields) {
        allowed += (allowed.empty() ? "'" : ", '") + f + "'";
      }
      throw badQuery("The query parameter is invalid: Order by can only be: " + allowed);
    }
    p.order_by = field;
  }
  return p;
}

json paginationObject(const std::string& base, const std::string& path,
                      const std::string& raw_query, const PageRequest& page,
                      int64_t total_results) {
  // Keep every parameter but page/per_page, as it came (still encoded).
  std::string rest;
  size_t start = 0;
  while (start <= raw_query.size() && !raw_query.empty()) {
    size_t end = raw_query.find('&', start);
    if (end == std::string::npos) {
      end = raw_query.size();
    }
    std::string part = raw_query.substr(start, end - start);
    std::string key = part.substr(0, part.find('='));
    if (!part.empty() && key != "page" && key != "per_page") {
      rest += "&" + part;
    }
    start = end + 1;
  }
  const int64_t total_pages =
      std::max<int64_t>(1, (total_results + page.per_page - 1) / page.per_page);
  auto link = [&](int64_t n) {
    return json{{"href", base + path + "?page=" + std::to_string(n) +
                             "&per_page=" + std::to_string(page.per_page) + rest}};
  };
  return {{"total_results", total_results},
          {"total_pages", total_pages},
          {"first", link(1)},
          {"last", link(total_pages)},
          {"next", page.page < total_pages ? link(page.page + 1) : json(nullptr)},
          {"previous", page.page > 1 ? link(std::min(page.page - 1, total_pages)) : json(nullptr)}};
}

}  // namespace foundry::control
