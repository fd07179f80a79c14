#include "control/store/sqlite_store.h"

#include "control/store/sqlite_stmt.h"

#include <openssl/rand.h>
#include <sqlite3.h>

#include <nlohmann/json.hpp>
#include <utility>

namespace foundry::control {
namespace {

using sqlite::execSql;
using sqlite::Stmt;
using sqlite::Transaction;
using sqlite::Where;

// Schema versions, applied in order; never edit one that has shipped, add the next instead.
// Index i holds the SQL that takes the schema from version i to i+1. apps.droplet_guid (from
// version 1) is the app's current droplet.
const char* const kMigrations[] = {
    // 1: tenancy, apps, processes, routing, jobs.
    R"sql(
CREATE TABLE organizations (
  guid TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE, suspended INTEGER NOT NULL DEFAULT 0,
  created_at TEXT NOT NULL, updated_at TEXT NOT NULL);
CREATE TABLE spaces (
  guid TEXT PRIMARY KEY, name TEXT NOT NULL,
  organization_guid TEXT NOT NULL REFERENCES organizations(guid),
  created_at TEXT NOT NULL, updated_at TEXT NOT NULL, UNIQUE (organization_guid, name));
CREATE TABLE domains (
  guid TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE, internal INTEGER NOT NULL DEFAULT 0,
  organization_guid TEXT REFERENCES organizations(guid),
  created_at TEXT NOT NULL, updated_at TEXT NOT NULL);
CREATE TABLE apps (
  guid TEXT PRIMARY KEY, name TEXT NOT NULL,
  space_guid TEXT NOT NULL REFERENCES spaces(guid),
  state TEXT NOT NULL, lifecycle_type TEXT NOT NULL, buildpacks TEXT NOT NULL,
  stack TEXT NOT NULL, droplet_guid TEXT, environment_variables TEXT NOT NULL,
  created_at TEXT NOT NULL, updated_at TEXT NOT NULL, UNIQUE (space_guid, name));
CREATE TABLE processes (
  guid TEXT PRIMARY KEY,
  app_guid TEXT NOT NULL REFERENCES apps(guid) ON DELETE CASCADE,
  type TEXT NOT NULL, command TEXT, instances INTEGER NOT NULL, memory_in_mb INTEGER NOT NULL,
  disk_in_mb INTEGER NOT NULL, log_rate_limit INTEGER NOT NULL,
  health_check_type TEXT NOT NULL, health_check_endpoint TEXT, health_check_timeout INTEGER,
  health_check_invocation_timeout INTEGER, health_check_interval INTEGER,
  version TEXT NOT NULL, created_at TEXT NOT NULL, updated_at TEXT NOT NULL,
  UNIQUE (app_guid, type));
CREATE TABLE routes (
  guid TEXT PRIMARY KEY, host TEXT NOT NULL, path TEXT NOT NULL,
  domain_guid TEXT NOT NULL REFERENCES domains(guid),
  space_guid TEXT NOT NULL REFERENCES spaces(guid),
  created_at TEXT NOT NULL, updated_at TEXT NOT NULL, UNIQUE (domain_guid, host, path));
CREATE TABLE route_destinations (
  guid TEXT PRIMARY KEY,
  route_guid TEXT NOT NULL REFERENCES routes(guid) ON DELETE CASCADE,
  app_guid TEXT NOT NULL REFERENCES apps(guid) ON DELETE CASCADE,
  process_type TEXT NOT NULL, port INTEGER NOT NULL, protocol TEXT NOT NULL,
  created_at TEXT NOT NULL, updated_at TEXT NOT NULL);
CREATE INDEX route_destinations_route ON route_destinations(route_guid);
CREATE INDEX route_destinations_app ON route_destinations(app_guid);
CREATE TABLE jobs (
  guid TEXT PRIMARY KEY, operation TEXT NOT NULL, state TEXT NOT NULL,
  resource_type TEXT NOT NULL, resource_guid TEXT NOT NULL,
  errors TEXT NOT NULL, warnings TEXT NOT NULL,
  created_at TEXT NOT NULL, updated_at TEXT NOT NULL);
)sql",
    // 2: packages, builds, droplets (staging). They go with their app. droplets.package_guid
    // has no foreign key: a droplet outlives the package it came from.
    R"sql(
CREATE TABLE packages (
  guid TEXT PRIMARY KEY,
  app_guid TEXT NOT NULL REFERENCES apps(guid) ON DELETE CASCADE,
  type TEXT NOT NULL, state TEXT NOT NULL, sha256 TEXT, error TEXT,
  created_at TEXT NOT NULL, updated_at TEXT NOT NULL);
CREATE INDEX packages_app ON packages(app_guid);
CREATE TABLE builds (
  guid TEXT PRIMARY KEY,
  app_guid TEXT NOT NULL REFERENCES apps(guid) ON DELETE CASCADE,
  package_guid TEXT NOT NULL REFERENCES packages(guid) ON DELETE CASCADE,
  state TEXT NOT NULL, error TEXT, droplet_guid TEXT,
  staging_memory_in_mb INTEGER NOT NULL, staging_disk_in_mb INTEGER NOT NULL,
  buildpacks TEXT NOT NULL, stack TEXT NOT NULL,
  created_at TEXT NOT NULL, updated_at TEXT NOT NULL);
CREATE INDEX builds_app ON builds(app_guid);
CREATE INDEX builds_state ON builds(state);
CREATE TABLE droplets (
  guid TEXT PRIMARY KEY,
  app_guid TEXT NOT NULL REFERENCES apps(guid) ON DELETE CASCADE,
  package_guid TEXT NOT NULL, build_guid TEXT NOT NULL, state TEXT NOT NULL,
  process_types TEXT NOT NULL, sha256 TEXT NOT NULL, buildpacks TEXT NOT NULL,
  start_command TEXT NOT NULL, stack TEXT NOT NULL,
  created_at TEXT NOT NULL, updated_at TEXT NOT NULL);
CREATE INDEX droplets_app ON droplets(app_guid);
)sql",
    // 3: tenancy — users, roles, quotas (orgs and spaces point at theirs), audit events, and
    // who started each job. Usernames are unique per origin, case-insensitively (as UAA).
    R"sql(
CREATE TABLE organization_quotas (
  guid TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE,
  total_memory_in_mb INTEGER, per_process_memory_in_mb INTEGER, total_instances INTEGER,
  log_rate_limit INTEGER, per_app_tasks INTEGER, total_service_instances INTEGER,
  total_service_keys INTEGER, total_routes INTEGER, total_reserved_ports INTEGER,
  total_domains INTEGER, paid_services_allowed INTEGER NOT NULL,
  created_at TEXT NOT NULL, updated_at TEXT NOT NULL);
CREATE TABLE space_quotas (
  guid TEXT PRIMARY KEY, name TEXT NOT NULL,
  organization_guid TEXT NOT NULL REFERENCES organizations(guid) ON DELETE CASCADE,
  total_memory_in_mb INTEGER, per_process_memory_in_mb INTEGER, total_instances INTEGER,
  log_rate_limit INTEGER, per_app_tasks INTEGER, total_service_instances INTEGER,
  total_service_keys INTEGER, total_routes INTEGER, total_reserved_ports INTEGER,
  paid_services_allowed INTEGER NOT NULL,
  created_at TEXT NOT NULL, updated_at TEXT NOT NULL, UNIQUE (organization_guid, name));
ALTER TABLE organizations ADD COLUMN quota_guid TEXT REFERENCES organization_quotas(guid);
ALTER TABLE spaces ADD COLUMN quota_guid TEXT REFERENCES space_quotas(guid) ON DELETE SET NULL;
ALTER TABLE jobs ADD COLUMN user_guid TEXT NOT NULL DEFAULT '';
CREATE TABLE users (
  guid TEXT PRIMARY KEY, username TEXT NOT NULL COLLATE NOCASE, origin TEXT NOT NULL,
  password_hash TEXT, email TEXT NOT NULL, given_name TEXT NOT NULL, family_name TEXT NOT NULL,
  scopes TEXT NOT NULL, password_changed_at INTEGER NOT NULL,
  created_at TEXT NOT NULL, updated_at TEXT NOT NULL, UNIQUE (username, origin));
CREATE TABLE roles (
  guid TEXT PRIMARY KEY, type TEXT NOT NULL,
  user_guid TEXT NOT NULL REFERENCES users(guid) ON DELETE CASCADE,
  organization_guid TEXT REFERENCES organizations(guid) ON DELETE CASCADE,
  space_guid TEXT REFERENCES spaces(guid) ON DELETE CASCADE,
  created_at TEXT NOT NULL, updated_at TEXT NOT NULL);
CREATE UNIQUE INDEX roles_unique
  ON roles(type, user_guid, IFNULL(organization_guid, ''), IFNULL(space_guid, ''));
CREATE INDEX roles_user ON roles(user_guid);
CREATE TABLE audit_events (
  guid TEXT PRIMARY KEY, type TEXT NOT NULL,
  actor_guid TEXT NOT NULL, actor_type TEXT NOT NULL, actor_name TEXT NOT NULL,
  target_guid TEXT NOT NULL, target_type TEXT NOT NULL, target_name TEXT NOT NULL,
  data TEXT NOT NULL, space_guid TEXT, organization_guid TEXT,
  created_at TEXT NOT NULL, updated_at TEXT NOT NULL);
CREATE INDEX audit_events_target ON audit_events(target_guid);
CREATE INDEX audit_events_org ON audit_events(organization_guid);
CREATE INDEX apps_space ON apps(space_guid);
CREATE INDEX routes_space ON routes(space_guid);
)sql",
    // 4: rolling deployments (POST /v3/deployments). They go with their app.
    R"sql(
