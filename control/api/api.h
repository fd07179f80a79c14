#pragma once
// Api: the Cloud Controller V3-shaped JSON API, independent of the HTTP server so that tests
// can drive it directly. handle() takes a parsed request and returns status, JSON body and
// headers; the server (control/server/main.cc) only moves bytes.
//
// Shapes follow PLATFORM-APIS.md part B: resources carry guid, created_at/updated_at,
// metadata, relationships and links; lists carry the V3 pagination object; errors are
// {"errors":[{"code","title","detail"}]}. Async deletes (apps, routes) answer 202 with a
// Location: /v3/jobs/:guid; the job is stored PROCESSING and done by runPendingJobs(), which
// the server calls right after the response (and at start, for jobs a restart interrupted).
//
// Thread context: one thread (the event loop) calls everything here.

#include <functional>
#include <initializer_list>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "control/auth/identity.h"
#include "control/auth/permissions.h"
#include "control/services/broker_client.h"
#include "control/store/store.h"
#include "scheduler/model/lrp.h"

namespace foundry::control {

class Blobstore;
class StagingBackend;
class TokenService;
struct AppManifest;
class LogBuffer;
struct StagingResult;

struct ApiRequest {
  std::string method;    // "GET", "POST", "PATCH", "DELETE", ...
  std::string path;      // "/v3/apps/<guid>" (no query)
  std::string query;     // raw query string without '?', "" if none
  std::string body;      // raw body ("" if none)
  std::string base_url;  // "http://127.0.0.1:9022": prefix for every link href
  std::string content_type;  // the Content-Type header ("" if none): multipart uploads
  std::string authorization;  // the Authorization header ("" if none)
  std::string checksum_sha256;  // X-Checksum-Sha256 ("" if none): a staging task's uploads
};

struct ApiResponse {
  // A constructor (not an aggregate) so {status, body, headers} keeps working while the
  // optional members below need no mention.
  ApiResponse(int status_ = 200, nlohmann::json body_ = nullptr,
              std::vector<std::pair<std::string, std::string>> headers_ = {})
      : status(status_), body(std::move(body_)), headers(std::move(headers_)) {}

