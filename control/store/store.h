#pragma once
// Store: the controller's persistent state behind an interface, so the embedded SQLite
// implementation (sqlite_store.h) can later be joined by PostgreSQL without touching the API
// layer. Records are plain structs; each Store call is atomic (one transaction), and the
// calls that touch several tables (create an app with its web process, delete an app with its
// processes and route destinations) do all of it or nothing.
//
// Errors: lookups return std::nullopt for an unknown GUID; create/update calls return a
// WriteResult naming a constraint violation (duplicate name, missing parent) so the API can
// map it to a 422; anything else (disk full, corrupt file) throws StoreError, which the HTTP
// layer turns into a 500.
//
// Thread context: an implementation may be called from one thread at a time (the controller's
// event loop). Packages, builds and droplets (migration 2) follow the same pattern; the schema
// is versioned (see sqlite_store.cc migrations).

#include <cstdint>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "control/store/service_records.h"

namespace foundry::control {

struct StoreError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Timestamps are ISO 8601 UTC strings ("2026-11-27T12:00:00Z"), as the API shows them.
struct Organization {
  std::string guid;
  std::string name;
  bool suspended = false;
  std::string created_at, updated_at;
  std::optional<std::string> quota_guid;  // its organization quota (a new org gets `default`)
};

struct Space {
  std::string guid;
  std::string name;
  std::string organization_guid;
  std::string created_at, updated_at;
  std::optional<std::string> quota_guid;  // its space quota, if any
};

// A user of the token service and of the API (one record serves both, as the controller
// serves both). `password_hash` is common/auth/password.h's encoding; nullopt for a user that
// cannot log in with a password (created in CC by guid only). `groups` are UAA scopes the
// user holds beyond the defaults, e.g. "cloud_controller.admin" (the global admin role).
struct User {
  std::string guid;
  std::string username;
  std::string origin = "uaa";
  std::optional<std::string> password_hash;
  std::string email;
  std::string given_name, family_name;
  std::vector<std::string> groups;
  int64_t password_changed_at = 0;  // epoch seconds: refresh tokens issued before it are dead
  std::string created_at, updated_at;
};

// A role of a user in an organization or a space (exactly one of the two is set).
struct Role {
  std::string guid;
  std::string type;  // organization_user, organization_manager, ..., space_developer, ...
  std::string user_guid;
  std::optional<std::string> organization_guid;
  std::optional<std::string> space_guid;
  std::string created_at, updated_at;
};

// Quota limits; nullopt = unlimited, as CC shows null.
struct QuotaLimits {
  std::optional<int64_t> total_memory_in_mb, per_process_memory_in_mb, total_instances,
      log_rate_limit_in_bytes_per_second, per_app_tasks, total_service_instances,
      total_service_keys, total_routes, total_reserved_ports, total_domains;
  bool paid_services_allowed = true;
};

struct OrganizationQuota {
  std::string guid;
  std::string name;
  QuotaLimits limits;
  std::string created_at, updated_at;
};

struct SpaceQuota {
  std::string guid;
  std::string name;
  std::string organization_guid;
  QuotaLimits limits;  // total_domains unused
  std::string created_at, updated_at;
};

// What a space or an organization uses, for quota checks: memory and instances of the
// processes of STARTED apps, and routes.
struct Usage {
  int64_t memory_in_mb = 0;
  int64_t instances = 0;
  int64_t routes = 0;
};

// An audit event (`cf events`): who did what to which resource, kept per org/space.
struct AuditEvent {
  std::string guid;
  std::string type;  // "audit.app.create", "audit.app.start", ...
  std::string actor_guid, actor_type, actor_name;
  std::string target_guid, target_type, target_name;
  std::string data = "{}";  // JSON object, kept as text
  std::optional<std::string> space_guid, organization_guid;
  std::string created_at, updated_at;
};

struct Domain {
  std::string guid;
  std::string name;
  bool internal = false;
  std::optional<std::string> organization_guid;  // nullopt: a shared domain
  std::string created_at, updated_at;
};

struct App {
  std::string guid;
  std::string name;
  std::string space_guid;
  std::string state = "STOPPED";  // STOPPED | STARTED
  std::string lifecycle_type = "buildpack";
  std::vector<std::string> buildpacks;
  std::string stack = "cflinuxfs4";
  std::optional<std::string> droplet_guid;  // the current droplet (setCurrentDroplet)
  std::string environment_variables = "{}";  // a JSON object, kept as text
  std::string created_at, updated_at;
};

struct Process {
  std::string guid;
  std::string app_guid;
  std::string type = "web";
  std::optional<std::string> command;
  int64_t instances = 1;
  int64_t memory_in_mb = 1024;
  int64_t disk_in_mb = 1024;
  int64_t log_rate_limit_in_bytes_per_second = -1;
  std::string health_check_type = "port";  // port | process | http
  std::optional<std::string> health_check_endpoint;  // http only
  std::optional<int64_t> health_check_timeout;
  std::optional<int64_t> health_check_invocation_timeout;
  std::optional<int64_t> health_check_interval;
  std::string version;  // a GUID, renewed when what the cell runs changes
  std::string created_at, updated_at;
};

struct Route {
  std::string guid;
  std::string host;
  std::string path;  // "" or "/..."
  std::string domain_guid;
  std::string space_guid;
  std::string created_at, updated_at;
  // The route's options as a JSON object kept as text (control/api/route_options.h):
  // loadbalancing, path_regex, health_check. "{}" when none.
  std::string options = "{}";
};

struct Destination {
  std::string guid;
  std::string route_guid;
  std::string app_guid;
  std::string process_type = "web";
  int64_t port = 8080;
  std::string protocol = "http1";
  std::string created_at, updated_at;
  std::optional<int64_t> weight;  // 1..100: the app's share of the route's traffic; unset: none
};

struct Job {
  std::string guid;
  std::string operation;  // "app.delete", "route.delete"
  std::string state;      // PROCESSING | COMPLETE | FAILED
  std::string resource_type;  // "app", "route"
  std::string resource_guid;
  std::string errors = "[]";    // JSON array, kept as text
  std::string warnings = "[]";  // JSON array, kept as text
  std::string created_at, updated_at;
  std::string user_guid;  // who started it: only they (and admins) may read it
};

// An app's bits. The blob (a .tgz of the app's files) is content-addressed in the blobstore
// by `sha256`, which is set once the upload is READY.
struct Package {
  std::string guid;
  std::string app_guid;
  std::string type = "bits";
  std::string state = "AWAITING_UPLOAD";  // AWAITING_UPLOAD | PROCESSING_UPLOAD | READY | FAILED
  std::optional<std::string> sha256;
  std::optional<std::string> error;
  std::string created_at, updated_at;
  // Type "docker": the image as the user named it (READY at once, nothing uploaded) and the
  // registry credentials; the password is sealed in the store and shown as "***".
  std::string docker_image;
  std::string docker_username;
  auth::Secret docker_password;
};

// One staging of a package. Only one STAGING build per app at a time (the API checks).
struct Build {
  std::string guid;
  std::string app_guid;
  std::string package_guid;
  std::string state = "STAGING";  // STAGING | STAGED | FAILED
  std::optional<std::string> error;
  std::optional<std::string> droplet_guid;  // set when STAGED
  int64_t staging_memory_in_mb = 1024;
  int64_t staging_disk_in_mb = 1024;
  std::vector<std::string> buildpacks;  // lifecycle.data.buildpacks asked for ([] = detect)
  std::string stack = "cflinuxfs4";
  std::string created_at, updated_at;
  std::string lifecycle_type = "buildpack";  // "docker" for a docker package's build
};

// A staged app: a .tgz in the blobstore (by `sha256`) plus what the stager found out.
struct Droplet {
  std::string guid;
  std::string app_guid;
  std::string package_guid;
  std::string build_guid;
  std::string state = "STAGED";
  std::string process_types = "{}";  // JSON object {"web": "node server.js"}, kept as text
  std::string sha256;
  std::string buildpacks = "[]";  // JSON array [{name, detect_output, buildpack_name, version}]
  std::string start_command;      // the detected one ("" when none)
  std::string stack = "cflinuxfs4";
  std::string created_at, updated_at;
  // A Docker image's droplet (no .tgz, sha256 ""): the image pinned to the manifest digest that
  // staging resolved, so every instance runs the same bits; the credentials the cells pull
  // with; what staging read from the image config (CC's execution_metadata, JSON text).
  std::string docker_image;
  std::string docker_username;
  auth::Secret docker_password;
  std::string execution_metadata;
  bool isDocker() const { return !docker_image.empty(); }
};

// A one-off task of an app (`cf run-task`, POST /v3/apps/:guid/tasks): a command run once in
// the app's droplet on a cell (scheduler/PROTOCOL.md "Tasks"). sequence_id counts per app.
struct AppTask {
  std::string guid;
  std::string app_guid;
  int64_t sequence_id = 0;  // 1, 2, ... per app; given by createTask
  std::string name;
  std::string command;
  std::string state = "RUNNING";  // PENDING | RUNNING | CANCELING | SUCCEEDED | FAILED
  int64_t memory_in_mb = 1024;
  int64_t disk_in_mb = 1024;
  std::string droplet_guid;
  std::optional<std::string> failure_reason;
  std::string result;  // what the task wrote to its result file (staging), "" for cf tasks
  std::string created_at, updated_at;
};

// A rolling deployment of an app (POST /v3/deployments). While it is DEPLOYING the app runs
// both the processes' current versions and `previous_versions` (the ones that were serving
// when it started), so the router keeps old instances until the new ones are RUNNING.
struct Deployment {
  std::string guid;
  std::string app_guid;
  std::string state = "DEPLOYING";       // DEPLOYING | DEPLOYED | CANCELING | CANCELED
  std::string status_value = "ACTIVE";   // ACTIVE | FINALIZED
  std::string status_reason = "DEPLOYING";  // DEPLOYING | DEPLOYED | CANCELED | SUPERSEDED
  std::string strategy = "rolling";
  std::string droplet_guid;
  std::optional<std::string> previous_droplet_guid;
  std::string previous_versions = "{}";  // JSON object {process guid: old version}, as text
  std::string created_at, updated_at;
};

// Filters for list calls: an empty vector means "any". Results come in creation order; the
// API layer sorts and pages them (the V3 API is low-rate; SQL paging is a later step).
//
// `space_guids` on the app-owned records (packages, builds, droplets) filters by the owning
// app's space: that is how the API scopes a list to what the caller may read, in the query.
struct AppFilter {
  std::vector<std::string> guids, names, space_guids;
};
struct RouteFilter {
  std::vector<std::string> guids, hosts, paths, domain_guids, space_guids, app_guids;
};
struct NameFilter {
  std::vector<std::string> guids, names;
};
struct SpaceFilter {
  std::vector<std::string> guids, names, organization_guids;
};
struct DomainFilter {
  std::vector<std::string> guids, names;
  // Shared domains, plus the private domains of these organizations. Unset: every domain.
  std::optional<std::vector<std::string>> visible_in_organizations;
};

struct PackageFilter {
  std::vector<std::string> guids, app_guids, states, space_guids;
};
struct BuildFilter {
  std::vector<std::string> guids, app_guids, package_guids, states, space_guids;
};
struct DropletFilter {
  std::vector<std::string> guids, app_guids, states, space_guids;
};
struct TaskFilter {
  std::vector<std::string> guids, app_guids, names, states, sequence_ids, space_guids;
};
struct DeploymentFilter {
  std::vector<std::string> guids, app_guids, states, status_values, space_guids;
};
struct UserFilter {
  std::vector<std::string> guids, usernames, origins;
};
struct RoleFilter {
  std::vector<std::string> guids, types, user_guids, organization_guids, space_guids;
};
struct QuotaFilter {
  std::vector<std::string> guids, names, organization_guids;  // organization_guids: space quotas
};
struct AuditEventFilter {
  std::vector<std::string> guids, types, target_guids, space_guids, organization_guids;
};

enum class WriteResult {
  Ok,
  NotFound,        // the record to update/delete does not exist
  Duplicate,       // a uniqueness constraint (app name in space, route host+path+domain)
  MissingParent,   // a referenced space/domain/app/route does not exist
};

class Store {
 public:
  virtual ~Store() = default;