CREATE TABLE deployments (
  guid TEXT PRIMARY KEY,
  app_guid TEXT NOT NULL REFERENCES apps(guid) ON DELETE CASCADE,
  state TEXT NOT NULL, status_value TEXT NOT NULL, status_reason TEXT NOT NULL,
  strategy TEXT NOT NULL, droplet_guid TEXT NOT NULL, previous_droplet_guid TEXT,
  previous_versions TEXT NOT NULL,
  created_at TEXT NOT NULL, updated_at TEXT NOT NULL);
CREATE INDEX deployments_app ON deployments(app_guid);
CREATE INDEX deployments_state ON deployments(state);
)sql",
    // 5: the service marketplace. Secret columns (password, credentials, request) hold values
    // sealed with AES-256-GCM (common/crypto/field_cipher.h), never plaintext. Offerings and
    // plans go with their broker; an instance keeps its plan (RESTRICT: the API refuses to
    // delete a plan in use); bindings go with nothing by themselves: the API unbinds at the
    // broker first. service_operations has no foreign keys on purpose: a deprovision owed to
    // a broker must outlive the instance row.
    R"sql(
CREATE TABLE service_brokers (
  guid TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE, url TEXT NOT NULL,
  username TEXT NOT NULL, password TEXT NOT NULL,
  space_guid TEXT REFERENCES spaces(guid) ON DELETE CASCADE, state TEXT NOT NULL,
  created_at TEXT NOT NULL, updated_at TEXT NOT NULL);