  int status = 200;
  nlohmann::json body;  // null: no body (204, 202 for jobs)
  std::vector<std::pair<std::string, std::string>> headers;
  // When set, the body is this file's bytes (droplet downloads), streamed by the server;
  // `body` is ignored and `headers` carry the Content-Type.
  std::string file_path;
};

// What staging needs besides the store; any of them may be null (then the endpoints that
// need it answer 503, and builds fail at once).
struct StagingServices {
  Blobstore* blobs = nullptr;
  StagingBackend* stager = nullptr;
  LogBuffer* logs = nullptr;
  // Runs `work` off the event loop, then `then` back on it (package uploads). Null: both run
  // inline, and the upload answers READY/FAILED at once (unit tests).
  std::function<void(std::function<void()> work, std::function<void()> then)> offload;
  // Buildpack builds stage as tasks on the cells (TaskStaging): their end arrives at
  // /internal/v3/staging/:guid/build_completed, and a build left STAGING is followed through
  // the scheduler (syncStagingTasks) rather than failed when the controller restarts.
  bool staging_tasks = false;
  double staging_timeout_seconds = 900;  // a staging task's end is awaited this long (+ 60 s)
};

struct ApiConfig {
  std::string domain = "apps.internal";  // the default shared domain
  std::string organization_name = "default";
  std::string space_name = "default";
  std::string api_version = "3.100.0";  // cf CLI v8 needs >= 3.63.0
  // Service brokers (PLATFORM-APIS.md A.5): each call's timeout; the wait between polls of a
  // broker's last_operation (a Retry-After answer waits longer, never shorter), capped; how
  // long an async operation may poll before it counts as failed (a plan's
  // maximum_polling_duration can only shorten it); the first retry of an orphan mitigation
  // (doubling up to an hour).
  long broker_timeout_ms = 60000;
  int64_t broker_poll_interval_s = 5;
  int64_t broker_poll_interval_max_s = 60;
  int64_t broker_max_poll_duration_s = 7 * 24 * 3600;
  int64_t mitigation_retry_s = 5;
};

// What the scheduler says of a task (SchedulingHooks::task_state).
struct TaskLookup {
  enum class Outcome { kFound, kMissing, kUnreachable };
  Outcome outcome = Outcome::kUnreachable;
  bool completed = false;  // kFound: it ended, with the three below
  bool failed = false;
  std::string failure_reason, result;
  int exit_code = -1;  // the command's exit status; -1 when it never exited
};

// How the API reaches the scheduler side (control/scheduling/, wired by server/main.cc). Both
// run on the API's thread; unset members mean no scheduler: nothing is sent, stats answer 503.
struct SchedulingHooks {
  // The desired state of an app changed (start, stop, scale, process update, route
  // destinations, route or app deleted, new current droplet). `restart`: CF's restart, the
  // app's instances are stopped and started again.
  std::function<void(const std::string& app_guid, bool restart)> app_changed;
  // The scheduler's actual instances of a process guid ("<guid>-<version>"); nullopt when it
  // cannot be reached. May block, briefly (a short timeout).
  std::function<std::optional<std::vector<sched::ActualLrp>>(const std::string& process_guid)>
      actual_lrps;
  // One-off tasks: desire one on the scheduler ("" or why it was not taken), cancel one ("" or
  // the error), ask about one. May block briefly (short timeouts).
  std::function<std::string(const AppTask& task)> desire_task;
  std::function<std::string(const std::string& task_guid)> cancel_task;
  std::function<TaskLookup(const std::string& task_guid)> task_state;
};

// An error answered in the V3 format; handlers throw it, handle() turns it into a response.
struct ApiError {
  int status;
  int code;
  std::string title;
  std::string detail;
};

ApiError notFound(const std::string& what);        // 404 CF-ResourceNotFound "<what> not found"
ApiError notAuthorized();                          // 403 CF-NotAuthorized
ApiError unprocessable(const std::string& detail);  // 422 CF-UnprocessableEntity
ApiError badQuery(const std::string& detail);      // 400 CF-BadQueryParameter

// Parsed query: decoded key -> decoded values (comma lists split before decoding, so a %2C
// stays inside a value), in arrival order of the keys.
struct Query {
  std::vector<std::pair<std::string, std::vector<std::string>>> params;
  const std::vector<std::string>* find(const std::string& key) const;
  // Throws badQuery unless every key is in `allowed`.
  void allowOnly(const std::vector<std::string>& allowed) const;
};
Query parseQuery(const std::string& raw);
std::string percentDecode(const std::string& s);

std::string newGuid();     // random UUID v4
std::string nowIso8601();  // "2026-11-27T12:00:00Z"

class Api {
 public:
  Api(Store& store, ApiConfig config);

  // Creates the `default` organization quota, the default organization, space and shared
  // domain when absent (idempotent).
  void bootstrap();
  // The token service behind /uaa and every authenticated call (required: without it every
  // call but the open ones answers 401).
  void useTokenService(TokenService* tokens) { tokens_ = tokens; }
  // Answers one request. Never throws: store failures become 500 UnknownError.
  ApiResponse handle(const ApiRequest& request);
  // Answers a request whose caller was authenticated some other way, skipping the bearer
  // token (permissions still apply). Not wired to any listener: benchmarks use it to measure
  // what token verification costs.
  ApiResponse handleAs(const ApiRequest& request, Identity caller);
  // Runs every PROCESSING job (async deletes) to COMPLETE or FAILED; returns how many ran.
  // Service jobs are left to advanceServiceOperations().
  int runPendingJobs();
  // The service marketplace's broker work (service_operations.cc, service_catalog.cc): sends
  // every broker call that is due — provisions, updates, deprovisions, binds, unbinds, their
  // last_operation polls, orphan mitigations, catalog synchronizations — each performed off
  // the event loop through StagingServices::offload (inline when unset) and its answer
  // recorded back on the loop. Stored, so a restart resumes them. The server calls it every
  // second and after each request. Returns how many calls it started.
  int advanceServiceOperations();


  // Packages, builds, droplets and logs (packages/builds/droplets/logs_handlers.cc).
  void useStaging(StagingServices services) { staging_ = services; }
  // Records a staging outcome: droplet + build STAGED, or build FAILED (event loop only).
  void finishStaging(const StagingResult& result);
  // Builds a previous run left STAGING become FAILED; returns how many (call at start). With
  // staging tasks only docker builds (staged in this process): the tasks go on without us.
  int failInterruptedBuilds();
  // Builds STAGING as tasks whose end was not reported (a lost callback, a lost task, one past
  // the staging timeout) are asked about: ended ones are recorded, unknown ones FAILED, late
  // ones cancelled and FAILED. Stops at the first unanswered question. Returns how many ended.
  // The server calls it every few seconds, with syncTasks().
  int syncStagingTasks();
  // Packages a previous run left PROCESSING_UPLOAD become FAILED; returns how many.
  int failInterruptedUploads();

