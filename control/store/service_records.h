#pragma once
// The service marketplace's records (migration 5): brokers and their catalogs (offerings,
// plans, plan visibility), service instances, credential bindings, and the broker calls still
// owed (ServiceOperation). Secrets (broker passwords, credentials, the parameters of a pending
// call) are auth::Secret here and sealed with AES-256-GCM in the store
// (common/crypto/field_cipher.h): the database file alone reveals none of them.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/auth/secret.h"

namespace foundry::control {

struct ServiceBroker {
  std::string guid;
  std::string name;
  std::string url;  // "http://127.0.0.1:9050" (no trailing slash)
  std::string username;
  auth::Secret password;
  std::optional<std::string> space_guid;  // set: a space-scoped broker
  // SYNCHRONIZING | AVAILABLE | SYNCHRONIZATION_FAILED | DELETE_IN_PROGRESS
  std::string state = "SYNCHRONIZING";
  std::string created_at, updated_at;
};

// A service in a broker's catalog. `broker_catalog_id` is the only identity across catalog
// fetches (OSB A.6): a changed id is a new offering.
struct ServiceOffering {
  std::string guid;
  std::string broker_guid;
  std::string broker_catalog_id;
  std::string name;  // the CF "label" in VCAP_SERVICES
  std::string description;
  bool available = true;  // false: gone from the catalog but still has instances
  bool bindable = true;
  bool plan_updateable = false;
  bool instances_retrievable = false;
  bool bindings_retrievable = false;
  bool allow_context_updates = false;
  bool shareable = false;
  std::vector<std::string> tags;
  std::vector<std::string> requires_features;  // syslog_drain | route_forwarding | volume_mount
  std::string metadata = "{}";        // the catalog's opaque object, as JSON text
  std::optional<std::string> documentation_url;
  std::string created_at, updated_at;
};

struct ServicePlan {
  std::string guid;
  std::string offering_guid;
  std::string broker_catalog_id;
  std::string name;
  std::string description;
  bool available = true;  // false: gone from the catalog but still has instances
  bool free = true;
  bool bindable = true;         // the plan's own value, else the offering's
  bool plan_updateable = false;  // the plan's own value, else the offering's
  // public | admin | organization | space (a space-scoped broker's plans)
  std::string visibility_type = "admin";
  std::optional<int64_t> maximum_polling_duration;  // seconds
  std::optional<std::string> maintenance_info;      // JSON object text {version, description}
  std::string metadata = "{}";                      // JSON text
  std::string schemas = "{}";                       // JSON text
  std::string costs = "[]";                         // JSON text
  std::string created_at, updated_at;
};

// An organization that may use a plan whose visibility_type is `organization`.
struct ServicePlanVisibility {
  std::string guid;
  std::string plan_guid;
  std::string organization_guid;
  std::string created_at, updated_at;
};

// What the API shows as `last_operation` of an instance or a binding.
struct LastOperation {
  std::string type = "create";     // create | update | delete
  std::string state = "initial";   // initial | in progress | succeeded | failed
  std::string description;
  std::string created_at, updated_at;
};

struct ServiceInstance {
  std::string guid;
  std::string name;
  std::string type = "managed";  // managed | user-provided
  std::string space_guid;
  std::optional<std::string> plan_guid;  // managed only
  std::vector<std::string> tags;
  auth::Secret credentials;  // user-provided: a JSON object ("{}" when none)
  std::optional<std::string> syslog_drain_url;
  std::optional<std::string> route_service_url;  // user-provided, https only
  std::optional<std::string> dashboard_url;
  std::string broker_metadata = "{}";  // the broker's {labels, attributes}
  std::optional<std::string> maintenance_info;  // JSON text
  LastOperation last_operation;
  std::string created_at, updated_at;
};

// An app binding (type "app") or a service key (type "key").
struct ServiceBinding {
  std::string guid;
  std::optional<std::string> name;  // optional for app bindings, required for keys
  std::string type = "app";
  std::string instance_guid;
  std::optional<std::string> app_guid;  // app bindings
  auth::Secret credentials;             // a JSON object ("{}" until the broker gave some)
  std::optional<std::string> syslog_drain_url;
  std::string volume_mounts = "[]";  // JSON array text
  LastOperation last_operation;
  std::string created_at, updated_at;
};

// A broker call the controller still owes: a user's create/update/delete (with the job that
// reports it) or an orphan mitigation (no job). It carries the broker-side identities, so it
// outlives the rows it is about (a deprovision whose instance row is gone). Stored, so a
// restart resumes it: polling goes on, and a mitigation is retried until it succeeds.
struct ServiceOperation {
  std::string guid;
  // provision | update | deprovision | bind | unbind
  std::string kind;
  bool mitigation = false;  // an orphan mitigation (OSB A.7): retried with back-off, no job
  std::string target_guid;  // the instance (provision, update, deprovision) or the binding
  std::optional<std::string> job_guid;
  std::string phase = "request";  // request | poll
  std::optional<std::string> broker_operation;  // the broker's `operation` for last_operation
  int64_t attempts = 0;
  int64_t next_attempt_at = 0;  // epoch seconds
  int64_t poll_deadline = 0;    // epoch seconds; 0 until polling starts
  std::string broker_guid;
  std::string service_id, plan_id;  // broker catalog ids
  std::string instance_id;          // = the instance guid
  std::string binding_id;           // = the binding guid ("" for instance calls)
  auth::Secret request;             // JSON object: what the call sends (may hold secrets)
  std::string user_guid;            // who caused it ("" for mitigations)
  std::string created_at, updated_at;
};

struct ServiceBrokerFilter {
  std::vector<std::string> guids, names;
  // Set: only brokers scoped to these spaces (global brokers left out). Unset: every broker.
  std::optional<std::vector<std::string>> in_spaces;
};
struct ServiceOfferingFilter {
  std::vector<std::string> guids, names, broker_guids;
};
// Which plans a caller may see: public ones, `organization` ones shared with these orgs, and
// the plans of brokers scoped to these spaces. Unset: every plan (admins).
struct PlanVisibilityScope {
  std::vector<std::string> organization_guids, space_guids;
};
struct ServicePlanFilter {
  std::vector<std::string> guids, names, offering_guids, broker_guids;
  std::optional<PlanVisibilityScope> visible_to;
};
// A route bound to a route service (a user-provided instance with a route_service_url): the
// route emitter sends route_service_url in the route's registrations, so the router passes the
// route's traffic through it (ROUTER-PROTOCOL.md 7). One per route.
struct ServiceRouteBinding {
  std::string guid;
  std::string route_guid;
  std::string instance_guid;
  std::string route_service_url;  // the instance's, copied at bind time and on its updates
  LastOperation last_operation;
  std::string created_at, updated_at;
};

struct ServiceRouteBindingFilter {
  std::vector<std::string> guids, route_guids, instance_guids;
  std::vector<std::string> space_guids;  // the routes' spaces
};

struct ServiceInstanceFilter {
  std::vector<std::string> guids, names, space_guids, plan_guids, types;
};
struct ServiceBindingFilter {
  std::vector<std::string> guids, names, types, instance_guids, app_guids, space_guids;
};

}  // namespace foundry::control
