// SqliteStore's tenancy tables — organizations, spaces, domains, users, roles, quotas, audit
// events — each declared once (sqlite_table.h); the CRUD is derived from the declaration.
#include "control/store/sqlite_store.h"
#include "control/store/sqlite_table.h"

namespace foundry::control {
namespace {

using sqlite::field;
using sqlite::inTransaction;
using sqlite::nested;
using sqlite::Stmt;
using sqlite::Table;
using sqlite::Transaction;
using sqlite::Where;

const Table<Organization> kOrganizations{
    "organizations",
    {field("guid", &Organization::guid), field("name", &Organization::name),
     field("suspended", &Organization::suspended), field("quota_guid", &Organization::quota_guid),
     field("created_at", &Organization::created_at),
     field("updated_at", &Organization::updated_at)}};

const Table<Space> kSpaces{
    "spaces",
    {field("guid", &Space::guid), field("name", &Space::name),
     field("organization_guid", &Space::organization_guid), field("quota_guid", &Space::quota_guid),
     field("created_at", &Space::created_at), field("updated_at", &Space::updated_at)}};

const Table<Domain> kDomains{
    "domains",
    {field("guid", &Domain::guid), field("name", &Domain::name),
     field("internal", &Domain::internal), field("organization_guid", &Domain::organization_guid),
     field("created_at", &Domain::created_at), field("updated_at", &Domain::updated_at)}};

const Table<User> kUsers{
    "users",
    {field("guid", &User::guid), field("username", &User::username),
     field("origin", &User::origin), field("password_hash", &User::password_hash),
     field("email", &User::email), field("given_name", &User::given_name),
     field("family_name", &User::family_name), field("scopes", &User::groups),
     field("password_changed_at", &User::password_changed_at),
     field("created_at", &User::created_at), field("updated_at", &User::updated_at)}};

const Table<Role> kRoles{
    "roles",
    {field("guid", &Role::guid), field("type", &Role::type), field("user_guid", &Role::user_guid),
     field("organization_guid", &Role::organization_guid),
     field("space_guid", &Role::space_guid), field("created_at", &Role::created_at),
     field("updated_at", &Role::updated_at)}};

// The limit columns both quota kinds share (space quotas have no total_domains).
template <typename Q>
std::vector<sqlite::Column<Q>> limitColumns(bool with_domains) {
  std::vector<sqlite::Column<Q>> c = {
      nested<Q>("total_memory_in_mb", [](auto& q) -> auto& { return q.limits.total_memory_in_mb; }),
      nested<Q>("per_process_memory_in_mb",
                [](auto& q) -> auto& { return q.limits.per_process_memory_in_mb; }),
      nested<Q>("total_instances", [](auto& q) -> auto& { return q.limits.total_instances; }),
      nested<Q>("log_rate_limit",
                [](auto& q) -> auto& { return q.limits.log_rate_limit_in_bytes_per_second; }),
      nested<Q>("per_app_tasks", [](auto& q) -> auto& { return q.limits.per_app_tasks; }),
      nested<Q>("total_service_instances",
                [](auto& q) -> auto& { return q.limits.total_service_instances; }),
      nested<Q>("total_service_keys", [](auto& q) -> auto& { return q.limits.total_service_keys; }),
      nested<Q>("total_routes", [](auto& q) -> auto& { return q.limits.total_routes; }),
      nested<Q>("total_reserved_ports",
                [](auto& q) -> auto& { return q.limits.total_reserved_ports; }),
      nested<Q>("paid_services_allowed",
                [](auto& q) -> auto& { return q.limits.paid_services_allowed; }),
  };
  if (with_domains) {
    c.push_back(nested<Q>("total_domains", [](auto& q) -> auto& { return q.limits.total_domains; }));
  }
  return c;
}

template <typename Q>
std::vector<sqlite::Column<Q>> quotaColumns(std::vector<sqlite::Column<Q>> head, bool domains) {
  for (auto& c : limitColumns<Q>(domains)) head.push_back(std::move(c));
  head.push_back(field("created_at", &Q::created_at));
  head.push_back(field("updated_at", &Q::updated_at));
  return head;
}

const Table<OrganizationQuota> kOrganizationQuotas{
    "organization_quotas",
    quotaColumns<OrganizationQuota>(
        {field("guid", &OrganizationQuota::guid), field("name", &OrganizationQuota::name)}, true)};

const Table<SpaceQuota> kSpaceQuotas{
    "space_quotas",
    quotaColumns<SpaceQuota>({field("guid", &SpaceQuota::guid), field("name", &SpaceQuota::name),
                              field("organization_guid", &SpaceQuota::organization_guid)},
                             false)};

const Table<AuditEvent> kAuditEvents{
    "audit_events",
    {field("guid", &AuditEvent::guid), field("type", &AuditEvent::type),
     field("actor_guid", &AuditEvent::actor_guid), field("actor_type", &AuditEvent::actor_type),
     field("actor_name", &AuditEvent::actor_name), field("target_guid", &AuditEvent::target_guid),
     field("target_type", &AuditEvent::target_type),
     field("target_name", &AuditEvent::target_name), field("data", &AuditEvent::data),
     field("space_guid", &AuditEvent::space_guid),
     field("organization_guid", &AuditEvent::organization_guid),
     field("created_at", &AuditEvent::created_at), field("updated_at", &AuditEvent::updated_at)}};


Usage usage(sqlite3* db, const std::string& scope_column, const std::string& scope_guid,
            const std::string& except_process_guid) {
  // Memory and instances of the processes of STARTED apps, as CC counts them.
  Usage u;
  Stmt s(db,
         "SELECT COALESCE(SUM(p.memory_in_mb * p.instances), 0), COALESCE(SUM(p.instances), 0) "
         "FROM processes p JOIN apps a ON p.app_guid = a.guid JOIN spaces s ON a.space_guid = "
         "s.guid WHERE a.state = 'STARTED' AND s." +
             scope_column + " = ? AND p.guid != ?");
  s.bind(scope_guid).bind(except_process_guid);
  if (s.step()) {
    u.memory_in_mb = s.integer(0);
    u.instances = s.integer(1);
  }
  // Tasks that have not ended hold their memory too, whatever their app's state (CC).
  Stmt t(db,
         "SELECT COALESCE(SUM(t.memory_in_mb), 0) FROM tasks t JOIN apps a ON t.app_guid = "
         "a.guid JOIN spaces s ON a.space_guid = s.guid WHERE t.state IN ('PENDING', "
         "'RUNNING', 'CANCELING') AND s." +
             scope_column + " = ?");
  t.bind(scope_guid);
  if (t.step()) u.memory_in_mb += t.integer(0);
  Stmt r(db, "SELECT COUNT(*) FROM routes r JOIN spaces s ON r.space_guid = s.guid WHERE s." +
                 scope_column + " = ?");
  r.bind(scope_guid);
  if (r.step()) u.routes = r.integer(0);
  return u;
}

}  // namespace

WriteResult SqliteStore::createOrganization(const Organization& o) {
  return kOrganizations.insert(db_, o);
}
std::optional<Organization> SqliteStore::getOrganization(const std::string& guid) {
  return kOrganizations.get(db_, guid);
}
std::vector<Organization> SqliteStore::listOrganizations(const NameFilter& f) {
  return kOrganizations.list(db_, Where().in("guid", f.guids).in("name", f.names));
}
WriteResult SqliteStore::updateOrganization(const Organization& o) {
  return kOrganizations.update(db_, o);
}
WriteResult SqliteStore::deleteOrganization(const std::string& guid) {
  return inTransaction(db_, [&] {
    // Its space quotas and roles go by cascade; spaces and private domains must be gone.
    return kOrganizations.remove(db_, guid);
  });
}

WriteResult SqliteStore::createSpace(const Space& s) { return kSpaces.insert(db_, s); }
std::optional<Space> SqliteStore::getSpace(const std::string& guid) {
  return kSpaces.get(db_, guid);
}
std::vector<Space> SqliteStore::listSpaces(const SpaceFilter& f) {
  return kSpaces.list(db_, Where().in("guid", f.guids).in("name", f.names).in(
                               "organization_guid", f.organization_guids));
}
WriteResult SqliteStore::updateSpace(const Space& s) { return kSpaces.update(db_, s); }
WriteResult SqliteStore::deleteSpace(const std::string& guid) {
  return inTransaction(db_, [&] { return kSpaces.remove(db_, guid); });
}

WriteResult SqliteStore::createDomain(const Domain& d) { return kDomains.insert(db_, d); }
std::optional<Domain> SqliteStore::getDomain(const std::string& guid) {
  return kDomains.get(db_, guid);
}
std::vector<Domain> SqliteStore::listDomains(const DomainFilter& f) {
  Where w;
  w.in("guid", f.guids).in("name", f.names);
  if (f.visible_in_organizations) {
    std::string marks;
    for (size_t i = 0; i < f.visible_in_organizations->size(); ++i) marks += i ? ",?" : "?";
    w.raw("(organization_guid IS NULL" +
              (marks.empty() ? std::string() : " OR organization_guid IN (" + marks + ")") + ")",
          *f.visible_in_organizations);
  }
  return kDomains.list(db_, w);
}
WriteResult SqliteStore::deleteDomain(const std::string& guid) {
  return inTransaction(db_, [&] { return kDomains.remove(db_, guid); });
}

WriteResult SqliteStore::createUser(const User& u) { return kUsers.insert(db_, u); }
std::optional<User> SqliteStore::getUser(const std::string& guid) { return kUsers.get(db_, guid); }
std::vector<User> SqliteStore::listUsers(const UserFilter& f) {
  return kUsers.list(
      db_, Where().in("guid", f.guids).in("username", f.usernames).in("origin", f.origins));
}
WriteResult SqliteStore::updateUser(const User& u) { return kUsers.update(db_, u); }
WriteResult SqliteStore::deleteUser(const std::string& guid) {
  return inTransaction(db_, [&] { return kUsers.remove(db_, guid); });
}

WriteResult SqliteStore::createRole(const Role& r) { return kRoles.insert(db_, r); }
std::optional<Role> SqliteStore::getRole(const std::string& guid) { return kRoles.get(db_, guid); }
std::vector<Role> SqliteStore::listRoles(const RoleFilter& f) {
  return kRoles.list(db_, Where()
                              .in("guid", f.guids)
                              .in("type", f.types)
                              .in("user_guid", f.user_guids)
                              .in("organization_guid", f.organization_guids)
                              .in("space_guid", f.space_guids));
}
WriteResult SqliteStore::deleteRole(const std::string& guid) { return kRoles.remove(db_, guid); }

WriteResult SqliteStore::createOrganizationQuota(const OrganizationQuota& q) {
  return kOrganizationQuotas.insert(db_, q);
}
std::optional<OrganizationQuota> SqliteStore::getOrganizationQuota(const std::string& guid) {
  return kOrganizationQuotas.get(db_, guid);
}
std::vector<OrganizationQuota> SqliteStore::listOrganizationQuotas(const QuotaFilter& f) {
  Where w;
  w.in("guid", f.guids).in("name", f.names);
  if (!f.organization_guids.empty()) {
    std::string marks;
    for (size_t i = 0; i < f.organization_guids.size(); ++i) marks += i ? ",?" : "?";
    w.raw("guid IN (SELECT quota_guid FROM organizations WHERE guid IN (" + marks + "))",
          f.organization_guids);
  }
  return kOrganizationQuotas.list(db_, w);
}
WriteResult SqliteStore::updateOrganizationQuota(const OrganizationQuota& q) {
  return kOrganizationQuotas.update(db_, q);
}
WriteResult SqliteStore::deleteOrganizationQuota(const std::string& guid) {
  return kOrganizationQuotas.remove(db_, guid);
}
WriteResult SqliteStore::createSpaceQuota(const SpaceQuota& q) {
  return kSpaceQuotas.insert(db_, q);
}
std::optional<SpaceQuota> SqliteStore::getSpaceQuota(const std::string& guid) {
  return kSpaceQuotas.get(db_, guid);
}
std::vector<SpaceQuota> SqliteStore::listSpaceQuotas(const QuotaFilter& f) {
  return kSpaceQuotas.list(db_, Where().in("guid", f.guids).in("name", f.names).in(
                                    "organization_guid", f.organization_guids));
}
WriteResult SqliteStore::updateSpaceQuota(const SpaceQuota& q) {
  return kSpaceQuotas.update(db_, q);
}
WriteResult SqliteStore::deleteSpaceQuota(const std::string& guid) {
  return kSpaceQuotas.remove(db_, guid);
}

Usage SqliteStore::organizationUsage(const std::string& org_guid,
                                     const std::string& except_process_guid) {
  return usage(db_, "organization_guid", org_guid, except_process_guid);
}
Usage SqliteStore::spaceUsage(const std::string& space_guid,
                              const std::string& except_process_guid) {
  return usage(db_, "guid", space_guid, except_process_guid);
}

WriteResult SqliteStore::createAuditEvent(const AuditEvent& e) {
  return kAuditEvents.insert(db_, e);
}
std::optional<AuditEvent> SqliteStore::getAuditEvent(const std::string& guid) {
  return kAuditEvents.get(db_, guid);
}
std::vector<AuditEvent> SqliteStore::listAuditEvents(const AuditEventFilter& f) {
  return kAuditEvents.list(db_, Where()
                                    .in("guid", f.guids)
                                    .in("type", f.types)
                                    .in("target_guid", f.target_guids)
                                    .in("space_guid", f.space_guids)
                                    .in("organization_guid", f.organization_guids));
}

}  // namespace foundry::control