  // The scheduler hand-off (server/main.cc wires it; see SchedulingHooks).
  void setSchedulingHooks(SchedulingHooks hooks) { scheduling_ = std::move(hooks); }
  // Rolling deployments (deployments_handlers.cc): every DEPLOYING deployment of a STARTED
  // app whose processes' new versions have all their instances RUNNING (asked through
  // SchedulingHooks::actual_lrps) in two rounds in a row becomes DEPLOYED/FINALIZED, and its
  // app is reconciled without the old versions. Does nothing without a scheduler, and stops at the first
  // unanswered question (scheduler unreachable: next round). Returns how many finished. The
  // server calls it every second; it may block on the scheduler (2 s timeout per process).
  int advanceDeployments();

  // Tasks whose end the scheduler never reported (a lost callback, a scheduler restart) are
  // asked about: ended ones are recorded, unknown ones FAILED. Stops at the first unanswered
  // question. Returns how many ended. The server calls it every few seconds.
  int syncTasks();

  const std::string& defaultSpaceGuid() const { return space_guid_; }
  const std::string& defaultDomainGuid() const { return domain_guid_; }

 private:
  struct Ctx {
    const ApiRequest& req;
    std::vector<std::string> segs;  // path split on '/', empty pieces dropped
    Query query;
    std::optional<Permissions> perm;  // set for every authenticated call
    nlohmann::json body() const;  // parsed body; 400 CF-MessageParseError unless an object
    std::string url(const std::string& path) const { return req.base_url + path; }
    const Permissions& can() const { return *perm; }
    const Identity& who() const { return perm->identity(); }
  };

  // What a change needs in a space (control/auth/permissions.h has the role sets).
  enum class Access { Read, Write, Operate, Manage };

  ApiResponse dispatch(Ctx& c);
  // dispatch() plus what the scheduling side watches around it (a new current droplet).
  ApiResponse dispatchWatched(Ctx& c);

  // Root, tenancy, jobs (tenancy_handlers.cc).
  ApiResponse root(Ctx& c);
  ApiResponse v3Root(Ctx& c);
  ApiResponse v3Info(Ctx& c);
  ApiResponse listOrganizations(Ctx& c);
  ApiResponse getOrganization(Ctx& c, const std::string& guid);
  ApiResponse listSpaces(Ctx& c);
  ApiResponse getSpace(Ctx& c, const std::string& guid);
  // With org_guid: GET /v3/organizations/:guid/domains.
  ApiResponse listDomains(Ctx& c, const std::string& org_guid);
  ApiResponse getDomain(Ctx& c, const std::string& guid);
  ApiResponse getJob(Ctx& c, const std::string& guid);

  // Apps (apps_handlers.cc).
  ApiResponse createApp(Ctx& c);
  ApiResponse listApps(Ctx& c);
  ApiResponse getApp(Ctx& c, const std::string& guid);
  ApiResponse updateApp(Ctx& c, const std::string& guid);
  ApiResponse deleteApp(Ctx& c, const std::string& guid);
  ApiResponse appAction(Ctx& c, const std::string& guid, const std::string& action);

  // Processes (processes_handlers.cc).
  ApiResponse listAppProcesses(Ctx& c, const std::string& app_guid);
  ApiResponse getAppProcess(Ctx& c, const std::string& app_guid, const std::string& type);
  ApiResponse getProcess(Ctx& c, const std::string& guid);
  ApiResponse updateProcess(Ctx& c, const std::string& guid);
  ApiResponse scaleProcess(Ctx& c, Process process);
  ApiResponse processStats(Ctx& c, const Process& process);

