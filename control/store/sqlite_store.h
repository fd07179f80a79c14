#pragma once
// SqliteStore: the embedded Store. One file (<data-dir>/controller.db) in WAL mode with
// foreign keys on; schema migrations run in order at open, each in its own transaction, and
// the applied version is kept in `schema_migrations`. Every public call is one transaction
// (BEGIN IMMEDIATE .. COMMIT, rolled back on any failure), so nothing is stored half-way.
//
// Not thread-safe: one thread (the controller's event loop) uses it.

#include <memory>
#include <string>

#include "common/crypto/field_cipher.h"
#include "control/store/sqlite_services.h"
#include "control/store/sqlite_staging.h"
#include "control/store/store.h"

struct sqlite3;

namespace foundry::control {

class SqliteStore : public Store {
 public:
  // Opens or creates the database file at `path` and migrates it. Throws StoreError.
  // `cipher` seals the secret columns (service credentials, broker passwords); without one the
  // store makes a random key that lives as long as it does (tests that never reopen).
  explicit SqliteStore(const std::string& path,
                       std::shared_ptr<const crypto::FieldCipher> cipher = nullptr);
  ~SqliteStore() override;
  SqliteStore(const SqliteStore&) = delete;
  SqliteStore& operator=(const SqliteStore&) = delete;

  // The schema version after migrations (tests check it).
  int schemaVersion();

