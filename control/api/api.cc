#include "control/api/api.h"

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <random>

#include "control/api/presenters.h"
#include "control/auth/token_service.h"
#include "common/log/log.h"

namespace foundry::control {

using nlohmann::json;

ApiError notFound(const std::string& what) {
  return {404, 10010, "CF-ResourceNotFound", what + " not found"};
}
ApiError unprocessable(const std::string& detail) {
  return {422, 10008, "CF-UnprocessableEntity", detail};
}
ApiError badQuery(const std::string& detail) {
  return {400, 10005, "CF-BadQueryParameter", detail};
}

std::string percentDecode(const std::string& s) {
  std::string out;
  out.reserve(s.size());
  auto hex = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && hex(s[i + 1]) >= 0 && hex(s[i + 2]) >= 0) {
      out += static_cast<char>(hex(s[i + 1]) * 16 + hex(s[i + 2]));
      i += 2;
    } else if (s[i] == '+') {
      out += ' ';
    } else {
      out += s[i];
    }
  }
  return out;
}

Query parseQuery(const std::string& raw) {
  Query q;
  size_t start = 0;
  while (start < raw.size()) {
    size_t end = raw.find('&', start);
    if (end == std::string::npos) {
      end = raw.size();
    }
    std::string part = raw.substr(start, end - start);
    start = end + 1;
    if (part.empty()) {
      continue;
    }
    size_t eq = part.find('=');
    std::string key = percentDecode(part.substr(0, eq));
    std::string value = eq == std::string::npos ? "" : part.substr(eq + 1);
    std::vector<std::string> values;
    size_t vs = 0;
    while (true) {
      size_t comma = value.find(',', vs);
      values.push_back(percentDecode(value.substr(vs, comma - vs)));
      if (comma == std::string::npos) {
        break;
      }
      vs = comma + 1;
    }
    q.params.emplace_back(std::move(key), std::move(values));
  }
  return q;
}

const std::vector<std::string>* Query::find(const std::string& key) const {
  for (const auto& [k, v] : params) {
    if (k == key) {
      return &v;
    }
  }
  return nullptr;
}

void Query::allowOnly(const std::vector<std::string>& allowed) const {
  std::string unknown;
  for (const auto& [k, v] : params) {
    if (std::find(allowed.begin(), allowed.end(), k) == allowed.end()) {
      unknown += (unknown.empty() ? "'" : ", '") + k + "'";
    }
  }
  if (!unknown.empty()) {
    std::string valid;
    for (const auto& a : allowed) {
      valid += (valid.empty() ? "'" : ", '") + a + "'";
    }
    throw badQuery("The query parameter is invalid: Unknown query parameter(s): " + unknown +
                   ". Valid parameters are: " + valid);
  }
}

std::string newGuid() {
  static thread_local std::mt19937_64 rng{std::random_device{}() ^
                                          (static_cast<uint64_t>(std::random_device{}()) << 32)};
  uint64_t hi = rng(), lo = rng();
  hi = (hi & 0xFFFFFFFFFFFF0FFFULL) | 0x0000000000004000ULL;  // version 4
  lo = (lo & 0x3FFFFFFFFFFFFFFFULL) | 0x8000000000000000ULL;  // variant 10
  char buf[37];
  snprintf(buf, sizeof buf, "%08x-%04x-%04x-%04x-%012llx", static_cast<unsigned>(hi >> 32),
           static_cast<unsigned>((hi >> 16) & 0xFFFF), static_cast<unsigned>(hi & 0xFFFF),
           static_cast<unsigned>(lo >> 48),
           static_cast<unsigned long long>(lo & 0xFFFFFFFFFFFFULL));
  return buf;
}