  // Routes and destinations (routes_handlers.cc).
  ApiResponse createRoute(Ctx& c);
  // With app_guid: GET /v3/apps/:guid/routes (the routes with a destination to that app).
  ApiResponse listRoutes(Ctx& c, const std::string& app_guid);
  ApiResponse getRoute(Ctx& c, const std::string& guid);
  ApiResponse updateRoute(Ctx& c, const std::string& guid);
  ApiResponse deleteRoute(Ctx& c, const std::string& guid);
  ApiResponse listDestinations(Ctx& c, const std::string& route_guid);
  ApiResponse addDestinations(Ctx& c, const std::string& route_guid, bool replace);
  ApiResponse deleteDestination(Ctx& c, const std::string& route_guid,
                                const std::string& destination_guid);

  // Packages and resource matching (packages_handlers.cc).
  ApiResponse resourceMatches(Ctx& c);
  ApiResponse createPackage(Ctx& c);
  ApiResponse getPackage(Ctx& c, const std::string& guid);
  // With app_guid: GET /v3/apps/:guid/packages.
  ApiResponse listPackages(Ctx& c, const std::string& app_guid);
  ApiResponse uploadPackage(Ctx& c, const std::string& guid);
  // Records an assembled upload (event loop): READY with its sha256, or FAILED.
  void finishUpload(const std::string& package_guid, const std::string& sha256,
                    const std::string& error);

  // Builds (builds_handlers.cc).
  ApiResponse createBuild(Ctx& c);
  ApiResponse getBuild(Ctx& c, const std::string& guid);
  ApiResponse listBuilds(Ctx& c, const std::string& app_guid);

  // Droplets (droplets_handlers.cc).
  ApiResponse getDroplet(Ctx& c, const std::string& guid);
  ApiResponse listDroplets(Ctx& c, const std::string& app_guid);
  ApiResponse getCurrentDroplet(Ctx& c, const std::string& app_guid);
  ApiResponse getCurrentDropletRelationship(Ctx& c, const std::string& app_guid);
  ApiResponse setCurrentDroplet(Ctx& c, const std::string& app_guid);
  ApiResponse downloadDroplet(Ctx& c, const std::string& guid);

  // What a staging task on a cell fetches and sends (staging_task_handlers.cc; internal).
  ApiResponse downloadPackageBits(Ctx& c, const std::string& package_guid);
  ApiResponse downloadBuildpackCache(Ctx& c, const std::string& app_guid);
  // `artifact`: "droplet" or "buildpack_cache".
  ApiResponse uploadStagingArtifact(Ctx& c, const std::string& build_guid,
                                    const std::string& artifact);
  ApiResponse stagingTaskCompleted(Ctx& c, const std::string& build_guid);
  // The staging task's end, as the scheduler reported it, recorded on its build.
  void finishStagingTask(const Build& build, const TaskLookup& end);

  // One-off tasks (tasks_handlers.cc).
  ApiResponse createTask(Ctx& c, const std::string& app_guid);
  ApiResponse getTask(Ctx& c, const std::string& guid);
  ApiResponse listTasks(Ctx& c, const std::string& app_guid);  // "" = every readable app
  ApiResponse cancelTask(Ctx& c, const std::string& guid);
  ApiResponse taskCompleted(Ctx& c, const std::string& guid);  // the scheduler's callback
  void finishTask(AppTask task, bool failed, const std::string& failure_reason,
                  const std::string& result);
  // 422 "app_task_limit quota_exceeded" when the app runs per_app_tasks tasks already.
  void checkTaskQuota(const Space& space, const std::string& app_guid);
  // Rolling deployments (deployments_handlers.cc).
  ApiResponse createDeployment(Ctx& c);
  ApiResponse getDeployment(Ctx& c, const std::string& guid);
  ApiResponse listDeployments(Ctx& c);
  ApiResponse cancelDeployment(Ctx& c, const std::string& guid);
  nlohmann::json presentDeployment(const std::string& base, const Deployment& deployment);

  // log-cache's read API (logs_handlers.cc).
  ApiResponse readLogs(Ctx& c, const std::string& app_guid);
  ApiResponse logCacheInfo(Ctx& c);
  // Appends a staging line (source STG) to the app's log buffer, when there is one.
  void stagingLog(const std::string& app_guid, const std::string& message, bool is_error);