  // Organizations, spaces, domains.
  virtual WriteResult createOrganization(const Organization& org) = 0;
  virtual std::optional<Organization> getOrganization(const std::string& guid) = 0;
  virtual std::vector<Organization> listOrganizations(const NameFilter& filter) = 0;
  virtual WriteResult updateOrganization(const Organization& org) = 0;
  // The org must be empty (no spaces, no private domains left): the API empties it first.
  virtual WriteResult deleteOrganization(const std::string& guid) = 0;
  virtual WriteResult createSpace(const Space& space) = 0;
  virtual std::optional<Space> getSpace(const std::string& guid) = 0;
  virtual std::vector<Space> listSpaces(const SpaceFilter& filter) = 0;
  virtual WriteResult updateSpace(const Space& space) = 0;
  // Deletes the space with its roles; its apps and routes must be gone (the API deletes them).
  virtual WriteResult deleteSpace(const std::string& guid) = 0;
  virtual WriteResult createDomain(const Domain& domain) = 0;
  virtual std::optional<Domain> getDomain(const std::string& guid) = 0;
  virtual std::vector<Domain> listDomains(const DomainFilter& filter) = 0;
  virtual WriteResult deleteDomain(const std::string& guid) = 0;

  // Users and roles (migration 3). Deleting a user deletes their roles.
  virtual WriteResult createUser(const User& user) = 0;
  virtual std::optional<User> getUser(const std::string& guid) = 0;
  virtual std::vector<User> listUsers(const UserFilter& filter) = 0;
  virtual WriteResult updateUser(const User& user) = 0;
  virtual WriteResult deleteUser(const std::string& guid) = 0;
  // Duplicate when the user already has that role there.
  virtual WriteResult createRole(const Role& role) = 0;
  virtual std::optional<Role> getRole(const std::string& guid) = 0;
  virtual std::vector<Role> listRoles(const RoleFilter& filter) = 0;
  virtual WriteResult deleteRole(const std::string& guid) = 0;

