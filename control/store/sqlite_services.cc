// SqliteStore's service marketplace tables (migration 5), each declared once
// (sqlite_table.h). Secret fields are sealed on the way in and opened on the way out by the
// store's FieldCipher, so every other layer sees plaintext auth::Secret values and the file
// sees only ciphertext.
#include "control/store/sqlite_services.h"

#include "common/crypto/field_cipher.h"
#include "control/store/sqlite_store.h"
#include "control/store/sqlite_sealed.h"
#include "control/store/sqlite_table.h"

namespace foundry::control {

using sqlite::Column;
using sqlite::field;
using sqlite::inTransaction;
using sqlite::nested;
using sqlite::sealed;
using sqlite::Stmt;
using sqlite::Table;
using sqlite::Transaction;
using sqlite::Where;
using sqlite::withTimes;

namespace {

// The five last_operation columns of instances and bindings.
template <typename T>
void addLastOperation(std::vector<Column<T>>& columns) {
  columns.push_back(nested<T>("last_operation_type",
                              [](auto& r) -> auto& { return r.last_operation.type; }));
  columns.push_back(nested<T>("last_operation_state",
                              [](auto& r) -> auto& { return r.last_operation.state; }));
  columns.push_back(nested<T>("last_operation_description",
                              [](auto& r) -> auto& { return r.last_operation.description; }));
  columns.push_back(nested<T>("last_operation_created_at",
                              [](auto& r) -> auto& { return r.last_operation.created_at; }));
  columns.push_back(nested<T>("last_operation_updated_at",
                              [](auto& r) -> auto& { return r.last_operation.updated_at; }));
}



std::vector<Column<ServiceInstance>> instanceColumns(const crypto::FieldCipher* cipher) {
  using I = ServiceInstance;
  std::vector<Column<I>> c = {
      field("guid", &I::guid), field("name", &I::name), field("type", &I::type),
      field("space_guid", &I::space_guid), field("plan_guid", &I::plan_guid),
      field("tags", &I::tags), sealed("credentials", &I::credentials, cipher),
      field("syslog_drain_url", &I::syslog_drain_url),
      field("route_service_url", &I::route_service_url),
      field("dashboard_url", &I::dashboard_url), field("broker_metadata", &I::broker_metadata),
      field("maintenance_info", &I::maintenance_info)};
  addLastOperation(c);
  return withTimes(std::move(c));
}

std::vector<Column<ServiceBinding>> bindingColumns(const crypto::FieldCipher* cipher) {
  using B = ServiceBinding;
  std::vector<Column<B>> c = {
      field("guid", &B::guid), field("name", &B::name), field("type", &B::type),
      field("instance_guid", &B::instance_guid), field("app_guid", &B::app_guid),
      sealed("credentials", &B::credentials, cipher),
      field("syslog_drain_url", &B::syslog_drain_url), field("volume_mounts", &B::volume_mounts)};
  addLastOperation(c);
  return withTimes(std::move(c));
}

std::vector<Column<ServiceRouteBinding>> routeBindingColumns() {
  using R = ServiceRouteBinding;
  std::vector<Column<R>> c = {field("guid", &R::guid), field("route_guid", &R::route_guid),
                              field("instance_guid", &R::instance_guid),
                              field("route_service_url", &R::route_service_url)};
  addLastOperation(c);
  return withTimes(std::move(c));
}

}  // namespace

struct ServiceTables {
  explicit ServiceTables(const crypto::FieldCipher* cipher)
      : brokers{"service_brokers",
                withTimes<ServiceBroker>(
                    {field("guid", &ServiceBroker::guid), field("name", &ServiceBroker::name),
                     field("url", &ServiceBroker::url),
                     field("username", &ServiceBroker::username),
                     sealed("password", &ServiceBroker::password, cipher),
                     field("space_guid", &ServiceBroker::space_guid),
                     field("state", &ServiceBroker::state)})},
        offerings{"service_offerings",
                  withTimes<ServiceOffering>(
                      {field("guid", &ServiceOffering::guid),
                       field("broker_guid", &ServiceOffering::broker_guid),
                       field("broker_catalog_id", &ServiceOffering::broker_catalog_id),
                       field("name", &ServiceOffering::name),
                       field("description", &ServiceOffering::description),
                       field("available", &ServiceOffering::available),
                       field("bindable", &ServiceOffering::bindable),
                       field("plan_updateable", &ServiceOffering::plan_updateable),
                       field("instances_retrievable", &ServiceOffering::instances_retrievable),
                       field("bindings_retrievable", &ServiceOffering::bindings_retrievable),
                       field("allow_context_updates", &ServiceOffering::allow_context_updates),
                       field("shareable", &ServiceOffering::shareable),
                       field("tags", &ServiceOffering::tags),
                       field("requires", &ServiceOffering::requires_features),
                       field("metadata", &ServiceOffering::metadata),
                       field("documentation_url", &ServiceOffering::documentation_url)})},
        plans{"service_plans",
              withTimes<ServicePlan>(
                  {field("guid", &ServicePlan::guid),
                   field("offering_guid", &ServicePlan::offering_guid),
                   field("broker_catalog_id", &ServicePlan::broker_catalog_id),
                   field("name", &ServicePlan::name),
                   field("description", &ServicePlan::description),
                   field("available", &ServicePlan::available), field("free", &ServicePlan::free),
                   field("bindable", &ServicePlan::bindable),
                   field("plan_updateable", &ServicePlan::plan_updateable),
                   field("visibility_type", &ServicePlan::visibility_type),
                   field("maximum_polling_duration", &ServicePlan::maximum_polling_duration),
                   field("maintenance_info", &ServicePlan::maintenance_info),
                   field("metadata", &ServicePlan::metadata),
                   field("schemas", &ServicePlan::schemas), field("costs", &ServicePlan::costs)})},
        visibilities{"service_plan_visibilities",
                     withTimes<ServicePlanVisibility>(
                         {field("guid", &ServicePlanVisibility::guid),
                          field("plan_guid", &ServicePlanVisibility::plan_guid),
                          field("organization_guid", &ServicePlanVisibility::organization_guid)})},
        instances{"service_instances", instanceColumns(cipher)},
        bindings{"service_bindings", bindingColumns(cipher)},
        route_bindings{"service_route_bindings", routeBindingColumns()},
        operations{"service_operations",
                   withTimes<ServiceOperation>(
                       {field("guid", &ServiceOperation::guid),
                        field("kind", &ServiceOperation::kind),
                        field("mitigation", &ServiceOperation::mitigation),
                        field("target_guid", &ServiceOperation::target_guid),
                        field("job_guid", &ServiceOperation::job_guid),
                        field("phase", &ServiceOperation::phase),
                        field("broker_operation", &ServiceOperation::broker_operation),
                        field("attempts", &ServiceOperation::attempts),
                        field("next_attempt_at", &ServiceOperation::next_attempt_at),
                        field("poll_deadline", &ServiceOperation::poll_deadline),
                        field("broker_guid", &ServiceOperation::broker_guid),
                        field("service_id", &ServiceOperation::service_id),
                        field("plan_id", &ServiceOperation::plan_id),
                        field("instance_id", &ServiceOperation::instance_id),
                        field("binding_id", &ServiceOperation::binding_id),
                        sealed("request", &ServiceOperation::request, cipher),
                        field("user_guid", &ServiceOperation::user_guid)})} {}