  // Scheduling hooks (scheduling_hooks.cc).
  void desiredStateChanged(const std::string& app_guid, bool restart = false);
  // PATCH /v3/apps/:guid/relationships/current_droplet, watched around its handler.
  struct DropletAssignment {
    std::string app_guid;
    std::string droplet_guid;                     // before the request; "" for none
    std::map<std::string, std::string> versions;  // process guid -> version before
  };
  // The app's state before that PATCH; nullopt for any other request.
  std::optional<DropletAssignment> dropletAssignmentBefore(const Ctx& c);
  // After it succeeded: a different droplet means new process versions (a new LRP, as in CC)
  // and a reconcile of the app.
  void afterDropletAssignment(const DropletAssignment& before);
  // App guids with a destination on the route.
  std::vector<std::string> appsRoutedBy(const std::string& route_guid);

  // Tenancy (tenancy_handlers.cc, roles_handlers.cc, quotas_handlers.cc, users_handlers.cc).
  ApiResponse createOrganization(Ctx& c);
  ApiResponse updateOrganization(Ctx& c, const std::string& guid);
  ApiResponse deleteOrganization(Ctx& c, const std::string& guid);
  ApiResponse createSpace(Ctx& c);
  ApiResponse updateSpace(Ctx& c, const std::string& guid);
  ApiResponse deleteSpace(Ctx& c, const std::string& guid);
  ApiResponse createDomain(Ctx& c);
  ApiResponse deleteDomain(Ctx& c, const std::string& guid);
  ApiResponse defaultDomain(Ctx& c, const std::string& org_guid);
  ApiResponse createRole(Ctx& c);
  ApiResponse listRoles(Ctx& c);
  ApiResponse getRole(Ctx& c, const std::string& guid);
  ApiResponse deleteRole(Ctx& c, const std::string& guid);
  ApiResponse createUser(Ctx& c);
  ApiResponse listUsers(Ctx& c);
  ApiResponse getUser(Ctx& c, const std::string& guid);
  ApiResponse deleteUser(Ctx& c, const std::string& guid);
  ApiResponse createOrganizationQuota(Ctx& c);
  ApiResponse listOrganizationQuotas(Ctx& c);
  ApiResponse getOrganizationQuota(Ctx& c, const std::string& guid);
  ApiResponse updateOrganizationQuota(Ctx& c, const std::string& guid);
  ApiResponse deleteOrganizationQuota(Ctx& c, const std::string& guid);
  ApiResponse applyOrganizationQuota(Ctx& c, const std::string& guid);
  ApiResponse createSpaceQuota(Ctx& c);
  ApiResponse listSpaceQuotas(Ctx& c);
  ApiResponse getSpaceQuota(Ctx& c, const std::string& guid);
  ApiResponse updateSpaceQuota(Ctx& c, const std::string& guid);
  ApiResponse deleteSpaceQuota(Ctx& c, const std::string& guid);
  ApiResponse applySpaceQuota(Ctx& c, const std::string& guid);
  ApiResponse removeSpaceQuota(Ctx& c, const std::string& guid, const std::string& space_guid);
  ApiResponse listAuditEvents(Ctx& c);
  // The cf CLI's push and env flows (manifest_handlers.cc, env_handlers.cc).
  ApiResponse applyManifest(Ctx& c, const std::string& space_guid);
  ApiResponse manifestDiff(Ctx& c, const std::string& space_guid);
  void applyAppManifest(Ctx& c, const Space& space, const AppManifest& manifest);
  void applyManifestRoutes(Ctx& c, const Space& space, const std::string& app_guid,
                           const AppManifest& manifest);
  // Binds the app to the manifest's `services` it is not bound to yet.
  void applyManifestServices(Ctx& c, const Space& space, const std::string& app_guid,
                             const AppManifest& manifest);
  // While apply_manifest runs: its job, which the managed bindings it makes report to.
  std::optional<std::string> manifest_job_;
  ApiResponse appEnv(Ctx& c, const std::string& guid);
  ApiResponse getEnvironmentVariables(Ctx& c, const std::string& guid);
  ApiResponse patchEnvironmentVariables(Ctx& c, const std::string& guid);
  // The app, if the caller may read its secrets (env): 404 / 403 otherwise.
  App requireAppSecrets(const Ctx& c, const std::string& guid);
  // Runs another API call as the same caller (apply_manifest's steps); never throws ApiError.
  ApiResponse subrequest(const Ctx& parent, const std::string& method, const std::string& target,
                         const nlohmann::json& body = nullptr);
  // Whether the path's segments match the pattern, where "*" matches any one segment.
  static bool matches(const std::vector<std::string>& segs,
                      std::initializer_list<const char*> pattern);
  // Jobs whose work is a broker call (service_*): advanceServiceOperations() runs them.
  // apply_manifest jobs too: they are finished by their request, or by their bindings.
  static bool isServiceJob(const Job& job) {
    return job.operation.rfind("service_", 0) == 0 || job.operation == "space.apply_manifest";
  }
  // "/v3/apps/x" -> {"v3", "apps", "x"} (percent-decoded, empty pieces dropped).
  static std::vector<std::string> splitPath(const std::string& path);
  ApiResponse getAuditEvent(Ctx& c, const std::string& guid);