  // Quotas. Deleting a quota in use is refused by the API, not here.
  virtual WriteResult createOrganizationQuota(const OrganizationQuota& quota) = 0;
  virtual std::optional<OrganizationQuota> getOrganizationQuota(const std::string& guid) = 0;
  virtual std::vector<OrganizationQuota> listOrganizationQuotas(const QuotaFilter& filter) = 0;
  virtual WriteResult updateOrganizationQuota(const OrganizationQuota& quota) = 0;
  virtual WriteResult deleteOrganizationQuota(const std::string& guid) = 0;
  virtual WriteResult createSpaceQuota(const SpaceQuota& quota) = 0;
  virtual std::optional<SpaceQuota> getSpaceQuota(const std::string& guid) = 0;
  virtual std::vector<SpaceQuota> listSpaceQuotas(const QuotaFilter& filter) = 0;
  virtual WriteResult updateSpaceQuota(const SpaceQuota& quota) = 0;
  virtual WriteResult deleteSpaceQuota(const std::string& guid) = 0;
  // What the organization's (or the space's) started apps and routes use, leaving out one
  // process (the one being scaled: its new values are added by the caller; "" = none).
  virtual Usage organizationUsage(const std::string& org_guid,
                                  const std::string& except_process_guid) = 0;
  virtual Usage spaceUsage(const std::string& space_guid,
                           const std::string& except_process_guid) = 0;