CREATE TABLE service_offerings (
  guid TEXT PRIMARY KEY,
  broker_guid TEXT NOT NULL REFERENCES service_brokers(guid) ON DELETE CASCADE,
  broker_catalog_id TEXT NOT NULL, name TEXT NOT NULL, description TEXT NOT NULL,
  available INTEGER NOT NULL, bindable INTEGER NOT NULL, plan_updateable INTEGER NOT NULL,
  instances_retrievable INTEGER NOT NULL, bindings_retrievable INTEGER NOT NULL,
  allow_context_updates INTEGER NOT NULL, shareable INTEGER NOT NULL,
  tags TEXT NOT NULL, requires TEXT NOT NULL, metadata TEXT NOT NULL, documentation_url TEXT,
  created_at TEXT NOT NULL, updated_at TEXT NOT NULL, UNIQUE (broker_guid, broker_catalog_id));
CREATE TABLE service_plans (
  guid TEXT PRIMARY KEY,
  offering_guid TEXT NOT NULL REFERENCES service_offerings(guid) ON DELETE CASCADE,
  broker_catalog_id TEXT NOT NULL, name TEXT NOT NULL, description TEXT NOT NULL,
  available INTEGER NOT NULL, free INTEGER NOT NULL, bindable INTEGER NOT NULL,
  plan_updateable INTEGER NOT NULL, visibility_type TEXT NOT NULL,
  maximum_polling_duration INTEGER, maintenance_info TEXT, metadata TEXT NOT NULL,
  schemas TEXT NOT NULL, costs TEXT NOT NULL,
  created_at TEXT NOT NULL, updated_at TEXT NOT NULL, UNIQUE (offering_guid, broker_catalog_id));