  // Authorization (authorization.cc). Each throws the V3 error: 404 "<what> not found" when
  // the caller may not read the thing, 403 CF-NotAuthorized when they may read but not do
  // `access`, 403 CF-OrgSuspended for a change in a suspended org (admins excepted).
  Space authorizeSpace(const Ctx& c, const std::string& space_guid, Access access,
                       const std::string& what);
  Organization authorizeOrg(const Ctx& c, const std::string& org_guid, bool manage,
                            const std::string& what);
  // The app, if the caller may do `access` to it; 404 "<what> not found" when they may not
  // read it (`what` names the resource asked for: an app's process answers "Process").
  App requireApp(const Ctx& c, const std::string& guid, Access access = Access::Read,
                 const std::string& what = "App");
  Route requireRoute(const Ctx& c, const std::string& guid, Access access);
  // 403 unless the caller is an admin.
  void requireAdmin(const Ctx& c);
  // Records an audit event by the caller on a resource in a space ("" = org-level / none).
  void audit(const Ctx& c, const std::string& type, const std::string& target_type,
             const std::string& target_guid, const std::string& target_name,
             const std::string& space_guid, const nlohmann::json& data = nlohmann::json::object());

  // Quotas (quota_checks.cc): 422 with CC's texts when starting or scaling `process` (with its
  // new values) in a STARTED app would exceed the org's or the space's quota.
  void checkProcessQuota(const Space& space, const Process& process);
  // Before creating a route in the space.
  void checkRouteQuota(const Space& space);
  // Before creating a managed service instance of `plan` in the space (total_service_instances,
  // paid_services_allowed of the org's and the space's quota).
  void checkServiceInstanceQuota(const Space& space, const ServicePlan& plan);