  // Audit events.
  virtual WriteResult createAuditEvent(const AuditEvent& event) = 0;
  virtual std::optional<AuditEvent> getAuditEvent(const std::string& guid) = 0;
  virtual std::vector<AuditEvent> listAuditEvents(const AuditEventFilter& filter) = 0;

  // Apps. createApp stores the app and its processes in one transaction.
  virtual WriteResult createApp(const App& app, const std::vector<Process>& processes) = 0;
  virtual std::optional<App> getApp(const std::string& guid) = 0;
  virtual std::vector<App> listApps(const AppFilter& filter) = 0;
  virtual WriteResult updateApp(const App& app) = 0;
  // Deletes the app, its processes and every route destination pointing at it.
  virtual WriteResult deleteApp(const std::string& guid) = 0;

  // Processes.
  virtual std::optional<Process> getProcess(const std::string& guid) = 0;
  virtual std::vector<Process> listProcesses(const std::string& app_guid) = 0;
  virtual WriteResult updateProcess(const Process& process) = 0;

  // Routes and destinations. deleteRoute removes its destinations too.
  virtual WriteResult createRoute(const Route& route) = 0;
  virtual std::optional<Route> getRoute(const std::string& guid) = 0;
  virtual std::vector<Route> listRoutes(const RouteFilter& filter) = 0;
  // Writes every column but guid and created_at (NotFound when the route is gone).
  virtual WriteResult updateRoute(const Route& route) = 0;
  virtual WriteResult deleteRoute(const std::string& guid) = 0;
  virtual std::vector<Destination> listDestinations(const std::string& route_guid) = 0;
  // Adds all of them or none (MissingParent if the route or an app is gone).
  virtual WriteResult addDestinations(const std::vector<Destination>& destinations) = 0;
  // Replaces the route's destinations with these, in one transaction.
  virtual WriteResult replaceDestinations(const std::string& route_guid,
                                          const std::vector<Destination>& destinations) = 0;
  virtual WriteResult deleteDestination(const std::string& route_guid,
                                        const std::string& destination_guid) = 0;