CREATE INDEX service_plans_offering ON service_plans(offering_guid);
CREATE TABLE service_plan_visibilities (
  guid TEXT PRIMARY KEY,
  plan_guid TEXT NOT NULL REFERENCES service_plans(guid) ON DELETE CASCADE,
  organization_guid TEXT NOT NULL REFERENCES organizations(guid) ON DELETE CASCADE,
  created_at TEXT NOT NULL, updated_at TEXT NOT NULL, UNIQUE (plan_guid, organization_guid));
CREATE TABLE service_instances (
  guid TEXT PRIMARY KEY, name TEXT NOT NULL, type TEXT NOT NULL,
  space_guid TEXT NOT NULL REFERENCES spaces(guid),
  plan_guid TEXT REFERENCES service_plans(guid) ON DELETE RESTRICT,
  tags TEXT NOT NULL, credentials TEXT NOT NULL, syslog_drain_url TEXT, route_service_url TEXT,
  dashboard_url TEXT, broker_metadata TEXT NOT NULL, maintenance_info TEXT,
  last_operation_type TEXT NOT NULL, last_operation_state TEXT NOT NULL,
  last_operation_description TEXT NOT NULL, last_operation_created_at TEXT NOT NULL,
  last_operation_updated_at TEXT NOT NULL,
  created_at TEXT NOT NULL, updated_at TEXT NOT NULL, UNIQUE (space_guid, name));
CREATE INDEX service_instances_plan ON service_instances(plan_guid);
CREATE TABLE service_bindings (
  guid TEXT PRIMARY KEY, name TEXT, type TEXT NOT NULL,
  instance_guid TEXT NOT NULL REFERENCES service_instances(guid),
  app_guid TEXT REFERENCES apps(guid),
  credentials TEXT NOT NULL, syslog_drain_url TEXT, volume_mounts TEXT NOT NULL,
  last_operation_type TEXT NOT NULL, last_operation_state TEXT NOT NULL,
  last_operation_description TEXT NOT NULL, last_operation_created_at TEXT NOT NULL,
  last_operation_updated_at TEXT NOT NULL,
  created_at TEXT NOT NULL, updated_at TEXT NOT NULL);
CREATE INDEX service_bindings_instance ON service_bindings(instance_guid);
CREATE INDEX service_bindings_app ON service_bindings(app_guid);
CREATE UNIQUE INDEX service_keys_unique ON service_bindings(instance_guid, name) WHERE type = 'key';
CREATE TABLE service_operations (
  guid TEXT PRIMARY KEY, kind TEXT NOT NULL, mitigation INTEGER NOT NULL,
  target_guid TEXT NOT NULL, job_guid TEXT, phase TEXT NOT NULL, broker_operation TEXT,
  attempts INTEGER NOT NULL, next_attempt_at INTEGER NOT NULL, poll_deadline INTEGER NOT NULL,
  broker_guid TEXT NOT NULL, service_id TEXT NOT NULL, plan_id TEXT NOT NULL,
  instance_id TEXT NOT NULL, binding_id TEXT NOT NULL, request TEXT NOT NULL,
  user_guid TEXT NOT NULL, created_at TEXT NOT NULL, updated_at TEXT NOT NULL);
)sql",
    // 6: routes bound to route services (user-provided instances with a route_service_url).
    // One per route; the binding goes with its route.
    R"sql(
CREATE TABLE service_route_bindings (
  guid TEXT PRIMARY KEY,
  route_guid TEXT NOT NULL UNIQUE REFERENCES routes(guid) ON DELETE CASCADE,
  instance_guid TEXT NOT NULL REFERENCES service_instances(guid),
  route_service_url TEXT NOT NULL,
  last_operation_type TEXT NOT NULL, last_operation_state TEXT NOT NULL,
  last_operation_description TEXT NOT NULL, last_operation_created_at TEXT NOT NULL,
  last_operation_updated_at TEXT NOT NULL,
  created_at TEXT NOT NULL, updated_at TEXT NOT NULL);