  // The service marketplace. Brokers, catalogs, offerings, plans and their visibility
  // (service_brokers_handlers.cc, service_catalog.cc, service_offerings_handlers.cc,
  // service_plans_handlers.cc); instances, credential bindings and the broker calls behind
  // them (service_instances_handlers.cc, service_bindings_handlers.cc, service_operations.cc,
  // vcap_services.cc). Each dispatch answers nullopt for a path that is not its own.
  std::optional<ApiResponse> dispatchMarketplace(Ctx& c);
  std::optional<ApiResponse> dispatchServiceInstances(Ctx& c);
  // Starts catalog synchronizations and broker deletions whose jobs are PROCESSING and not
  // already running; returns how many started.
  int advanceCatalogJobs();
  // Performs a broker call off the loop (StagingServices::offload; inline when unset), then
  // `then` on the loop with the reply.
  void callBroker(services::BrokerCall call, std::function<void(services::BrokerReply)> then);
  services::BrokerEndpoint brokerEndpoint(const ServiceBroker& broker) const;
  // A job for broker work: PROCESSING, started by the caller; answers 202 + Location.
  std::pair<Job, ApiResponse> newServiceJob(Ctx& c, const std::string& operation,
                                            const std::string& type, const std::string& guid);
  // Service instances and credential bindings (service_instances_handlers.cc,
  // service_bindings_handlers.cc).
  ApiResponse createServiceInstance(Ctx& c);
  ApiResponse listServiceInstances(Ctx& c);
  ApiResponse getServiceInstance(Ctx& c, const std::string& guid);
  ApiResponse getServiceInstanceCredentials(Ctx& c, const std::string& guid);
  ApiResponse updateServiceInstance(Ctx& c, const std::string& guid);
  ApiResponse deleteServiceInstance(Ctx& c, const std::string& guid);
  ApiResponse createServiceBinding(Ctx& c);
  ApiResponse listServiceBindings(Ctx& c);
  ApiResponse getServiceBinding(Ctx& c, const std::string& guid);
  ApiResponse getServiceBindingDetails(Ctx& c, const std::string& guid);
  ApiResponse deleteServiceBinding(Ctx& c, const std::string& guid);
  // Routes bound to route services (service_route_bindings_handlers.cc).
  ApiResponse createServiceRouteBinding(Ctx& c);
  ApiResponse listServiceRouteBindings(Ctx& c);
  ApiResponse getServiceRouteBinding(Ctx& c, const std::string& guid);
  ApiResponse deleteServiceRouteBinding(Ctx& c, const std::string& guid);
  nlohmann::json presentServiceRouteBinding(const Ctx& c, const ServiceRouteBinding& binding);
  ServiceRouteBinding requireServiceRouteBinding(const Ctx& c, const std::string& guid,
                                                 Access access);
  // The route's route service changed (bound, unbound, new URL): its apps' LRPs are sent
  // again so the route emitter registers the route with the new route_service_url.
  void routeServiceChanged(const std::string& route_guid);
  // After a user-provided instance's update: its route bindings follow its route_service_url.
  void updateRouteServiceUrl(const ServiceInstance& instance);
  nlohmann::json presentServiceInstance(const Ctx& c, const ServiceInstance& instance);
  nlohmann::json presentServiceBinding(const Ctx& c, const ServiceBinding& binding);
  // `included` for fields[space], fields[space.organization], fields[service_plan],
  // fields[service_plan.service_offering], fields[service_plan.service_offering.service_broker].
  nlohmann::json serviceInstanceIncludes(const Ctx& c, const nlohmann::json& resources);
  // The instance / binding if the caller may do `access` in its space (404 otherwise).
  ServiceInstance requireServiceInstance(const Ctx& c, const std::string& guid, Access access);
  ServiceBinding requireServiceBinding(const Ctx& c, const std::string& guid, Access access);
  // 409 CF-AsyncServiceInstanceOperationInProgress while the instance has an operation going.
  void refuseWhileInProgress(const ServiceInstance& instance);
  // Whether the caller may use the plan in the space (public, shared with its org, a
  // space-scoped broker's plan in that space; admins: every plan).
  bool planVisibleIn(const Ctx& c, const ServicePlan& plan, const Space& space);
  // The OSB `context` CC sends (A.3); instance_name and instance_annotations when given.
  nlohmann::json brokerContext(const Space& space, const std::optional<std::string>& instance_name);
  // A broker call owed for `instance` (and binding_id for bindings), by the caller.
  ServiceOperation newServiceOperation(const Ctx& c, const std::string& kind,
                                       const std::string& target_guid,
                                       const ServiceInstance& instance,
                                       const std::string& binding_id,
                                       const nlohmann::json& request);
  // Before creating a service key in the space (total_service_keys).
  void checkServiceKeyQuota(const Space& space);
  // Bindings of an app being deleted: user-provided ones go; managed ones go and an unbind is
  // owed to the broker (a mitigation-style operation, retried until it succeeds).
  void releaseAppBindings(const std::string& app_guid);
  // Instances of a space being deleted, likewise (their bindings first).
  void releaseSpaceInstances(const std::string& space_guid);

