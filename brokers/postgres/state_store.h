#pragma once
// The broker's own state, kept in the `foundry_broker` database of the server it provisions on,
// so that it survives a broker restart: instances, bindings and the broker secret. Every call
// opens its own connection (callers are request and job threads).

#include <optional>
#include <string>
#include <vector>

#include "brokers/postgres/pg.h"
#include "common/auth/secret.h"

namespace foundry::pgbroker {

// Instance lifecycle. Creating/Updating/Deleting mean an operation is in flight.
namespace state {
inline constexpr const char* kCreating = "creating";
inline constexpr const char* kReady = "ready";
inline constexpr const char* kUpdating = "updating";
inline constexpr const char* kDeleting = "deleting";
inline constexpr const char* kDeleted = "deleted";  // kept so last_operation can answer 410
inline constexpr const char* kFailed = "failed";    // an async create that failed
}  // namespace state

struct InstanceRow {
  std::string id, service_id, plan_id, organization_guid, space_guid;
  std::string parameters = "{}";  // JSON text as the platform sent it
  std::string params_hash;        // jsonHash(parameters)
  std::string db_name;
  std::string state;
  std::string operation;       // id of the last async operation, "" when none
  std::string op_state;        // "in progress" | "succeeded" | "failed"
  std::string op_description;
  std::string target_plan_id;  // the plan an in-flight update moves to
};

struct BindingRow {
  std::string id, instance_id, role, app_guid;
  std::string parameters = "{}";
  std::string attrs_hash;  // of service_id, plan_id, app_guid, parameters
};

class StateStore {
 public:
  static constexpr const char* kDatabase = "foundry_broker";

  explicit StateStore(PgTarget target) : target_(std::move(target)) {}

  // Creates the database and tables when missing; throws PgError.
  void init();
  // The HMAC key of binding passwords, made at the first start.
  auth::Secret loadOrCreateSecret();

  std::optional<InstanceRow> instance(const std::string& id);
  void putInstance(const InstanceRow& row);  // insert or replace
  // Instances with an operation in flight (resumed after a restart).
  std::vector<InstanceRow> instancesInFlight();

  std::optional<BindingRow> binding(const std::string& id);
  std::vector<BindingRow> bindingsOf(const std::string& instance_id);
  void putBinding(const BindingRow& row);
  void deleteBinding(const std::string& id);

 private:
  PgTarget target_;
};

}  // namespace foundry::pgbroker