  Table<ServiceBroker> brokers;
  Table<ServiceOffering> offerings;
  Table<ServicePlan> plans;
  Table<ServicePlanVisibility> visibilities;
  Table<ServiceInstance> instances;
  Table<ServiceBinding> bindings;
  Table<ServiceRouteBinding> route_bindings;
  Table<ServiceOperation> operations;
};

std::unique_ptr<ServiceTables, ServiceTablesDeleter> makeServiceTablesOwned(
    const crypto::FieldCipher* cipher) {
  return std::unique_ptr<ServiceTables, ServiceTablesDeleter>(new ServiceTables(cipher));
}
void ServiceTablesDeleter::operator()(ServiceTables* t) const { delete t; }

void SqliteStore::atomically(const std::function<void()>& work) {
  Transaction tx(db_);
  work();
  tx.finish(WriteResult::Ok);
}

// Brokers, offerings, plans.
WriteResult SqliteStore::createServiceBroker(const ServiceBroker& b) {
  return inTransaction(db_, [&] { return services_->brokers.insert(db_, b); });
}
std::optional<ServiceBroker> SqliteStore::getServiceBroker(const std::string& guid) {
  return services_->brokers.get(db_, guid);
}
std::vector<ServiceBroker> SqliteStore::listServiceBrokers(const ServiceBrokerFilter& f) {
  Where w;
  w.in("guid", f.guids).in("name", f.names);
  if (f.in_spaces) {
    if (f.in_spaces->empty()) return {};
    w.in("space_guid", *f.in_spaces);
  }
  return services_->brokers.list(db_, w);
}
WriteResult SqliteStore::updateServiceBroker(const ServiceBroker& b) {
  return inTransaction(db_, [&] { return services_->brokers.update(db_, b); });
}
WriteResult SqliteStore::deleteServiceBroker(const std::string& guid) {
  return inTransaction(db_, [&] { return services_->brokers.remove(db_, guid); });
}
WriteResult SqliteStore::createServiceOffering(const ServiceOffering& o) {
  return inTransaction(db_, [&] { return services_->offerings.insert(db_, o); });
}
std::optional<ServiceOffering> SqliteStore::getServiceOffering(const std::string& guid) {
  return services_->offerings.get(db_, guid);
}
std::vector<ServiceOffering> SqliteStore::listServiceOfferings(const ServiceOfferingFilter& f) {
  return services_->offerings.list(
      db_, Where().in("guid", f.guids).in("name", f.names).in("broker_guid", f.broker_guids));
}
WriteResult SqliteStore::updateServiceOffering(const ServiceOffering& o) {
  return inTransaction(db_, [&] { return services_->offerings.update(db_, o); });
}
WriteResult SqliteStore::deleteServiceOffering(const std::string& guid) {
  return inTransaction(db_, [&] { return services_->offerings.remove(db_, guid); });
}
WriteResult SqliteStore::createServicePlan(const ServicePlan& p) {
  return inTransaction(db_, [&] { return services_->plans.insert(db_, p); });
}
std::optional<ServicePlan> SqliteStore::getServicePlan(const std::string& guid) {
  return services_->plans.get(db_, guid);
}
std::vector<ServicePlan> SqliteStore::listServicePlans(const ServicePlanFilter& f) {
  Where w;
  w.in("guid", f.guids).in("name", f.names).in("offering_guid", f.offering_guids);
  w.inParent("offering_guid", "service_offerings", "broker_guid", f.broker_guids);
  if (f.visible_to) {
    // Public plans, plans shared with one of the orgs, plans of brokers scoped to the spaces.
    std::vector<std::string> args;
    auto marks = [&args](const std::vector<std::string>& values) {
      std::string m = values.empty() ? "NULL" : "";
      for (size_t i = 0; i < values.size(); ++i) m += i ? ",?" : "?";
      args.insert(args.end(), values.begin(), values.end());
      return m;
    };
    const std::string orgs = marks(f.visible_to->organization_guids);
    const std::string spaces = marks(f.visible_to->space_guids);
    w.raw("(visibility_type = 'public' OR guid IN (SELECT plan_guid FROM "
          "service_plan_visibilities WHERE organization_guid IN (" + orgs + ")) OR "
          "offering_guid IN (SELECT o.guid FROM service_offerings o JOIN service_brokers b ON "
          "o.broker_guid = b.guid WHERE b.space_guid IN (" + spaces + ")))",
          args);
  }
  return services_->plans.list(db_, w);
}
WriteResult SqliteStore::updateServicePlan(const ServicePlan& p) {
  return inTransaction(db_, [&] { return services_->plans.update(db_, p); });
}
WriteResult SqliteStore::deleteServicePlan(const std::string& guid) {
  return inTransaction(db_, [&] { return services_->plans.remove(db_, guid); });
}
std::vector<ServicePlanVisibility> SqliteStore::listPlanVisibilities(const std::string& plan) {
  return services_->visibilities.list(db_, Where().in("plan_guid", {plan}));
}
WriteResult SqliteStore::createPlanVisibility(const ServicePlanVisibility& v) {
  return inTransaction(db_, [&] { return services_->visibilities.insert(db_, v); });
}
WriteResult SqliteStore::deletePlanVisibilities(const std::string& plan_guid,
                                                const std::optional<std::string>& org_guid) {
  return inTransaction(db_, [&] {
    Stmt s(db_, org_guid ? "DELETE FROM service_plan_visibilities WHERE plan_guid = ? AND "
                           "organization_guid = ?"
                         : "DELETE FROM service_plan_visibilities WHERE plan_guid = ?");
    s.bind(plan_guid);
    if (org_guid) s.bind(*org_guid);
    WriteResult r = s.exec();
    return r == WriteResult::NotFound ? WriteResult::Ok : r;
  });
}

// Instances and bindings.
WriteResult SqliteStore::createServiceInstance(const ServiceInstance& i) {
  return inTransaction(db_, [&] { return services_->instances.insert(db_, i); });
}
std::optional<ServiceInstance> SqliteStore::getServiceInstance(const std::string& guid) {
  return services_->instances.get(db_, guid);
}
std::vector<ServiceInstance> SqliteStore::listServiceInstances(const ServiceInstanceFilter& f) {
  return services_->instances.list(db_, Where()
                                            .in("guid", f.guids)
                                            .in("name", f.names)
                                            .in("space_guid", f.space_guids)
                                            .in("plan_guid", f.plan_guids)
                                            .in("type", f.types));
}
WriteResult SqliteStore::updateServiceInstance(const ServiceInstance& i) {
  return inTransaction(db_, [&] { return services_->instances.update(db_, i); });
}
WriteResult SqliteStore::deleteServiceInstance(const std::string& guid) {
  return inTransaction(db_, [&] { return services_->instances.remove(db_, guid); });
}
WriteResult SqliteStore::createServiceBinding(const ServiceBinding& b) {
  return inTransaction(db_, [&] { return services_->bindings.insert(db_, b); });
}
std::optional<ServiceBinding> SqliteStore::getServiceBinding(const std::string& guid) {
  return services_->bindings.get(db_, guid);
}
std::vector<ServiceBinding> SqliteStore::listServiceBindings(const ServiceBindingFilter& f) {
  Where w;
  w.in("guid", f.guids).in("name", f.names).in("type", f.types);
  w.in("instance_guid", f.instance_guids).in("app_guid", f.app_guids);
  w.inParent("instance_guid", "service_instances", "space_guid", f.space_guids);
  return services_->bindings.list(db_, w);
}
WriteResult SqliteStore::updateServiceBinding(const ServiceBinding& b) {
  return inTransaction(db_, [&] { return services_->bindings.update(db_, b); });
}
WriteResult SqliteStore::deleteServiceBinding(const std::string& guid) {
  return inTransaction(db_, [&] { return services_->bindings.remove(db_, guid); });
}

WriteResult SqliteStore::createServiceRouteBinding(const ServiceRouteBinding& b) {
  return inTransaction(db_, [&] { return services_->route_bindings.insert(db_, b); });
}
std::optional<ServiceRouteBinding> SqliteStore::getServiceRouteBinding(const std::string& guid) {
  return services_->route_bindings.get(db_, guid);
}
std::vector<ServiceRouteBinding> SqliteStore::listServiceRouteBindings(
    const ServiceRouteBindingFilter& f) {
  Where w;
  w.in("guid", f.guids).in("route_guid", f.route_guids).in("instance_guid", f.instance_guids);
  w.inParent("route_guid", "routes", "space_guid", f.space_guids);
  return services_->route_bindings.list(db_, w);
}
WriteResult SqliteStore::updateServiceRouteBinding(const ServiceRouteBinding& b) {
  return inTransaction(db_, [&] { return services_->route_bindings.update(db_, b); });
}
WriteResult SqliteStore::deleteServiceRouteBinding(const std::string& guid) {
  return inTransaction(db_, [&] { return services_->route_bindings.remove(db_, guid); });
}

// Broker calls owed.
WriteResult SqliteStore::createServiceOperation(const ServiceOperation& op) {
  return inTransaction(db_, [&] { return services_->operations.insert(db_, op); });
}
std::optional<ServiceOperation> SqliteStore::getServiceOperation(const std::string& guid) {
  return services_->operations.get(db_, guid);
}
std::vector<ServiceOperation> SqliteStore::listServiceOperations() {
  return services_->operations.list(db_, Where());
}
WriteResult SqliteStore::updateServiceOperation(const ServiceOperation& op) {
  return inTransaction(db_, [&] { return services_->operations.update(db_, op); });
}
WriteResult SqliteStore::deleteServiceOperation(const std::string& guid) {
  return inTransaction(db_, [&] { return services_->operations.remove(db_, guid); });
}

int SqliteStore::resealSecrets() {
  const crypto::FieldCipher& c = *cipher_;
  int resealed = 0;
  atomically([&] {
    resealed += sqlite::resealColumn(db_, c, services_->brokers, "password");
    resealed += sqlite::resealColumn(db_, c, services_->instances, "credentials");
    resealed += sqlite::resealColumn(db_, c, services_->bindings, "credentials");
    resealed += sqlite::resealColumn(db_, c, services_->operations, "request");
    resealed += resealStagingSecrets();
  });
  return resealed;
}

}  // namespace foundry::control