CREATE INDEX service_route_bindings_instance ON service_route_bindings(instance_guid);
)sql",
    // 7: weighted destinations and route options (loadbalancing, path_regex, health_check),
    // the options kept as a JSON object in text like the other JSON columns.
    R"sql(
ALTER TABLE route_destinations ADD COLUMN weight INTEGER;
ALTER TABLE routes ADD COLUMN options TEXT NOT NULL DEFAULT '{}';
)sql",
    // 8: Docker images. A docker package names its image and registry credentials (the
    // password sealed, "" when none); a docker droplet pins the image to the digest staging
    // resolved and keeps what staging read from its config (execution_metadata).
    R"sql(
ALTER TABLE packages ADD COLUMN docker_image TEXT NOT NULL DEFAULT '';
ALTER TABLE packages ADD COLUMN docker_username TEXT NOT NULL DEFAULT '';
ALTER TABLE packages ADD COLUMN docker_password TEXT NOT NULL DEFAULT '';
ALTER TABLE builds ADD COLUMN lifecycle_type TEXT NOT NULL DEFAULT 'buildpack';
ALTER TABLE droplets ADD COLUMN docker_image TEXT NOT NULL DEFAULT '';
ALTER TABLE droplets ADD COLUMN docker_username TEXT NOT NULL DEFAULT '';
ALTER TABLE droplets ADD COLUMN docker_password TEXT NOT NULL DEFAULT '';
ALTER TABLE droplets ADD COLUMN execution_metadata TEXT NOT NULL DEFAULT '';
)sql",
    // 9: one-off tasks (cf run-task). They go with their app; sequence_id counts per app.
    R"sql(
CREATE TABLE tasks (
  guid TEXT PRIMARY KEY,
  app_guid TEXT NOT NULL REFERENCES apps(guid) ON DELETE CASCADE,
  sequence_id INTEGER NOT NULL, name TEXT NOT NULL, command TEXT NOT NULL, state TEXT NOT NULL,
  memory_in_mb INTEGER NOT NULL, disk_in_mb INTEGER NOT NULL, droplet_guid TEXT NOT NULL,
  failure_reason TEXT, result TEXT NOT NULL,
  created_at TEXT NOT NULL, updated_at TEXT NOT NULL, UNIQUE (app_guid, sequence_id));
CREATE INDEX tasks_state ON tasks(state);
)sql",
};

const char* const kAppColumns =
    "guid, name, space_guid, state, lifecycle_type, buildpacks, stack, droplet_guid, "
    "environment_variables, created_at, updated_at";
App readApp(const Stmt& s) {
  App a;
  a.guid = s.text(0);
  a.name = s.text(1);
  a.space_guid = s.text(2);
  a.state = s.text(3);
  a.lifecycle_type = s.text(4);
  a.buildpacks = nlohmann::json::parse(s.text(5), nullptr, false).get<std::vector<std::string>>();
  a.stack = s.text(6);
  a.droplet_guid = s.optText(7);
  a.environment_variables = s.text(8);
  a.created_at = s.text(9);
  a.updated_at = s.text(10);
  return a;
}
const char* const kProcessColumns =
    "guid, app_guid, type, command, instances, memory_in_mb, disk_in_mb, log_rate_limit, "
    "health_check_type, health_check_endpoint, health_check_timeout, "
    "health_check_invocation_timeout, health_check_interval, version, created_at, updated_at";
Process readProcess(const Stmt& s) {
  Process p;
  p.guid = s.text(0);
  p.app_guid = s.text(1);
  p.type = s.text(2);
  p.command = s.optText(3);
  p.instances = s.integer(4);
  p.memory_in_mb = s.integer(5);
  p.disk_in_mb = s.integer(6);
  p.log_rate_limit_in_bytes_per_second = s.integer(7);
  p.health_check_type = s.text(8);
  p.health_check_endpoint = s.optText(9);
  p.health_check_timeout = s.optInteger(10);
  p.health_check_invocation_timeout = s.optInteger(11);
  p.health_check_interval = s.optInteger(12);
  p.version = s.text(13);
  p.created_at = s.text(14);
  p.updated_at = s.text(15);
  return p;
}
const char* const kJobColumns =
    "guid, operation, state, resource_type, resource_guid, errors, warnings, created_at, "
    "updated_at, user_guid";