  // Jobs (async operations; PROCESSING ones are resumed after a restart).
  virtual WriteResult createJob(const Job& job) = 0;
  virtual std::optional<Job> getJob(const std::string& guid) = 0;
  virtual std::vector<Job> listJobsInState(const std::string& state) = 0;
  virtual WriteResult updateJob(const Job& job) = 0;

  // Packages (they go with their app).
  virtual WriteResult createPackage(const Package& package) = 0;
  virtual std::optional<Package> getPackage(const std::string& guid) = 0;
  virtual std::vector<Package> listPackages(const PackageFilter& filter) = 0;
  // Updates state, sha256, error and updated_at.
  virtual WriteResult updatePackage(const Package& package) = 0;

  // Builds and droplets (they go with their app).
  virtual WriteResult createBuild(const Build& build) = 0;
  virtual std::optional<Build> getBuild(const std::string& guid) = 0;
  virtual std::vector<Build> listBuilds(const BuildFilter& filter) = 0;
  // Updates state, error, droplet_guid and updated_at.
  virtual WriteResult updateBuild(const Build& build) = 0;
  // Ends a build in one transaction: stores `droplet` (when given) and updates the build.
  // NotFound when the build is gone or no longer STAGING (e.g. the app was deleted meanwhile).
  virtual WriteResult finishBuild(const Build& build, const std::optional<Droplet>& droplet) = 0;
  // Marks every STAGING build FAILED with `error` (after a restart); returns how many.
  virtual int failStagingBuilds(const std::string& error, const std::string& now) = 0;
  virtual WriteResult createDroplet(const Droplet& droplet) = 0;
  virtual std::optional<Droplet> getDroplet(const std::string& guid) = 0;
  virtual std::vector<Droplet> listDroplets(const DropletFilter& filter) = 0;

  // The app's current droplet (apps.droplet_guid): nullopt when none is set or it is gone.
  virtual std::optional<Droplet> getCurrentDroplet(const std::string& app_guid) = 0;
  // Sets (or clears, with nullopt) the app's current droplet. MissingParent when the droplet
  // does not exist or belongs to another app; NotFound when the app does not exist.
  virtual WriteResult setCurrentDroplet(const std::string& app_guid,
                                        const std::optional<std::string>& droplet_guid,
                                        const std::string& now) = 0;

  // Deployments (migration 4; they go with their app).
  // Tasks (they go with their app). createTask gives the task the app's next sequence_id
  // (written into *task); MissingParent when the app is gone.
  virtual WriteResult createTask(AppTask* task) = 0;
  virtual std::optional<AppTask> getTask(const std::string& guid) = 0;
  virtual std::vector<AppTask> listTasks(const TaskFilter& filter) = 0;
  virtual WriteResult updateTask(const AppTask& task) = 0;

  virtual WriteResult createDeployment(const Deployment& deployment) = 0;
  virtual std::optional<Deployment> getDeployment(const std::string& guid) = 0;
  virtual std::vector<Deployment> listDeployments(const DeploymentFilter& filter) = 0;
  virtual WriteResult updateDeployment(const Deployment& deployment) = 0;

  // Runs `work` as one transaction: every Store call inside it joins it, and it commits when
  // `work` returns, rolls back when it throws. Calls inside that return a WriteResult other
  // than Ok do not roll back by themselves: throw to undo what came before.
  virtual void atomically(const std::function<void()>& work) = 0;