std::string nowIso8601() {
  std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

json Api::Ctx::body() const {
  json j = json::parse(req.body.empty() ? std::string("{}") : req.body, nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    throw ApiError{400, 1001, "CF-MessageParseError",
                   "Request invalid due to parse error: invalid request body"};
  }
  return j;
}

Api::Api(Store& store, ApiConfig config) : store_(store), config_(std::move(config)) {}

void Api::bootstrap() {
  const std::string now = nowIso8601();
  // CF gives every new organization the quota named `default` (unlimited until an operator
  // changes it).
  auto quotas = store_.listOrganizationQuotas({{}, {"default"}, {}});
  if (quotas.empty()) {
    OrganizationQuota q{newGuid(), "default", {}, now, now};
    if (store_.createOrganizationQuota(q) != WriteResult::Ok) {
      throw StoreError("cannot create the default organization quota");
    }
    quotas.push_back(q);
  }
  default_quota_guid_ = quotas[0].guid;
  auto orgs = store_.listOrganizations({{}, {config_.organization_name}});
  if (orgs.empty()) {
    Organization o{newGuid(), config_.organization_name, false, now, now, default_quota_guid_};
    if (store_.createOrganization(o) != WriteResult::Ok) {
      throw StoreError("cannot create the default organization");
    }
    orgs.push_back(o);
  }
  org_guid_ = orgs[0].guid;
  std::optional<Space> space;
  for (const auto& s : store_.listSpaces({{}, {config_.space_name}, {}})) {
    if (s.organization_guid == org_guid_) {
      space = s;
    }
  }
  if (!space) {
    space = Space{newGuid(), config_.space_name, org_guid_, now, now, std::nullopt};
    if (store_.createSpace(*space) != WriteResult::Ok) {
      throw StoreError("cannot create the default space");
    }
  }
  space_guid_ = space->guid;
  auto domains = store_.listDomains({{}, {config_.domain}, std::nullopt});
  if (domains.empty()) {
    Domain d{newGuid(), config_.domain, false, std::nullopt, now, now};
    if (store_.createDomain(d) != WriteResult::Ok) {
      throw StoreError("cannot create the default domain");
    }
    domains.push_back(d);
  }
  domain_guid_ = domains[0].guid;
}

std::vector<std::string> Api::splitPath(const std::string& p) {
  std::vector<std::string> segs;
  size_t start = 0;
  while (start < p.size()) {
    size_t end = p.find('/', start);
    if (end == std::string::npos) {
      end = p.size();
    }
    if (end > start) {
      segs.push_back(percentDecode(p.substr(start, end - start)));
    }
    start = end + 1;
  }
  return segs;
}

ApiResponse Api::handleAs(const ApiRequest& request, Identity caller) {
  Ctx c{request, splitPath(request.path), parseQuery(request.query), std::nullopt};
  try {
    c.perm.emplace(std::move(caller), store_);
    return dispatchWatched(c);
  } catch (const ApiError& e) {
    return {e.status, presentError(e), {}};
  }
}

ApiResponse Api::handle(const ApiRequest& request) {
  Ctx c{request, splitPath(request.path), parseQuery(request.query), std::nullopt};
  try {
    const std::string& p0 = c.segs.empty() ? std::string() : c.segs[0];
    if (p0 == "uaa") {
      if (!tokens_) throw ApiError{503, 10001, "UnknownError", "No token service"};
      return tokens_->handle(request);
    }
    // Open: the root documents and log-cache's info (the CLI reads them before logging in),
    // and /internal/, which the server admits only with the platform's internal credentials.
    const bool open = (request.method == "GET" &&
                       (c.segs.empty() || (c.segs.size() == 1 && p0 == "v3") ||
                        (c.segs.size() == 2 && p0 == "v3" && c.segs[1] == "info") ||
                        (c.segs.size() == 3 && p0 == "api" && c.segs[2] == "info"))) ||
                      p0 == "internal";
    if (!open) {
      if (!tokens_) throw ApiError{401, 10002, "CF-NotAuthenticated", "Authentication error"};
      Identity who = tokens_->authenticate(request.authorization,
                                           static_cast<int64_t>(std::time(nullptr)));
      // CC asks cloud_controller.read for reads and .write for changes (or a global role).
      const bool reading = request.method == "GET" || request.method == "HEAD";
      if (!who.hasScope(kScopeAdmin) &&
          !(reading ? who.hasScope(kScopeRead) || who.hasScope(kScopeAdminReadOnly) ||
                          who.hasScope(kScopeGlobalAuditor)
                    : who.hasScope(kScopeWrite))) {
        throw ApiError{403, 10003, "CF-NotAuthorized",
                       "You are not authorized to perform the requested action"};
      }
      c.perm.emplace(std::move(who), store_);
    }
    return dispatchWatched(c);
  } catch (const ApiError& e) {
    return {e.status, presentError(e), {}};
  } catch (const std::exception& e) {
    log::error("controller", "request-failed",
               {{"method", request.method}, {"path", request.path}, {"error", e.what()}});
    return {500, presentError({500, 10001, "UnknownError",
                               "An unknown error occurred."}),
            {}};
  }
}

ApiResponse Api::dispatchWatched(Ctx& c) {
  // The current-droplet PATCH is staging's handler; the scheduling side watches it here.
  auto droplet_before = dropletAssignmentBefore(c);
  ApiResponse response = dispatch(c);
  if (droplet_before && response.status >= 200 && response.status < 300) {
    afterDropletAssignment(*droplet_before);
  }
  return response;
}

bool Api::matches(const std::vector<std::string>& segs,
                  std::initializer_list<const char*> pattern) {
  // "*" matches any one segment.
  if (pattern.size() != segs.size()) return false;
  size_t i = 0;
  for (const char* piece : pattern) {
    if (std::string_view(piece) != "*" && segs[i] != piece) return false;
    ++i;
  }
  return true;
}

ApiResponse Api::dispatch(Ctx& c) {
  const auto& s = c.segs;
  const std::string& m = c.req.method;
  const size_t n = s.size();
  auto is = [&](std::initializer_list<const char*> pattern) { return matches(s, pattern); };

  if (m == "GET" && n == 0) return root(c);
  if (n >= 3 && s[0] == "api" && s[1] == "v1") {
    if (m == "GET" && is({"api", "v1", "read", "*"})) return readLogs(c, s[3]);
    if (m == "GET" && is({"api", "v1", "info"})) return logCacheInfo(c);
  }
  if (m == "GET" && is({"internal", "v1", "droplets", "*", "download"})) {
    return downloadDroplet(c, s[3]);
  }
  if (m == "POST" && is({"internal", "v4", "tasks", "*", "completed"})) {
    return taskCompleted(c, s[3]);
  }
  if (n >= 1 && s[0] == "internal") {
    if (m == "GET" && is({"internal", "v1", "packages", "*", "download"})) {
      return downloadPackageBits(c, s[3]);
    }
    if (m == "GET" && is({"internal", "v1", "apps", "*", "buildpack_cache"})) {
      return downloadBuildpackCache(c, s[3]);
    }
    if (m == "POST" && is({"internal", "v1", "builds", "*", "*"}) &&
        (s[4] == "droplet" || s[4] == "buildpack_cache")) {
      return uploadStagingArtifact(c, s[3], s[4]);
    }
    if (m == "POST" && is({"internal", "v3", "staging", "*", "build_completed"})) {
      return stagingTaskCompleted(c, s[3]);
    }
  }
  if (n >= 1 && s[0] == "v3") {
    if (m == "GET" && is({"v3"})) return v3Root(c);
    if (m == "GET" && is({"v3", "info"})) return v3Info(c);
    if (n >= 2 && s[1].rfind("service_", 0) == 0) {
      if (auto r = dispatchMarketplace(c)) return *r;
      if (auto r = dispatchServiceInstances(c)) return *r;
    }
    if (m == "POST" && is({"v3", "organizations"})) return createOrganization(c);
    if (m == "GET" && is({"v3", "organizations"})) return listOrganizations(c);
    if (m == "GET" && is({"v3", "organizations", "*"})) return getOrganization(c, s[2]);
    if (m == "PATCH" && is({"v3", "organizations", "*"})) return updateOrganization(c, s[2]);
    if (m == "DELETE" && is({"v3", "organizations", "*"})) return deleteOrganization(c, s[2]);
    if (m == "GET" && is({"v3", "organizations", "*", "domains", "default"})) {
      return defaultDomain(c, s[2]);
    }
    if (m == "GET" && is({"v3", "organizations", "*", "domains"})) {
      authorizeOrg(c, s[2], false, "Organization");
      return listDomains(c, s[2]);
    }
    if (m == "POST" && is({"v3", "spaces"})) return createSpace(c);
    if (m == "GET" && is({"v3", "spaces"})) return listSpaces(c);
    if (m == "GET" && is({"v3", "spaces", "*"})) return getSpace(c, s[2]);
    if (m == "PATCH" && is({"v3", "spaces", "*"})) return updateSpace(c, s[2]);
    if (m == "DELETE" && is({"v3", "spaces", "*"})) return deleteSpace(c, s[2]);
    if (m == "POST" && is({"v3", "domains"})) return createDomain(c);
    if (m == "GET" && is({"v3", "domains"})) return listDomains(c, "");
    if (m == "GET" && is({"v3", "domains", "*"})) return getDomain(c, s[2]);
    if (m == "DELETE" && is({"v3", "domains", "*"})) return deleteDomain(c, s[2]);
    if (m == "GET" && is({"v3", "jobs", "*"})) return getJob(c, s[2]);

    if (m == "POST" && is({"v3", "roles"})) return createRole(c);
    if (m == "GET" && is({"v3", "roles"})) return listRoles(c);
    if (m == "GET" && is({"v3", "roles", "*"})) return getRole(c, s[2]);
    if (m == "DELETE" && is({"v3", "roles", "*"})) return deleteRole(c, s[2]);
    if (m == "POST" && is({"v3", "users"})) return createUser(c);
    if (m == "GET" && is({"v3", "users"})) return listUsers(c);
    if (m == "GET" && is({"v3", "users", "*"})) return getUser(c, s[2]);
    if (m == "DELETE" && is({"v3", "users", "*"})) return deleteUser(c, s[2]);
    if (m == "POST" && is({"v3", "organization_quotas"})) return createOrganizationQuota(c);
    if (m == "GET" && is({"v3", "organization_quotas"})) return listOrganizationQuotas(c);
    if (m == "GET" && is({"v3", "organization_quotas", "*"})) return getOrganizationQuota(c, s[2]);
    if (m == "PATCH" && is({"v3", "organization_quotas", "*"})) {
      return updateOrganizationQuota(c, s[2]);
    }
    if (m == "DELETE" && is({"v3", "organization_quotas", "*"})) {
      return deleteOrganizationQuota(c, s[2]);
    }
    if (m == "POST" && is({"v3", "organization_quotas", "*", "relationships", "organizations"})) {
      return applyOrganizationQuota(c, s[2]);
    }
    if (m == "POST" && is({"v3", "space_quotas"})) return createSpaceQuota(c);
    if (m == "GET" && is({"v3", "space_quotas"})) return listSpaceQuotas(c);
    if (m == "GET" && is({"v3", "space_quotas", "*"})) return getSpaceQuota(c, s[2]);
    if (m == "PATCH" && is({"v3", "space_quotas", "*"})) return updateSpaceQuota(c, s[2]);
    if (m == "DELETE" && is({"v3", "space_quotas", "*"})) return deleteSpaceQuota(c, s[2]);
    if (m == "POST" && is({"v3", "space_quotas", "*", "relationships", "spaces"})) {
      return applySpaceQuota(c, s[2]);
    }
    if (m == "DELETE" && is({"v3", "space_quotas", "*", "relationships", "spaces", "*"})) {
      return removeSpaceQuota(c, s[2], s[5]);
    }
    if (m == "POST" && is({"v3", "spaces", "*", "actions", "apply_manifest"})) {
      return applyManifest(c, s[2]);
    }
    if (m == "POST" && is({"v3", "spaces", "*", "manifest_diff"})) return manifestDiff(c, s[2]);
    if (m == "GET" && is({"v3", "apps", "*", "env"})) return appEnv(c, s[2]);
    if (m == "GET" && is({"v3", "apps", "*", "environment_variables"})) {
      return getEnvironmentVariables(c, s[2]);
    }
    if (m == "PATCH" && is({"v3", "apps", "*", "environment_variables"})) {
      return patchEnvironmentVariables(c, s[2]);
    }
    if (m == "GET" && is({"v3", "audit_events"})) return listAuditEvents(c);
    if (m == "GET" && is({"v3", "audit_events", "*"})) return getAuditEvent(c, s[2]);

    if (m == "POST" && is({"v3", "apps"})) return createApp(c);
    if (m == "GET" && is({"v3", "apps"})) return listApps(c);
    if (m == "GET" && is({"v3", "apps", "*"})) return getApp(c, s[2]);
    if (m == "PATCH" && is({"v3", "apps", "*"})) return updateApp(c, s[2]);
    if (m == "DELETE" && is({"v3", "apps", "*"})) return deleteApp(c, s[2]);
    if (m == "POST" && is({"v3", "apps", "*", "actions", "*"}) &&
        (s[4] == "start" || s[4] == "stop" || s[4] == "restart")) {
      return appAction(c, s[2], s[4]);
    }
    if (m == "GET" && is({"v3", "apps", "*", "processes"})) return listAppProcesses(c, s[2]);
    if (m == "GET" && is({"v3", "apps", "*", "routes"})) {
      requireApp(c, s[2]);
      return listRoutes(c, s[2]);
    }
    if (m == "GET" && is({"v3", "apps", "*", "processes", "*"})) {
      return getAppProcess(c, s[2], s[4]);
    }
    if (m == "POST" && is({"v3", "apps", "*", "processes", "*", "actions", "scale"})) {
      requireApp(c, s[2]);
      for (auto& p : store_.listProcesses(s[2])) {
        if (p.type == s[4]) return scaleProcess(c, p);
      }
      throw notFound("Process");
    }
    if (m == "GET" && is({"v3", "apps", "*", "processes", "*", "stats"})) {
      requireApp(c, s[2]);
      for (auto& p : store_.listProcesses(s[2])) {
        if (p.type == s[4]) return processStats(c, p);
      }
      throw notFound("Process");
    }
    if (m == "GET" && is({"v3", "processes", "*", "stats"})) {
      auto p = store_.getProcess(s[2]);
      if (!p) throw notFound("Process");
      requireApp(c, p->app_guid, Access::Read, "Process");
      return processStats(c, *p);
    }
    if (m == "GET" && is({"v3", "processes", "*"})) return getProcess(c, s[2]);
    if (m == "PATCH" && is({"v3", "processes", "*"})) return updateProcess(c, s[2]);
    if (m == "POST" && is({"v3", "processes", "*", "actions", "scale"})) {
      auto p = store_.getProcess(s[2]);
      if (!p) throw notFound("Process");
      return scaleProcess(c, *p);  // authorizes as "Process"
    }

    if (m == "POST" && is({"v3", "resource_matches"})) return resourceMatches(c);
    if (m == "POST" && is({"v3", "packages"})) return createPackage(c);
    if (m == "GET" && is({"v3", "packages"})) return listPackages(c, "");
    if (m == "GET" && is({"v3", "packages", "*"})) return getPackage(c, s[2]);
    if (m == "POST" && is({"v3", "packages", "*", "upload"})) return uploadPackage(c, s[2]);
    if (m == "GET" && is({"v3", "apps", "*", "packages"})) return listPackages(c, s[2]);
    if (m == "POST" && is({"v3", "builds"})) return createBuild(c);
    if (m == "GET" && is({"v3", "builds"})) return listBuilds(c, "");
    if (m == "GET" && is({"v3", "builds", "*"})) return getBuild(c, s[2]);
    if (m == "GET" && is({"v3", "apps", "*", "builds"})) return listBuilds(c, s[2]);
    if (m == "GET" && is({"v3", "droplets"})) return listDroplets(c, "");
    if (m == "GET" && is({"v3", "droplets", "*"})) return getDroplet(c, s[2]);
    if (m == "GET" && is({"v3", "apps", "*", "droplets"})) return listDroplets(c, s[2]);
    if (m == "GET" && is({"v3", "apps", "*", "droplets", "current"})) {
      return getCurrentDroplet(c, s[2]);
    }
    if (m == "GET" && is({"v3", "apps", "*", "relationships", "current_droplet"})) {
      return getCurrentDropletRelationship(c, s[2]);
    }
    if (m == "PATCH" && is({"v3", "apps", "*", "relationships", "current_droplet"})) {
      return setCurrentDroplet(c, s[2]);
    }

    if (m == "POST" && is({"v3", "apps", "*", "tasks"})) return createTask(c, s[2]);
    if (m == "GET" && is({"v3", "apps", "*", "tasks"})) return listTasks(c, s[2]);
    if (m == "GET" && is({"v3", "tasks"})) return listTasks(c, "");
    if (m == "GET" && is({"v3", "tasks", "*"})) return getTask(c, s[2]);
    if (m == "POST" && is({"v3", "tasks", "*", "actions", "cancel"})) return cancelTask(c, s[2]);
    if (m == "PUT" && is({"v3", "tasks", "*", "cancel"})) return cancelTask(c, s[2]);  // CLI v6
    if (m == "POST" && is({"v3", "deployments"})) return createDeployment(c);
    if (m == "GET" && is({"v3", "deployments"})) return listDeployments(c);
    if (m == "GET" && is({"v3", "deployments", "*"})) return getDeployment(c, s[2]);
    if (m == "POST" && is({"v3", "deployments", "*", "actions", "cancel"})) {
      return cancelDeployment(c, s[2]);
    }

    if (m == "POST" && is({"v3", "routes"})) return createRoute(c);
    if (m == "GET" && is({"v3", "routes"})) return listRoutes(c, "");
    if (m == "GET" && is({"v3", "routes", "*"})) return getRoute(c, s[2]);
    if (m == "PATCH" && is({"v3", "routes", "*"})) return updateRoute(c, s[2]);
    if (m == "DELETE" && is({"v3", "routes", "*"})) return deleteRoute(c, s[2]);
    if (m == "GET" && is({"v3", "routes", "*", "destinations"})) return listDestinations(c, s[2]);
    if (m == "POST" && is({"v3", "routes", "*", "destinations"})) {
      return addDestinations(c, s[2], false);
    }
    if (m == "PATCH" && is({"v3", "routes", "*", "destinations"})) {
      return addDestinations(c, s[2], true);
    }
    if (m == "DELETE" && is({"v3", "routes", "*", "destinations", "*"})) {
      return deleteDestination(c, s[2], s[4]);
    }
  }
  throw ApiError{404, 10000, "CF-NotFound", "Unknown request"};
}

ApiResponse Api::startDeleteJob(Ctx& c, const std::string& operation, const std::string& type,
                                const std::string& guid) {
  const std::string now = nowIso8601();
  Job job{newGuid(), operation, "PROCESSING", type, guid, "[]", "[]", now, now,
          c.perm ? c.who().user_guid.empty() ? c.who().client_id : c.who().user_guid : ""};
  if (store_.createJob(job) != WriteResult::Ok) {
    throw StoreError("cannot record job " + operation);
  }
  return {202, nullptr, {{"Location", c.url("/v3/jobs/" + job.guid)}}};
}

int Api::runPendingJobs() {
  int ran = 0;
  for (Job job : store_.listJobsInState("PROCESSING")) {
    if (isServiceJob(job)) continue;  // broker work: advanceServiceOperations()
    const bool ok = runJob(job);
    job.state = ok ? "COMPLETE" : "FAILED";
    if (!ok && job.errors == "[]") {
      job.errors = json::array({{{"code", 10001},
                                 {"title", "UnknownError"},
                                 {"detail", "the " + job.operation + " did not complete"}}})
                       .dump();
    }
    job.updated_at = nowIso8601();
    store_.updateJob(job);
    log::info("controller", "job-finished",
              {{"job", job.guid}, {"operation", job.operation}, {"state", job.state}});
    ++ran;
  }
  return ran;
}

bool Api::runJob(Job& job) {
  // NotFound counts as done: already gone (two deletes raced, or we crashed after the delete).
  auto done = [](WriteResult r) { return r == WriteResult::Ok || r == WriteResult::NotFound; };
  auto deleteApp = [&](const std::string& app_guid) {
    releaseAppBindings(app_guid);
    WriteResult r = store_.deleteApp(app_guid);
    desiredStateChanged(app_guid);
    return done(r);
  };
  auto deleteRoute = [&](const std::string& route_guid) {
    auto apps = appsRoutedBy(route_guid);
    WriteResult r = store_.deleteRoute(route_guid);
    for (const auto& app_guid : apps) desiredStateChanged(app_guid);
    return done(r);
  };
  // A space goes with its apps and routes (CC deletes them recursively).
  auto deleteSpace = [&](const std::string& space_guid) {
    bool ok = true;
    for (const auto& a : store_.listApps({{}, {}, {space_guid}})) ok = deleteApp(a.guid) && ok;
    for (const auto& r : store_.listRoutes({{}, {}, {}, {}, {space_guid}, {}})) {
      ok = deleteRoute(r.guid) && ok;
    }
    releaseSpaceInstances(space_guid);
    return ok && done(store_.deleteSpace(space_guid));
  };
  if (job.operation == "app.delete") return deleteApp(job.resource_guid);
  if (job.operation == "route.delete") return deleteRoute(job.resource_guid);
  if (job.operation == "space.delete") return deleteSpace(job.resource_guid);
  if (job.operation == "organization.delete") {
    bool ok = true;
    for (const auto& s : store_.listSpaces({{}, {}, {job.resource_guid}})) {
      ok = deleteSpace(s.guid) && ok;
    }
    for (const auto& d : store_.listDomains({{}, {}, std::nullopt})) {
      if (d.organization_guid == job.resource_guid) ok = done(store_.deleteDomain(d.guid)) && ok;
    }
    return ok && done(store_.deleteOrganization(job.resource_guid));
  }
  if (job.operation == "domain.delete") return done(store_.deleteDomain(job.resource_guid));
  if (job.operation == "role.delete") return done(store_.deleteRole(job.resource_guid));
  if (job.operation == "user.delete") return done(store_.deleteUser(job.resource_guid));
  if (job.operation == "organization_quota.delete") {
    return done(store_.deleteOrganizationQuota(job.resource_guid));
  }
  return false;
}

ApiResponse Api::getJob(Ctx& c, const std::string& guid) {
  auto job = store_.getJob(guid);
  // A job is its starter's (and readable by global readers): others cannot even learn of it.
  const std::string me = c.who().isClient() ? c.who().client_id : c.who().user_guid;
  if (!job || (!c.can().canReadGlobally() && job->user_guid != me)) throw notFound("Job");
  return {200, presentJob(c.req.base_url, *job), {}};
}

}  // namespace foundry::control