Job readJob(const Stmt& s) {
  return {s.text(0), s.text(1), s.text(2), s.text(3), s.text(4),
          s.text(5), s.text(6), s.text(7), s.text(8), s.text(9)};
}

std::vector<std::string> stringList(const std::string& json_text) {
  auto j = nlohmann::json::parse(json_text, nullptr, false);
  std::vector<std::string> out;
  if (j.is_array()) {
    for (const auto& v : j) {
      if (v.is_string()) out.push_back(v.get<std::string>());
    }
  }
  return out;
}
const char* const kBuildColumns =
    "guid, app_guid, package_guid, state, error, droplet_guid, staging_memory_in_mb, "
    "staging_disk_in_mb, buildpacks, stack, created_at, updated_at, lifecycle_type";
Build readBuild(const Stmt& s) {
  Build b;
  b.guid = s.text(0);
  b.app_guid = s.text(1);
  b.package_guid = s.text(2);
  b.state = s.text(3);
  b.error = s.optText(4);
  b.droplet_guid = s.optText(5);
  b.staging_memory_in_mb = s.integer(6);
  b.staging_disk_in_mb = s.integer(7);
  b.buildpacks = stringList(s.text(8));
  b.stack = s.text(9);
  b.created_at = s.text(10);
  b.updated_at = s.text(11);
  b.lifecycle_type = s.text(12);
  return b;
}
template <typename T, typename Reader>
std::optional<T> getOne(sqlite3* db, const char* columns, const char* table,
                        const std::string& guid, Reader read) {
  Stmt s(db, std::string("SELECT ") + columns + " FROM " + table + " WHERE guid = ?");
  s.bind(guid);
  if (!s.step()) {
    return std::nullopt;
  }
  return read(s);
}

template <typename T, typename Reader>
std::vector<T> getMany(sqlite3* db, const char* columns, const char* table, const Where& where,
                       Reader read) {
  Stmt s(db, std::string("SELECT ") + columns + " FROM " + table + where.sql() +
                 " ORDER BY created_at, rowid");
  s.bindAll(where.args());
  std::vector<T> out;
  while (s.step()) {
    out.push_back(read(s));
  }
  return out;
}

WriteResult insertProcess(sqlite3* db, const Process& p) {
  Stmt s(db, std::string("INSERT INTO processes (") + kProcessColumns +
                 ") VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)");
  s.bind(p.guid).bind(p.app_guid).bind(p.type).bind(p.command).bind(p.instances);
  s.bind(p.memory_in_mb).bind(p.disk_in_mb).bind(p.log_rate_limit_in_bytes_per_second);
  s.bind(p.health_check_type).bind(p.health_check_endpoint).bind(p.health_check_timeout);
  s.bind(p.health_check_invocation_timeout).bind(p.health_check_interval).bind(p.version);
  s.bind(p.created_at).bind(p.updated_at);
  return s.exec();
}

}  // namespace

namespace {
std::shared_ptr<const crypto::FieldCipher> ephemeralCipher() {
  unsigned char key[32];
  if (RAND_bytes(key, sizeof key) != 1) throw StoreError("no randomness for the store key");
  std::map<std::string, auth::Secret> keys;
  keys.emplace("ephemeral", auth::Secret(std::string(reinterpret_cast<char*>(key), sizeof key)));
  return std::make_shared<const crypto::FieldCipher>(std::move(keys), "ephemeral");
}
}  // namespace

SqliteStore::SqliteStore(const std::string& path,
                         std::shared_ptr<const crypto::FieldCipher> cipher)
    : cipher_(cipher ? std::move(cipher) : ephemeralCipher()),
      services_(makeServiceTablesOwned(cipher_.get())),
      staging_(makeStagingTablesOwned(cipher_.get())) {
  if (sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE,
                      nullptr) != SQLITE_OK) {
    std::string message = db_ ? sqlite3_errmsg(db_) : "out of memory";
    sqlite3_close(db_);
    db_ = nullptr;
    throw StoreError("open " + path + ": " + message);
  }
  sqlite3_extended_result_codes(db_, 1);
  sqlite3_busy_timeout(db_, 5000);
  try {
    execSql(db_, "PRAGMA journal_mode=WAL");
    execSql(db_, "PRAGMA synchronous=NORMAL");
    execSql(db_, "PRAGMA foreign_keys=ON");
    migrate();
  } catch (...) {
    sqlite3_close(db_);
    db_ = nullptr;
    throw;
  }
}