  // The broker-call engine (service_operations.cc).
  void sendServiceOperation(const ServiceOperation& op);
  void onRequestReply(ServiceOperation op, const services::BrokerReply& reply);
  void onLastOperation(ServiceOperation op, const services::BrokerReply& reply);
  void startPolling(ServiceOperation op, const std::string& broker_operation);
  // Records success: the target's last_operation (or its deletion), the job COMPLETE, the
  // operation row gone — one transaction.
  void completeServiceOperation(const ServiceOperation& op, const nlohmann::json& body);
  // Records failure: last_operation failed, job FAILED, and a mitigation owed when `mitigate`;
  // a mitigation itself is retried with back-off instead.
  void failServiceOperation(ServiceOperation op, const std::string& description, bool mitigate);
  void setLastOperation(const ServiceOperation& op, const std::string& state,
                        const std::string& description);
  // Ends a job: FAILED with `errors`, or COMPLETE when no other operation than `done_op`
  // still reports to it (an apply_manifest job waits for all its bindings). A FAILED job
  // stays failed.
  void finishServiceJob(const std::string& job_guid, const nlohmann::json& errors,
                        const std::string& done_op);
  std::optional<ServicePlan> planOfOperation(const ServiceOperation& op);
  // Guids of jobs and operations whose broker call is on its way (not stored: a restart
  // sends them again, which OSB makes safe).
  std::set<std::string> broker_calls_in_flight_;
  // Marketplace internals (service_brokers_handlers.cc, service_catalog.cc,
  // service_offerings_handlers.cc, service_plans_handlers.cc, service_plan_visibility.cc).
  ApiResponse createServiceBroker(Ctx& c);
  ApiResponse listServiceBrokers(Ctx& c);
  ApiResponse getServiceBroker(Ctx& c, const std::string& guid);
  ApiResponse updateServiceBroker(Ctx& c, const std::string& guid);
  ApiResponse deleteServiceBroker(Ctx& c, const std::string& guid);
  // The broker, if the caller may read it (404 "Service broker" otherwise) and, with `write`,
  // change it: admins for global brokers, the space's developers for space-scoped ones (403).
  ServiceBroker requireBroker(const Ctx& c, const std::string& guid, bool write);
  // Service instances using any plan of the broker (they block its deletion).
  std::vector<ServiceInstance> instancesOfBroker(const std::string& broker_guid);
  // Jobs (advanceCatalogJobs): fetch, validate and store a broker's catalog; delete a broker.
  static bool isCatalogJob(const Job& job);
  void startCatalogSync(const Job& job);
  void finishCatalogSync(const std::string& job_guid, const services::BrokerReply& reply);
  void runBrokerDeletion(Job job);
  // Ends a catalog job: COMPLETE when `error` is null, else FAILED with it.
  void endCatalogJob(Job job, const nlohmann::json& error);
  ApiResponse listServiceOfferings(Ctx& c);
  ApiResponse getServiceOffering(Ctx& c, const std::string& guid);
  ApiResponse deleteServiceOffering(Ctx& c, const std::string& guid);
  // The offering, if one of its plans is visible to the caller (404 "Service offering").
  ServiceOffering requireOffering(const Ctx& c, const std::string& guid);
  ApiResponse listServicePlans(Ctx& c);
  ApiResponse getServicePlan(Ctx& c, const std::string& guid);
  // Which plans the caller may see; nullopt = every plan (global readers).
  std::optional<PlanVisibilityScope> userPlanScope(const Ctx& c);
  // userPlanScope narrowed to the plans usable in the query's `space_guids` /
  // `organization_guids` when given; false when that is nowhere the caller can see.
  bool planScope(const Ctx& c, std::optional<PlanVisibilityScope>& scope);
  // The plan, if the caller may see it (404 "Service plan" otherwise).
  ServicePlan requirePlan(const Ctx& c, const std::string& guid);
  // The query's service_broker_guids and service_broker_names as one guid list; false when
  // they match no broker (the answer is then empty).
  bool brokerGuidsFilter(const Ctx& c, std::vector<std::string>& guids);
  // `included` for plans (include=service_offering, include=space.organization,
  // fields[service_offering.service_broker]) and offerings (fields[service_broker]).
  nlohmann::json includedForPlans(const Ctx& c, const nlohmann::json& plans);
  nlohmann::json includedForOfferings(const Ctx& c, const nlohmann::json& offerings);
  ApiResponse getPlanVisibility(Ctx& c, const std::string& plan_guid);
  ApiResponse setPlanVisibility(Ctx& c, const std::string& plan_guid, bool replace);
  ApiResponse deletePlanVisibility(Ctx& c, const std::string& plan_guid,
                                   const std::string& org_guid);

  // Helpers.
  ApiResponse startDeleteJob(Ctx& c, const std::string& operation, const std::string& type,
                             const std::string& guid);
  // Runs one job's work; false when it failed.
  bool runJob(Job& job);
  nlohmann::json presentRoute(const Ctx& c, const Route& route);
  nlohmann::json presentDestinations(const Ctx& c, const Route& route,
                                     const std::vector<Destination>& destinations);

  Store& store_;
  TokenService* tokens_ = nullptr;
  ApiConfig config_;
  StagingServices staging_;
  SchedulingHooks scheduling_;
  std::string org_guid_, space_guid_, domain_guid_, default_quota_guid_;
  // Deployments whose new instances were all RUNNING at the last advanceDeployments() round.
  std::set<std::string> ready_once_;
};

}  // namespace foundry::control