  // The service marketplace (migration 5; service_records.h). Deleting a broker deletes its
  // offerings and plans (the API refuses while instances use them); deleting an offering or
  // plan is refused (MissingParent) while instances use it.
  virtual WriteResult createServiceBroker(const ServiceBroker& broker) = 0;
  virtual std::optional<ServiceBroker> getServiceBroker(const std::string& guid) = 0;
  virtual std::vector<ServiceBroker> listServiceBrokers(const ServiceBrokerFilter& filter) = 0;
  virtual WriteResult updateServiceBroker(const ServiceBroker& broker) = 0;
  virtual WriteResult deleteServiceBroker(const std::string& guid) = 0;
  virtual WriteResult createServiceOffering(const ServiceOffering& offering) = 0;
  virtual std::optional<ServiceOffering> getServiceOffering(const std::string& guid) = 0;
  virtual std::vector<ServiceOffering> listServiceOfferings(
      const ServiceOfferingFilter& filter) = 0;
  virtual WriteResult updateServiceOffering(const ServiceOffering& offering) = 0;
  virtual WriteResult deleteServiceOffering(const std::string& guid) = 0;
  virtual WriteResult createServicePlan(const ServicePlan& plan) = 0;
  virtual std::optional<ServicePlan> getServicePlan(const std::string& guid) = 0;
  virtual std::vector<ServicePlan> listServicePlans(const ServicePlanFilter& filter) = 0;
  virtual WriteResult updateServicePlan(const ServicePlan& plan) = 0;
  virtual WriteResult deleteServicePlan(const std::string& guid) = 0;
  virtual std::vector<ServicePlanVisibility> listPlanVisibilities(const std::string& plan_guid) = 0;
  // Duplicate when the org already has the plan.
  virtual WriteResult createPlanVisibility(const ServicePlanVisibility& visibility) = 0;
  // Every org's visibility of the plan, or only `organization_guid`'s when given.
  virtual WriteResult deletePlanVisibilities(const std::string& plan_guid,
                                             const std::optional<std::string>& organization_guid) = 0;

  // Duplicate: an instance of that name exists in the space.
  virtual WriteResult createServiceInstance(const ServiceInstance& instance) = 0;
  virtual std::optional<ServiceInstance> getServiceInstance(const std::string& guid) = 0;
  virtual std::vector<ServiceInstance> listServiceInstances(
      const ServiceInstanceFilter& filter) = 0;
  virtual WriteResult updateServiceInstance(const ServiceInstance& instance) = 0;
  // MissingParent while bindings of it remain.
  virtual WriteResult deleteServiceInstance(const std::string& guid) = 0;
  // Duplicate: a key of that name exists for the instance.
  virtual WriteResult createServiceBinding(const ServiceBinding& binding) = 0;
  virtual std::optional<ServiceBinding> getServiceBinding(const std::string& guid) = 0;
  virtual std::vector<ServiceBinding> listServiceBindings(const ServiceBindingFilter& filter) = 0;
  virtual WriteResult updateServiceBinding(const ServiceBinding& binding) = 0;
  virtual WriteResult deleteServiceBinding(const std::string& guid) = 0;

  // Duplicate: the route has a route service already. Removed with its route.
  virtual WriteResult createServiceRouteBinding(const ServiceRouteBinding& binding) = 0;
  virtual std::optional<ServiceRouteBinding> getServiceRouteBinding(const std::string& guid) = 0;
  virtual std::vector<ServiceRouteBinding> listServiceRouteBindings(
      const ServiceRouteBindingFilter& filter) = 0;
  virtual WriteResult updateServiceRouteBinding(const ServiceRouteBinding& binding) = 0;
  virtual WriteResult deleteServiceRouteBinding(const std::string& guid) = 0;

  // Broker calls still owed, in creation order.
  virtual WriteResult createServiceOperation(const ServiceOperation& op) = 0;
  virtual std::optional<ServiceOperation> getServiceOperation(const std::string& guid) = 0;
  virtual std::vector<ServiceOperation> listServiceOperations() = 0;
  virtual WriteResult updateServiceOperation(const ServiceOperation& op) = 0;
  virtual WriteResult deleteServiceOperation(const std::string& guid) = 0;

  // Re-seals every secret sealed by a key other than the cipher's current one; returns how
  // many values it re-sealed (key rotation).
  virtual int resealSecrets() = 0;
};

}  // namespace foundry::control