SqliteStore::~SqliteStore() { sqlite3_close(db_); }

int SqliteStore::schemaVersion() {
  Stmt s(db_, "SELECT COALESCE(MAX(version), 0) FROM schema_migrations");
  s.step();
  return static_cast<int>(s.integer(0));
}

void SqliteStore::migrate() {
  execSql(db_, "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY)");
  const int have = schemaVersion();
  const int want = static_cast<int>(std::size(kMigrations));
  if (have > want) {
    throw StoreError("database schema version " + std::to_string(have) +
                     " is newer than this controller's " + std::to_string(want));
  }
  for (int v = have; v < want; ++v) {
    Transaction tx(db_);
    execSql(db_, kMigrations[v]);
    Stmt s(db_, "INSERT INTO schema_migrations (version) VALUES (?)");
    s.bind(static_cast<int64_t>(v + 1));
    tx.finish(s.exec());
  }
}

WriteResult SqliteStore::createApp(const App& a, const std::vector<Process>& processes) {
  Transaction tx(db_);
  Stmt s(db_, std::string("INSERT INTO apps (") + kAppColumns + ") VALUES (?,?,?,?,?,?,?,?,?,?,?)");
  s.bind(a.guid).bind(a.name).bind(a.space_guid).bind(a.state).bind(a.lifecycle_type);
  s.bind(nlohmann::json(a.buildpacks).dump()).bind(a.stack).bind(a.droplet_guid);
  s.bind(a.environment_variables).bind(a.created_at).bind(a.updated_at);
  WriteResult r = s.exec();
  for (const auto& p : processes) {
    if (r != WriteResult::Ok) {
      break;
    }
    r = insertProcess(db_, p);
  }
  return tx.finish(r);
}
std::optional<App> SqliteStore::getApp(const std::string& guid) {
  return getOne<App>(db_, kAppColumns, "apps", guid, readApp);
}
std::vector<App> SqliteStore::listApps(const AppFilter& f) {
  Where w;
  w.in("guid", f.guids).in("name", f.names).in("space_guid", f.space_guids);
  return getMany<App>(db_, kAppColumns, "apps", w, readApp);
}
WriteResult SqliteStore::updateApp(const App& a) {
  Stmt s(db_,
         "UPDATE apps SET name=?, state=?, lifecycle_type=?, buildpacks=?, stack=?, "
         "droplet_guid=?, environment_variables=?, updated_at=? WHERE guid=?");
  s.bind(a.name).bind(a.state).bind(a.lifecycle_type).bind(nlohmann::json(a.buildpacks).dump());
  s.bind(a.stack).bind(a.droplet_guid).bind(a.environment_variables).bind(a.updated_at);
  s.bind(a.guid);
  return s.exec();
}
WriteResult SqliteStore::deleteApp(const std::string& guid) {
  // processes and route_destinations go with it (ON DELETE CASCADE), in this transaction.
  Transaction tx(db_);
  Stmt s(db_, "DELETE FROM apps WHERE guid=?");
  s.bind(guid);
  return tx.finish(s.exec());
}

std::optional<Process> SqliteStore::getProcess(const std::string& guid) {
  return getOne<Process>(db_, kProcessColumns, "processes", guid, readProcess);
}
std::vector<Process> SqliteStore::listProcesses(const std::string& app_guid) {
  Where w;
  w.in("app_guid", {app_guid});
  return getMany<Process>(db_, kProcessColumns, "processes", w, readProcess);
}
WriteResult SqliteStore::updateProcess(const Process& p) {
  Stmt s(db_,
         "UPDATE processes SET command=?, instances=?, memory_in_mb=?, disk_in_mb=?, "
         "log_rate_limit=?, health_check_type=?, health_check_endpoint=?, "
         "health_check_timeout=?, health_check_invocation_timeout=?, health_check_interval=?, "
         "version=?, updated_at=? WHERE guid=?");
  s.bind(p.command).bind(p.instances).bind(p.memory_in_mb).bind(p.disk_in_mb);
  s.bind(p.log_rate_limit_in_bytes_per_second).bind(p.health_check_type);
  s.bind(p.health_check_endpoint).bind(p.health_check_timeout);
  s.bind(p.health_check_invocation_timeout).bind(p.health_check_interval).bind(p.version);
  s.bind(p.updated_at).bind(p.guid);
  return s.exec();
}