  // Store
  // Tenancy (sqlite_tenancy.cc).
  WriteResult createOrganization(const Organization& org) override;
  std::optional<Organization> getOrganization(const std::string& guid) override;
  std::vector<Organization> listOrganizations(const NameFilter& filter) override;
  WriteResult updateOrganization(const Organization& org) override;
  WriteResult deleteOrganization(const std::string& guid) override;
  WriteResult createSpace(const Space& space) override;
  std::optional<Space> getSpace(const std::string& guid) override;
  std::vector<Space> listSpaces(const SpaceFilter& filter) override;
  WriteResult updateSpace(const Space& space) override;
  WriteResult deleteSpace(const std::string& guid) override;
  WriteResult createDomain(const Domain& domain) override;
  std::optional<Domain> getDomain(const std::string& guid) override;
  std::vector<Domain> listDomains(const DomainFilter& filter) override;
  WriteResult deleteDomain(const std::string& guid) override;
  WriteResult createUser(const User& user) override;
  std::optional<User> getUser(const std::string& guid) override;
  std::vector<User> listUsers(const UserFilter& filter) override;
  WriteResult updateUser(const User& user) override;
  WriteResult deleteUser(const std::string& guid) override;
  WriteResult createRole(const Role& role) override;
  std::optional<Role> getRole(const std::string& guid) override;
  std::vector<Role> listRoles(const RoleFilter& filter) override;
  WriteResult deleteRole(const std::string& guid) override;
  WriteResult createOrganizationQuota(const OrganizationQuota& quota) override;
  std::optional<OrganizationQuota> getOrganizationQuota(const std::string& guid) override;
  std::vector<OrganizationQuota> listOrganizationQuotas(const QuotaFilter& filter) override;
  WriteResult updateOrganizationQuota(const OrganizationQuota& quota) override;
  WriteResult deleteOrganizationQuota(const std::string& guid) override;
  WriteResult createSpaceQuota(const SpaceQuota& quota) override;
  std::optional<SpaceQuota> getSpaceQuota(const std::string& guid) override;
  std::vector<SpaceQuota> listSpaceQuotas(const QuotaFilter& filter) override;
  WriteResult updateSpaceQuota(const SpaceQuota& quota) override;
  WriteResult deleteSpaceQuota(const std::string& guid) override;
  Usage organizationUsage(const std::string& org_guid,
                          const std::string& except_process_guid) override;
  Usage spaceUsage(const std::string& space_guid, const std::string& except_process_guid) override;
  WriteResult createAuditEvent(const AuditEvent& event) override;
  std::optional<AuditEvent> getAuditEvent(const std::string& guid) override;
  std::vector<AuditEvent> listAuditEvents(const AuditEventFilter& filter) override;
  WriteResult createApp(const App& app, const std::vector<Process>& processes) override;
  std::optional<App> getApp(const std::string& guid) override;
  std::vector<App> listApps(const AppFilter& filter) override;
  WriteResult updateApp(const App& app) override;
  WriteResult deleteApp(const std::string& guid) override;
  std::optional<Process> getProcess(const std::string& guid) override;
  std::vector<Process> listProcesses(const std::string& app_guid) override;
  WriteResult updateProcess(const Process& process) override;
  WriteResult createRoute(const Route& route) override;
  std::optional<Route> getRoute(const std::string& guid) override;
  std::vector<Route> listRoutes(const RouteFilter& filter) override;
  WriteResult updateRoute(const Route& route) override;
  WriteResult deleteRoute(const std::string& guid) override;
  std::vector<Destination> listDestinations(const std::string& route_guid) override;
  WriteResult addDestinations(const std::vector<Destination>& destinations) override;
  WriteResult replaceDestinations(const std::string& route_guid,
                                  const std::vector<Destination>& destinations) override;
  WriteResult deleteDestination(const std::string& route_guid,
                                const std::string& destination_guid) override;
  WriteResult createJob(const Job& job) override;
  std::optional<Job> getJob(const std::string& guid) override;
  std::vector<Job> listJobsInState(const std::string& state) override;
  WriteResult updateJob(const Job& job) override;
  WriteResult createPackage(const Package& package) override;
  std::optional<Package> getPackage(const std::string& guid) override;
  std::vector<Package> listPackages(const PackageFilter& filter) override;
  WriteResult updatePackage(const Package& package) override;
  WriteResult createBuild(const Build& build) override;
  std::optional<Build> getBuild(const std::string& guid) override;
  std::vector<Build> listBuilds(const BuildFilter& filter) override;
  WriteResult updateBuild(const Build& build) override;
  WriteResult finishBuild(const Build& build, const std::optional<Droplet>& droplet) override;
  int failStagingBuilds(const std::string& error, const std::string& now) override;
  WriteResult createDroplet(const Droplet& droplet) override;
  std::optional<Droplet> getDroplet(const std::string& guid) override;
  std::vector<Droplet> listDroplets(const DropletFilter& filter) override;
  std::optional<Droplet> getCurrentDroplet(const std::string& app_guid) override;
  WriteResult setCurrentDroplet(const std::string& app_guid,
                                const std::optional<std::string>& droplet_guid,
                                const std::string& now) override;
  // Tasks (sqlite_tasks.cc).
  WriteResult createTask(AppTask* task) override;
  std::optional<AppTask> getTask(const std::string& guid) override;
  std::vector<AppTask> listTasks(const TaskFilter& filter) override;
  WriteResult updateTask(const AppTask& task) override;
  // Deployments (sqlite_deployments.cc).
  WriteResult createDeployment(const Deployment& deployment) override;
  std::optional<Deployment> getDeployment(const std::string& guid) override;
  std::vector<Deployment> listDeployments(const DeploymentFilter& filter) override;
  WriteResult updateDeployment(const Deployment& deployment) override;
  // The service marketplace (sqlite_services.cc).
  void atomically(const std::function<void()>& work) override;
  WriteResult createServiceBroker(const ServiceBroker& broker) override;
  std::optional<ServiceBroker> getServiceBroker(const std::string& guid) override;
  std::vector<ServiceBroker> listServiceBrokers(const ServiceBrokerFilter& filter) override;
  WriteResult updateServiceBroker(const ServiceBroker& broker) override;
  WriteResult deleteServiceBroker(const std::string& guid) override;
  WriteResult createServiceOffering(const ServiceOffering& offering) override;
  std::optional<ServiceOffering> getServiceOffering(const std::string& guid) override;
  std::vector<ServiceOffering> listServiceOfferings(const ServiceOfferingFilter& filter) override;
  WriteResult updateServiceOffering(const ServiceOffering& offering) override;
  WriteResult deleteServiceOffering(const std::string& guid) override;
  WriteResult createServicePlan(const ServicePlan& plan) override;
  std::optional<ServicePlan> getServicePlan(const std::string& guid) override;
  std::vector<ServicePlan> listServicePlans(const ServicePlanFilter& filter) override;
  WriteResult updateServicePlan(const ServicePlan& plan) override;
  WriteResult deleteServicePlan(const std::string& guid) override;
  std::vector<ServicePlanVisibility> listPlanVisibilities(const std::string& plan_guid) override;
  WriteResult createPlanVisibility(const ServicePlanVisibility& visibility) override;
  WriteResult deletePlanVisibilities(const std::string& plan_guid,
                                     const std::optional<std::string>& organization_guid) override;
  WriteResult createServiceInstance(const ServiceInstance& instance) override;
  std::optional<ServiceInstance> getServiceInstance(const std::string& guid) override;
  std::vector<ServiceInstance> listServiceInstances(const ServiceInstanceFilter& filter) override;
  WriteResult updateServiceInstance(const ServiceInstance& instance) override;
  WriteResult deleteServiceInstance(const std::string& guid) override;
  WriteResult createServiceBinding(const ServiceBinding& binding) override;
  std::optional<ServiceBinding> getServiceBinding(const std::string& guid) override;
  std::vector<ServiceBinding> listServiceBindings(const ServiceBindingFilter& filter) override;
  WriteResult updateServiceBinding(const ServiceBinding& binding) override;
  WriteResult deleteServiceBinding(const std::string& guid) override;
  WriteResult createServiceRouteBinding(const ServiceRouteBinding& binding) override;
  std::optional<ServiceRouteBinding> getServiceRouteBinding(const std::string& guid) override;
  std::vector<ServiceRouteBinding> listServiceRouteBindings(
      const ServiceRouteBindingFilter& filter) override;
  WriteResult updateServiceRouteBinding(const ServiceRouteBinding& binding) override;
  WriteResult deleteServiceRouteBinding(const std::string& guid) override;
  WriteResult createServiceOperation(const ServiceOperation& op) override;
  std::optional<ServiceOperation> getServiceOperation(const std::string& guid) override;
  std::vector<ServiceOperation> listServiceOperations() override;
  WriteResult updateServiceOperation(const ServiceOperation& op) override;
  WriteResult deleteServiceOperation(const std::string& guid) override;
  int resealSecrets() override;

 private:
  void migrate();
  // Key rotation of the Docker passwords (sqlite_staging.cc); inside resealSecrets' transaction.
  int resealStagingSecrets();

  sqlite3* db_ = nullptr;
  std::shared_ptr<const crypto::FieldCipher> cipher_;
  std::unique_ptr<ServiceTables, ServiceTablesDeleter> services_;
  std::unique_ptr<StagingTables, StagingTablesDeleter> staging_;
};

}  // namespace foundry::control
