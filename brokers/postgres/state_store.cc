#include "brokers/postgres/state_store.h"

#include "brokers/postgres/names.h"

namespace foundry::pgbroker {
namespace {

constexpr const char* kInstanceColumns =
    "id, service_id, plan_id, organization_guid, space_guid, parameters, params_hash, db_name, "
    "state, operation, op_state, op_description, target_plan_id";
constexpr const char* kBindingColumns = "id, instance_id, role, app_guid, parameters, attrs_hash";

InstanceRow readInstance(const PgResult& r, int row) {
  InstanceRow i;
  std::string* fields[] = {&i.id,          &i.service_id, &i.plan_id,   &i.organization_guid,
                           &i.space_guid,  &i.parameters, &i.params_hash, &i.db_name,
                           &i.state,       &i.operation,  &i.op_state,  &i.op_description,
                           &i.target_plan_id};
  for (int c = 0; c < 13; ++c) *fields[c] = r.get(row, c);
  return i;
}

BindingRow readBinding(const PgResult& r, int row) {
  BindingRow b;
  std::string* fields[] = {&b.id, &b.instance_id, &b.role, &b.app_guid, &b.parameters,
                           &b.attrs_hash};
  for (int c = 0; c < 6; ++c) *fields[c] = r.get(row, c);
  return b;
}

}  // namespace

void StateStore::init() {
  {
    PgConn admin(target_, "postgres");
    PgResult exists =
        admin.exec("SELECT 1 FROM pg_database WHERE datname = $1", {std::string(kDatabase)});
    if (exists.rows() == 0) {
      try {
        admin.exec("CREATE DATABASE " + admin.ident(kDatabase));
      } catch (const PgError& e) {
        // 42P04 duplicate_database: another broker started at the same moment.
        if (e.sqlstate() != "42P04") throw;
      }
      admin.exec("REVOKE ALL ON DATABASE " + admin.ident(kDatabase) + " FROM PUBLIC");
    }
  }
  PgConn db(target_, kDatabase);
  db.exec(
      "CREATE TABLE IF NOT EXISTS broker_secret (id int PRIMARY KEY CHECK (id = 1), "
      "secret text NOT NULL)");
  db.exec(
      "CREATE TABLE IF NOT EXISTS instances (id text PRIMARY KEY, service_id text NOT NULL, "
      "plan_id text NOT NULL, organization_guid text NOT NULL, space_guid text NOT NULL, "
      "parameters text NOT NULL, params_hash text NOT NULL, db_name text NOT NULL, "
      "state text NOT NULL, operation text NOT NULL, op_state text NOT NULL, "
      "op_description text NOT NULL, target_plan_id text NOT NULL, "
      "updated_at timestamptz NOT NULL DEFAULT now())");
  db.exec(
      "CREATE TABLE IF NOT EXISTS bindings (id text PRIMARY KEY, instance_id text NOT NULL, "
      "role text NOT NULL, app_guid text NOT NULL, parameters text NOT NULL, "
      "attrs_hash text NOT NULL, created_at timestamptz NOT NULL DEFAULT now())");
}

auth::Secret StateStore::loadOrCreateSecret() {
  PgConn db(target_, kDatabase);
  db.exec("INSERT INTO broker_secret (id, secret) VALUES (1, $1) ON CONFLICT (id) DO NOTHING",
          {randomHex(32)});
  PgResult r = db.exec("SELECT secret FROM broker_secret WHERE id = 1");
  return auth::Secret(r.get(0, 0));
}

std::optional<InstanceRow> StateStore::instance(const std::string& id) {
  PgConn db(target_, kDatabase);
  PgResult r = db.exec(std::string("SELECT ") + kInstanceColumns + " FROM instances WHERE id = $1",
                       {id});
  if (r.rows() == 0) return std::nullopt;
  return readInstance(r, 0);
}

void StateStore::putInstance(const InstanceRow& i) {
  PgConn db(target_, kDatabase);
  db.exec(std::string("INSERT INTO instances (") + kInstanceColumns +
              ") VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13) ON CONFLICT (id) DO UPDATE "
              "SET service_id = $2, plan_id = $3, organization_guid = $4, space_guid = $5, "
              "parameters = $6, params_hash = $7, db_name = $8, state = $9, operation = $10, "
              "op_state = $11, op_description = $12, target_plan_id = $13, updated_at = now()",
          {i.id, i.service_id, i.plan_id, i.organization_guid, i.space_guid, i.parameters,
           i.params_hash, i.db_name, i.state, i.operation, i.op_state, i.op_description,
           i.target_plan_id});
}

std::vector<InstanceRow> StateStore::instancesInFlight() {
  PgConn db(target_, kDatabase);
  PgResult r = db.exec(std::string("SELECT ") + kInstanceColumns +
                           " FROM instances WHERE state IN ($1, $2, $3) ORDER BY updated_at",
                       {std::string(state::kCreating), std::string(state::kUpdating),
                        std::string(state::kDeleting)});
  std::vector<InstanceRow> out;
  for (int i = 0; i < r.rows(); ++i) out.push_back(readInstance(r, i));
  return out;
}

std::optional<BindingRow> StateStore::binding(const std::string& id) {
  PgConn db(target_, kDatabase);
  PgResult r =
      db.exec(std::string("SELECT ") + kBindingColumns + " FROM bindings WHERE id = $1", {id});
  if (r.rows() == 0) return std::nullopt;
  return readBinding(r, 0);
}

std::vector<BindingRow> StateStore::bindingsOf(const std::string& instance_id) {
  PgConn db(target_, kDatabase);
  PgResult r = db.exec(std::string("SELECT ") + kBindingColumns +
                           " FROM bindings WHERE instance_id = $1 ORDER BY created_at",
                       {instance_id});
  std::vector<BindingRow> out;
  for (int i = 0; i < r.rows(); ++i) out.push_back(readBinding(r, i));
  return out;
}

void StateStore::putBinding(const BindingRow& b) {
  PgConn db(target_, kDatabase);
  db.exec(std::string("INSERT INTO bindings (") + kBindingColumns +
              ") VALUES ($1,$2,$3,$4,$5,$6) ON CONFLICT (id) DO UPDATE SET instance_id = $2, "
              "role = $3, app_guid = $4, parameters = $5, attrs_hash = $6",
          {b.id, b.instance_id, b.role, b.app_guid, b.parameters, b.attrs_hash});
}

void StateStore::deleteBinding(const std::string& id) {
  PgConn db(target_, kDatabase);
  db.exec("DELETE FROM bindings WHERE id = $1", {id});
}

}  // namespace foundry::pgbroker