WriteResult SqliteStore::createJob(const Job& j) {
  Stmt s(db_, std::string("INSERT INTO jobs (") + kJobColumns + ") VALUES (?,?,?,?,?,?,?,?,?,?)");
  s.bind(j.guid).bind(j.operation).bind(j.state).bind(j.resource_type).bind(j.resource_guid);
  s.bind(j.errors).bind(j.warnings).bind(j.created_at).bind(j.updated_at).bind(j.user_guid);
  return s.exec();
}
std::optional<Job> SqliteStore::getJob(const std::string& guid) {
  return getOne<Job>(db_, kJobColumns, "jobs", guid, readJob);
}
std::vector<Job> SqliteStore::listJobsInState(const std::string& state) {
  Where w;
  w.in("state", {state});
  return getMany<Job>(db_, kJobColumns, "jobs", w, readJob);
}
WriteResult SqliteStore::updateJob(const Job& j) {
  Stmt s(db_, "UPDATE jobs SET state=?, errors=?, warnings=?, updated_at=? WHERE guid=?");
  s.bind(j.state).bind(j.errors).bind(j.warnings).bind(j.updated_at).bind(j.guid);
  return s.exec();
}

WriteResult SqliteStore::createBuild(const Build& b) {
  Stmt s(db_, std::string("INSERT INTO builds (") + kBuildColumns +
                  ") VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)");
  s.bind(b.guid).bind(b.app_guid).bind(b.package_guid).bind(b.state).bind(b.error);
  s.bind(b.droplet_guid).bind(b.staging_memory_in_mb).bind(b.staging_disk_in_mb);
  s.bind(nlohmann::json(b.buildpacks).dump()).bind(b.stack).bind(b.created_at);
  s.bind(b.updated_at).bind(b.lifecycle_type);
  return s.exec();
}
std::optional<Build> SqliteStore::getBuild(const std::string& guid) {
  return getOne<Build>(db_, kBuildColumns, "builds", guid, readBuild);
}
std::vector<Build> SqliteStore::listBuilds(const BuildFilter& f) {
  Where w;
  w.in("guid", f.guids).in("app_guid", f.app_guids).in("package_guid", f.package_guids);
  w.in("state", f.states).inParent("app_guid", "apps", "space_guid", f.space_guids);
  return getMany<Build>(db_, kBuildColumns, "builds", w, readBuild);
}
WriteResult SqliteStore::updateBuild(const Build& b) {
  Stmt s(db_, "UPDATE builds SET state=?, error=?, droplet_guid=?, updated_at=? WHERE guid=?");
  s.bind(b.state).bind(b.error).bind(b.droplet_guid).bind(b.updated_at).bind(b.guid);
  return s.exec();
}
int SqliteStore::failStagingBuilds(const std::string& error, const std::string& now) {
  Stmt s(db_, "UPDATE builds SET state='FAILED', error=?, updated_at=? WHERE state='STAGING'");
  s.bind(error).bind(now);
  s.exec();
  return sqlite3_changes(db_);
}

WriteResult SqliteStore::setCurrentDroplet(const std::string& app_guid,
                                           const std::optional<std::string>& droplet_guid,
                                           const std::string& now) {
  Transaction tx(db_);
  if (!getApp(app_guid)) {
    return tx.finish(WriteResult::NotFound);
  }
  if (droplet_guid) {
    auto d = getDroplet(*droplet_guid);
    if (!d || d->app_guid != app_guid) {
      return tx.finish(WriteResult::MissingParent);
    }
  }
  Stmt s(db_, "UPDATE apps SET droplet_guid=?, updated_at=? WHERE guid=?");
  s.bind(droplet_guid).bind(now).bind(app_guid);
  return tx.finish(s.exec());
}

}  // namespace foundry::control
