#include "brokers/postgres/broker.h"

#include "brokers/osb/errors.h"
#include "brokers/postgres/catalog.h"
#include "brokers/postgres/names.h"
#include "common/log/log.h"

namespace foundry::pgbroker {
namespace {

using osb::errorResponse;
using osb::OsbRequest;
using osb::OsbResponse;

constexpr const char* kLog = "postgres-broker";
constexpr const char* kInProgress = "in progress";
constexpr const char* kSucceeded = "succeeded";
constexpr const char* kFailed = "failed";

OsbResponse ok(int status, nlohmann::json body = nlohmann::json::object()) {
  OsbResponse r;
  r.status = status;
  r.body = std::move(body);
  return r;
}

OsbResponse internalError(const std::string& what, const std::exception& e,
                          const std::string& id) {
  // PgError texts carry statement names and server messages, never passwords (pg.h).
  log::error(kLog, "operation-failed", {{"operation", what}, {"id", id}, {"error", e.what()}});
  return errorResponse(500, "InternalError", "could not " + what + ": see the broker's log");
}

bool inFlight(const InstanceRow& row) {
  return row.state == state::kCreating || row.state == state::kUpdating ||
         row.state == state::kDeleting;
}

// An instance that exists for the platform: not deleted, not a failed create.
bool live(const std::optional<InstanceRow>& row) {
  return row && row->state != state::kDeleted && row->state != state::kFailed;
}

nlohmann::json objectOrEmpty(const nlohmann::json& body, const char* field) {
  auto it = body.find(field);
  return it != body.end() && it->is_object() ? *it : nlohmann::json::object();
}

std::string appGuid(const nlohmann::json& body) {
  if (auto it = body.find("app_guid"); it != body.end() && it->is_string()) return *it;
  nlohmann::json resource = objectOrEmpty(body, "bind_resource");
  if (auto it = resource.find("app_guid"); it != resource.end() && it->is_string()) return *it;
  return "";
}

// A string field the validator guaranteed (validate.h); "" otherwise.
std::string text(const nlohmann::json& body, const char* field) {
  auto it = body.find(field);
  return it != body.end() && it->is_string() ? it->get<std::string>() : std::string();
}

std::string newOperation(const char* kind) { return std::string(kind) + "-" + randomHex(8); }

}  // namespace

Broker::Broker(BrokerConfig config)
    : config_(std::move(config)), store_(config_.admin), provisioner_(config_.admin) {}

Broker::~Broker() {
  {
    std::lock_guard lock(jobs_mu_);
    stop_ = true;
  }
  jobs_cv_.notify_all();
  if (job_thread_.joinable()) job_thread_.join();
}

void Broker::start() {
  store_.init();
  secret_ = store_.loadOrCreateSecret();
  for (const InstanceRow& row : store_.instancesInFlight()) {
    log::info(kLog, "operation-resumed", {{"instance_id", row.id}, {"state", row.state}});
    enqueue(row.id);
  }
  job_thread_ = std::thread([this] { jobLoop(); });
}

// ---- jobs

void Broker::enqueue(const std::string& instance_id) {
  {
    std::lock_guard lock(jobs_mu_);
    jobs_.push_back(instance_id);
  }
  jobs_cv_.notify_all();
}

void Broker::jobLoop() {
  std::unique_lock lock(jobs_mu_);
  while (!stop_) {
    if (jobs_.empty()) {
      jobs_cv_.wait(lock);
      continue;
    }
    std::string id = jobs_.front();
    // Stand-in for a slow backend; a stop during it leaves the operation in flight in the
    // store, and the next start resumes it.
    if (jobs_cv_.wait_for(lock, config_.async_delay, [this] { return stop_; })) break;
    jobs_.pop_front();
    lock.unlock();
    try {
      runJob(id);
    } catch (const std::exception& e) {
      // The state store is unreachable: the row still says in flight, so a restart retries.
      log::error(kLog, "job-failed", {{"instance_id", id}, {"error", e.what()}});
    }
    lock.lock();
  }
}

void Broker::runJob(const std::string& instance_id) {
  std::lock_guard mutate(mutate_);
  std::optional<InstanceRow> row = store_.instance(instance_id);
  if (!row || !inFlight(*row)) return;
  std::string was = row->state;
  try {
    if (was == state::kCreating) {
      provisioner_.createDatabase(row->db_name, findPlan(row->plan_id)->connection_limit);
      row->state = state::kReady;
      row->op_description = "database created";
    } else if (was == state::kUpdating) {
      const Plan* target = findPlan(row->target_plan_id);
      provisioner_.setConnectionLimit(row->db_name, target->connection_limit);
      row->plan_id = row->target_plan_id;
      row->target_plan_id.clear();
      row->state = state::kReady;
      row->op_description = "plan changed";
    } else {
      dropEverything(*row);
      row->state = state::kDeleted;
      row->op_description = "database dropped";
    }
    row->op_state = kSucceeded;
  } catch (const PgError& e) {
    log::error(kLog, "operation-failed",
               {{"instance_id", instance_id}, {"state", was}, {"error", e.what()}});
    row->op_state = kFailed;
    if (was == state::kCreating) {
      row->state = state::kFailed;
      row->op_description = "could not create the database";
    } else {
      // The database is still there and usable with its previous plan.
      row->state = state::kReady;
      row->target_plan_id.clear();
      row->op_description = was == state::kUpdating ? "could not change the plan"
                                                    : "could not drop the database";
    }
  }
  store_.putInstance(*row);
  log::info(kLog, "operation-finished",
            {{"instance_id", instance_id}, {"operation", row->operation},
             {"state", row->op_state}});
}

void Broker::dropEverything(const InstanceRow& row) {
  provisioner_.dropDatabase(row.db_name);
  // The platform deletes bindings first (A.4); roles left by one that did not are dropped too,
  // so that no login survives its database.
  for (const BindingRow& b : store_.bindingsOf(row.id)) {
    provisioner_.dropRole(b.role, row.db_name);
    store_.deleteBinding(b.id);
  }
}

nlohmann::json Broker::bindingCredentials(const BindingRow& binding,
                                          const InstanceRow& instance) {
  return credentials(config_.public_host, config_.admin.port, instance.db_name, binding.role,
                     bindingPassword(secret_, binding.id));
}

// ---- osb::Handler

OsbResponse Broker::catalog(const OsbRequest&) { return ok(200, catalogJson()); }

OsbResponse Broker::provision(const OsbRequest& req) {
  const Plan* plan = findPlan(text(req.body, "plan_id"));
  if (text(req.body, "service_id") != kServiceId || !plan) {
    return errorResponse(400, "BadRequest", "unknown service_id or plan_id");
  }
  if (plan->async && !req.acceptsIncomplete()) return osb::asyncRequired();
  nlohmann::json parameters = objectOrEmpty(req.body, "parameters");

  std::lock_guard mutate(mutate_);
  std::optional<InstanceRow> existing = store_.instance(req.instance_id);
  if (live(existing)) {
    const InstanceRow& row = *existing;
    bool same = row.service_id == kServiceId && row.plan_id == plan->id &&
                row.organization_guid == text(req.body, "organization_guid") &&
                row.space_guid == text(req.body, "space_guid") &&
                row.params_hash == jsonHash(parameters);
    if (!same) {
      return errorResponse(409, "Conflict",
                           "an instance with this id exists with different attributes");
    }
    if (row.state == state::kCreating) return ok(202, {{"operation", row.operation}});
    if (row.state == state::kReady) return ok(200);
    return osb::concurrencyError();
  }

  InstanceRow row;
  row.id = req.instance_id;
  row.service_id = kServiceId;
  row.plan_id = plan->id;
  row.organization_guid = text(req.body, "organization_guid");
  row.space_guid = text(req.body, "space_guid");
  row.parameters = parameters.dump();
  row.params_hash = jsonHash(parameters);
  row.db_name = databaseName(req.instance_id);
  if (plan->async) {
    row.state = state::kCreating;
    row.operation = newOperation("provision");
    row.op_state = kInProgress;
    row.op_description = "creating the database";
    store_.putInstance(row);
    enqueue(row.id);
    return ok(202, {{"operation", row.operation}});
  }
  try {
    provisioner_.createDatabase(row.db_name, plan->connection_limit);
  } catch (const PgError& e) {
    return internalError("create the database", e, req.instance_id);
  }
  row.state = state::kReady;
  row.op_state = kSucceeded;
  row.op_description = "database created";
  store_.putInstance(row);
  return ok(201);
}

OsbResponse Broker::fetchInstance(const OsbRequest& req) {
  std::optional<InstanceRow> row = store_.instance(req.instance_id);
  // 404 also while provisioning (A.4).
  if (!live(row) || row->state == state::kCreating) {
    return errorResponse(404, "NotFound", "no such service instance");
  }
  if (row->state == state::kUpdating) return osb::concurrencyError();
  nlohmann::json parameters =
      nlohmann::json::parse(row->parameters, nullptr, false, /*ignore_comments=*/false);
  return ok(200, {{"service_id", row->service_id},
                  {"plan_id", row->plan_id},
                  {"parameters", parameters.is_discarded() ? nlohmann::json::object() : parameters}});
}

OsbResponse Broker::update(const OsbRequest& req) {
  std::lock_guard mutate(mutate_);
  std::optional<InstanceRow> row = store_.instance(req.instance_id);
  if (!live(row)) return errorResponse(404, "NotFound", "no such service instance");
  if (text(req.body, "service_id") != row->service_id) {
    return errorResponse(400, "BadRequest", "service_id does not match the instance's");
  }
  std::string new_plan_id = text(req.body, "plan_id");  // absent: the plan stays
  if (new_plan_id.empty()) new_plan_id = row->plan_id;
  const Plan* from = findPlan(row->plan_id);
  const Plan* to = findPlan(new_plan_id);
  if (!to) return errorResponse(400, "BadRequest", "unknown plan_id");
  if (inFlight(*row)) return osb::concurrencyError();
  bool plan_changes = to != from;
  if (plan_changes && (from->async || to->async) && !req.acceptsIncomplete()) {
    return osb::asyncRequired();
  }
  if (req.body.contains("parameters")) {
    nlohmann::json parameters = objectOrEmpty(req.body, "parameters");
    row->parameters = parameters.dump();
    row->params_hash = jsonHash(parameters);
  }
  if (!plan_changes) {
    store_.putInstance(*row);
    return ok(200);
  }
  if (from->async || to->async) {
    row->state = state::kUpdating;
    row->target_plan_id = to->id;
    row->operation = newOperation("update");
    row->op_state = kInProgress;
    row->op_description = "changing the plan";
    store_.putInstance(*row);
    enqueue(row->id);
    return ok(202, {{"operation", row->operation}});
  }
  try {
    provisioner_.setConnectionLimit(row->db_name, to->connection_limit);
  } catch (const PgError& e) {
    return internalError("change the plan", e, req.instance_id);
  }
  row->plan_id = to->id;
  row->op_state = kSucceeded;
  row->op_description = "plan changed";
  store_.putInstance(*row);
  return ok(200);
}

OsbResponse Broker::deprovision(const OsbRequest& req) {
  std::lock_guard mutate(mutate_);
  std::optional<InstanceRow> row = store_.instance(req.instance_id);
  if (!row || row->state == state::kDeleted) return ok(410);
  if (inFlight(*row)) return osb::concurrencyError();
  const Plan* plan = findPlan(row->plan_id);
  if (plan->async && !req.acceptsIncomplete()) return osb::asyncRequired();
  if (plan->async) {
    row->state = state::kDeleting;
    row->operation = newOperation("deprovision");
    row->op_state = kInProgress;
    row->op_description = "dropping the database";
    store_.putInstance(*row);
    enqueue(row->id);
    return ok(202, {{"operation", row->operation}});
  }
  try {
    dropEverything(*row);
  } catch (const PgError& e) {
    return internalError("drop the database", e, req.instance_id);
  }
  row->state = state::kDeleted;
  row->op_state = kSucceeded;
  row->op_description = "database dropped";
  store_.putInstance(*row);
  return ok(200);
}

OsbResponse Broker::instanceLastOperation(const OsbRequest& req) {
  std::optional<InstanceRow> row = store_.instance(req.instance_id);
  if (!row) return errorResponse(404, "NotFound", "no such service instance");
  // The deprovision finished: 410 tells the platform to forget the instance (A.4).
  if (row->state == state::kDeleted) return ok(410);
  OsbResponse r = ok(200, {{"state", row->op_state.empty() ? kSucceeded : row->op_state},
                           {"description", row->op_description}});
  if (row->op_state == kInProgress) r.headers.emplace_back("Retry-After", "1");
  return r;
}

OsbResponse Broker::bind(const OsbRequest& req) {
  std::lock_guard mutate(mutate_);
  std::optional<InstanceRow> instance = store_.instance(req.instance_id);
  if (!live(instance)) return errorResponse(404, "NotFound", "no such service instance");
  if (text(req.body, "service_id") != instance->service_id || !findPlan(text(req.body, "plan_id"))) {
    return errorResponse(400, "BadRequest", "service_id or plan_id does not match the instance");
  }
  // A bind changes who may use the database, so it waits for an operation in flight (A.5).
  if (inFlight(*instance)) return osb::concurrencyError();

  BindingRow binding;
  binding.id = req.binding_id;
  binding.instance_id = req.instance_id;
  binding.role = roleName(req.binding_id);
  binding.app_guid = appGuid(req.body);
  nlohmann::json parameters = objectOrEmpty(req.body, "parameters");
  binding.parameters = parameters.dump();
  binding.attrs_hash = jsonHash({{"service_id", text(req.body, "service_id")},
                                 {"plan_id", text(req.body, "plan_id")},
                                 {"app_guid", binding.app_guid},
                                 {"parameters", parameters}});
  if (std::optional<BindingRow> existing = store_.binding(req.binding_id)) {
    if (existing->instance_id != binding.instance_id ||
        existing->attrs_hash != binding.attrs_hash) {
      return errorResponse(409, "Conflict",
                           "a binding with this id exists with different attributes");
    }
    return ok(200, {{"credentials", bindingCredentials(*existing, *instance)}});
  }
  try {
    provisioner_.createRole(binding.role, bindingPassword(secret_, binding.id), instance->db_name);
  } catch (const PgError& e) {
    return internalError("create the role", e, req.binding_id);
  }
  store_.putBinding(binding);
  return ok(201, {{"credentials", bindingCredentials(binding, *instance)}});
}

OsbResponse Broker::fetchBinding(const OsbRequest& req) {
  std::optional<BindingRow> binding = store_.binding(req.binding_id);
  std::optional<InstanceRow> instance = store_.instance(req.instance_id);
  if (!binding || binding->instance_id != req.instance_id || !live(instance)) {
    return errorResponse(404, "NotFound", "no such service binding");
  }
  nlohmann::json parameters = nlohmann::json::parse(binding->parameters, nullptr, false);
  return ok(200, {{"credentials", bindingCredentials(*binding, *instance)},
                  {"parameters", parameters.is_discarded() ? nlohmann::json::object() : parameters}});
}

OsbResponse Broker::unbind(const OsbRequest& req) {
  std::lock_guard mutate(mutate_);
  std::optional<BindingRow> binding = store_.binding(req.binding_id);
  if (!binding || binding->instance_id != req.instance_id) return ok(410);
  std::optional<InstanceRow> instance = store_.instance(req.instance_id);
  if (instance && inFlight(*instance)) return osb::concurrencyError();
  try {
    provisioner_.dropRole(binding->role, instance ? instance->db_name : "");
  } catch (const PgError& e) {
    return internalError("drop the role", e, req.binding_id);
  }
  store_.deleteBinding(binding->id);
  return ok(200);
}

OsbResponse Broker::bindingLastOperation(const OsbRequest& req) {
  // Bindings are made synchronously: one that exists has succeeded.
  std::optional<BindingRow> binding = store_.binding(req.binding_id);
  if (!binding || binding->instance_id != req.instance_id) {
    return errorResponse(404, "NotFound", "no such service binding");
  }
  return ok(200, {{"state", kSucceeded}, {"description", "role created"}});
}

}  // namespace foundry::pgbroker
