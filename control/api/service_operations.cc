// The broker calls the controller owes (ServiceOperation rows) and what their answers change:
// provisions, updates, deprovisions, binds and unbinds, their last_operation polls, and the
// orphan mitigations of PLATFORM-APIS.md A.7. Each call is built on the event loop, performed
// off it (callBroker), and its answer recorded on the loop in one transaction: the target's
// last_operation, the job, the operation row, and any mitigation owed, all or nothing — so a
// crash never loses a mitigation, and a restart resumes polling where it stopped.
#include <algorithm>
#include <chrono>
#include <set>

#include "common/log/log.h"
#include "control/api/api.h"
#include "control/services/broker_replies.h"

namespace foundry::control {

using nlohmann::json;
using services::CallKind;
using services::PollVerdict;
using services::RequestVerdict;

namespace {

int64_t epochNow() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

CallKind kindOf(const ServiceOperation& op) {
  if (op.kind == "provision") return CallKind::Provision;
  if (op.kind == "update") return CallKind::Update;
  if (op.kind == "deprovision") return CallKind::Deprovision;
  if (op.kind == "bind") return CallKind::Bind;
  return CallKind::Unbind;
}

bool onBinding(const ServiceOperation& op) { return op.kind == "bind" || op.kind == "unbind"; }
bool isDelete(const ServiceOperation& op) {
  return op.kind == "deprovision" || op.kind == "unbind";
}

json requestOf(const ServiceOperation& op) {
  auto j = json::parse(op.request.reveal(), nullptr, false);
  return j.is_object() ? j : json::object();
}

// Whether finishing this delete removes the row: a user's delete does; a mitigation does
// when it finishes a failed delete, not when it cleans up after a failed create.
bool removesRow(const ServiceOperation& op) {
  return !op.mitigation || requestOf(op).value("remove_row", false);
}

// The job error of a failed broker operation (CC answers the user with these titles).
json brokerError(const std::string& description) {
  return json::array(
      {{{"code", 10001}, {"title", "CF-ServiceBrokerBadResponse"}, {"detail", description}}});
}

}  // namespace

int Api::advanceServiceOperations() {
  int started = advanceCatalogJobs();
  const int64_t now = epochNow();
  const auto ops = store_.listServiceOperations();
  // A user's deprovision waits for the unbinds its delete started (bindings go first).
  std::set<std::string> unbinding;
  for (const auto& op : ops) {
    if (op.kind == "unbind" && !op.mitigation) unbinding.insert(op.instance_id);
  }
  for (const auto& op : ops) {
    if (op.next_attempt_at > now || broker_calls_in_flight_.count(op.guid)) continue;
    if (op.kind == "deprovision" && !op.mitigation && unbinding.count(op.instance_id)) continue;
    sendServiceOperation(op);
    ++started;
  }
  return started;
}

void Api::sendServiceOperation(const ServiceOperation& op) {
  auto broker = store_.getServiceBroker(op.broker_guid);
  if (!broker) {
    // Nothing left to call: the broker (and with it the catalog) was deleted or purged.
    store_.atomically([&] {
      if (!op.mitigation) setLastOperation(op, "failed", "The service broker is gone");
      if (op.job_guid) {
        finishServiceJob(*op.job_guid, brokerError("The service broker is gone"), op.guid);
      }
      store_.deleteServiceOperation(op.guid);
    });
    return;
  }
  const services::BrokerEndpoint endpoint = brokerEndpoint(*broker);
  services::CallOptions options;
  options.timeout_ms = config_.broker_timeout_ms;
  options.originating_user = op.mitigation ? "" : op.user_guid;
  const json request = requestOf(op);
  const std::string body = request.contains("body") ? request["body"].dump() : "";
  const std::string delete_query = services::queryString(
      {{"accepts_incomplete", "true"}, {"service_id", op.service_id}, {"plan_id", op.plan_id}});
  services::BrokerCall call;
  if (op.phase == "poll") {
    call = services::lastOperationCall(endpoint, op.instance_id, onBinding(op) ? op.binding_id : "",
                                       op.service_id, op.plan_id,
                                       op.broker_operation.value_or(""), options);
  } else if (op.phase == "fetch") {
    call = services::bindingCall(
        endpoint, "GET", op.instance_id, op.binding_id,
        services::queryString({{"service_id", op.service_id}, {"plan_id", op.plan_id}}), "",
        options);
  } else if (op.kind == "provision") {
    call = services::instanceCall(endpoint, "PUT", op.instance_id, "accepts_incomplete=true",
                                  body, options);
  } else if (op.kind == "update") {
    call = services::instanceCall(endpoint, "PATCH", op.instance_id, "accepts_incomplete=true",
                                  body, options);
  } else if (op.kind == "deprovision") {
    call = services::instanceCall(endpoint, "DELETE", op.instance_id, delete_query, "", options);
  } else if (op.kind == "bind") {
    call = services::bindingCall(endpoint, "PUT", op.instance_id, op.binding_id,
                                 "accepts_incomplete=true", body, options);
  } else {
    call = services::bindingCall(endpoint, "DELETE", op.instance_id, op.binding_id, delete_query,
                                 "", options);
  }
  broker_calls_in_flight_.insert(op.guid);
  log::info("controller", "broker-call",
            {{"operation", op.kind}, {"phase", op.phase},
             {"mitigation", op.mitigation ? "true" : "false"}, {"instance", op.instance_id},
             {"binding", op.binding_id}});
  callBroker(std::move(call), [this, guid = op.guid](services::BrokerReply reply) {
    broker_calls_in_flight_.erase(guid);
    auto current = store_.getServiceOperation(guid);
    if (!current) return;  // purged meanwhile
    log::info("controller", "broker-reply",
              {{"operation", current->kind}, {"phase", current->phase},
               {"status", std::to_string(reply.status)},
               {"timed_out", reply.timed_out ? "true" : "false"}});
    if (current->phase == "poll") {
      onLastOperation(*current, reply);
    } else if (current->phase == "fetch") {
      auto binding = services::readFetchedBinding(reply);
      if (binding) {
        completeServiceOperation(*current, *binding);
      } else {
        failServiceOperation(*current, "The service broker's binding could not be fetched", true);
      }
    } else {
      onRequestReply(*current, reply);
    }
  });
}

void Api::onRequestReply(ServiceOperation op, const services::BrokerReply& reply) {
  const RequestVerdict v = services::readRequestReply(kindOf(op), reply);
  if (v.result == RequestVerdict::Result::Done) {
    completeServiceOperation(op, v.body);
  } else if (v.result == RequestVerdict::Result::Async) {
    startPolling(op, v.operation);
  } else {
    failServiceOperation(op, v.description, v.mitigate);
  }
}

void Api::startPolling(ServiceOperation op, const std::string& broker_operation) {
  const int64_t now = epochNow();
  int64_t limit = config_.broker_max_poll_duration_s;
  if (auto plan = planOfOperation(op); plan && plan->maximum_polling_duration) {
    limit = std::min(limit, *plan->maximum_polling_duration);  // a plan can only shorten it
  }
  op.phase = "poll";
  op.broker_operation = broker_operation.empty() ? std::nullopt
                                                 : std::optional<std::string>(broker_operation);
  op.poll_deadline = now + limit;
  op.attempts = 0;
  op.next_attempt_at = now + config_.broker_poll_interval_s;
  op.updated_at = nowIso8601();
  store_.atomically([&] {
    store_.updateServiceOperation(op);
    if (op.job_guid) {
      if (auto job = store_.getJob(*op.job_guid)) {
        job->state = "POLLING";
        job->updated_at = op.updated_at;
        store_.updateJob(*job);
      }
    }
  });
}

void Api::onLastOperation(ServiceOperation op, const services::BrokerReply& reply) {
  const PollVerdict v = services::readLastOperation(kindOf(op), reply);
  const int64_t now = epochNow();
  if (v.state == PollVerdict::State::Succeeded) {
    if (op.kind == "bind") {
      // An async bind's credentials come from fetching the binding (A.5).
      op.phase = "fetch";
      op.next_attempt_at = 0;
      store_.updateServiceOperation(op);
      sendServiceOperation(op);
      return;
    }
    completeServiceOperation(op, json::object());
    return;
  }
  if (v.state == PollVerdict::State::Failed) {
    // A.7: a failed async create or delete is mitigated.
    failServiceOperation(op, v.description.empty() ? "The service broker reported a failure"
                                                   : v.description,
                         op.kind != "update");
    return;
  }
  if (now >= op.poll_deadline) {
    failServiceOperation(op, "The service broker did not finish the operation in time",
                         op.kind != "update");
    return;
  }
  // Still going (or an answer we cannot read): poll again, never sooner than Retry-After.
  ++op.attempts;
  int64_t wait = config_.broker_poll_interval_s;
  wait = std::min(wait, config_.broker_poll_interval_max_s);
  wait = std::max(wait, v.retry_after_s);
  op.next_attempt_at = now + wait;
  op.updated_at = nowIso8601();
  store_.atomically([&] {
    store_.updateServiceOperation(op);
    if (!v.description.empty() && !op.mitigation) {
      setLastOperation(op, "in progress", v.description);
    }
  });
}

std::optional<ServicePlan> Api::planOfOperation(const ServiceOperation& op) {
  for (const auto& plan : store_.listServicePlans({})) {
    if (plan.broker_catalog_id != op.plan_id) continue;
    auto offering = store_.getServiceOffering(plan.offering_guid);
    if (offering && offering->broker_guid == op.broker_guid) return plan;
  }
  return std::nullopt;
}

void Api::setLastOperation(const ServiceOperation& op, const std::string& state,
                           const std::string& description) {
  const std::string now = nowIso8601();
  auto stamp = [&](LastOperation& lo) {
    lo.state = state;
    lo.description = description;
    lo.updated_at = now;
  };
  if (onBinding(op)) {
    if (auto b = store_.getServiceBinding(op.target_guid)) {
      stamp(b->last_operation);
      b->updated_at = now;
      store_.updateServiceBinding(*b);
    }
  } else if (auto i = store_.getServiceInstance(op.target_guid)) {
    stamp(i->last_operation);
    i->updated_at = now;
    store_.updateServiceInstance(*i);
  }
}

void Api::finishServiceJob(const std::string& job_guid, const json& errors,
                           const std::string& done_op) {
  auto job = store_.getJob(job_guid);
  if (!job || job->state == "FAILED") return;
  if (errors.empty()) {
    for (const auto& other : store_.listServiceOperations()) {
      if (other.job_guid == job_guid && other.guid != done_op) return;  // still waiting
    }
  }
  job->state = errors.empty() ? "COMPLETE" : "FAILED";
  job->errors = errors.empty() ? "[]" : errors.dump();
  job->updated_at = nowIso8601();
  store_.updateJob(*job);
}

void Api::completeServiceOperation(const ServiceOperation& op, const json& body) {
  const std::string now = nowIso8601();
  store_.atomically([&] {
    if (op.kind == "provision" || op.kind == "update") {
      if (auto i = store_.getServiceInstance(op.target_guid)) {
        if (body.contains("dashboard_url") && body["dashboard_url"].is_string()) {
          i->dashboard_url = body["dashboard_url"].get<std::string>();
        }
        if (body.contains("metadata") && body["metadata"].is_object()) {
          i->broker_metadata = body["metadata"].dump();
        }
        const json request = requestOf(op);
        if (op.kind == "update" && request.contains("new_plan_guid")) {
          i->plan_guid = request["new_plan_guid"].get<std::string>();
        }
        i->last_operation.state = "succeeded";
        i->last_operation.description = "";
        i->last_operation.updated_at = now;
        i->updated_at = now;
        store_.updateServiceInstance(*i);
      }
    } else if (op.kind == "deprovision" && removesRow(op)) {
      for (const auto& b : store_.listServiceBindings({{}, {}, {}, {op.target_guid}, {}, {}})) {
        store_.deleteServiceBinding(b.guid);  // none, unless a mitigation cleans up after a purge
      }
      store_.deleteServiceInstance(op.target_guid);
    } else if (op.kind == "bind") {
      if (auto b = store_.getServiceBinding(op.target_guid)) {
        json credentials = body.contains("credentials") && body["credentials"].is_object()
                               ? body["credentials"]
                               : json::object();
        b->credentials = auth::Secret(credentials.dump());
        if (body.contains("syslog_drain_url") && body["syslog_drain_url"].is_string()) {
          b->syslog_drain_url = body["syslog_drain_url"].get<std::string>();
        }
        if (body.contains("volume_mounts") && body["volume_mounts"].is_array()) {
          b->volume_mounts = body["volume_mounts"].dump();
        }
        b->last_operation.state = "succeeded";
        b->last_operation.description = "";
        b->last_operation.updated_at = now;
        b->updated_at = now;
        store_.updateServiceBinding(*b);
      }
    } else if (op.kind == "unbind" && removesRow(op)) {
      store_.deleteServiceBinding(op.target_guid);
    }
    if (op.job_guid) finishServiceJob(*op.job_guid, json::array(), op.guid);
    store_.deleteServiceOperation(op.guid);
  });
  log::info("controller", "broker-operation-succeeded",
            {{"operation", op.kind}, {"mitigation", op.mitigation ? "true" : "false"},
             {"target", op.target_guid}});
}

void Api::failServiceOperation(ServiceOperation op, const std::string& description,
                               bool mitigate) {
  if (op.mitigation) {
    // A mitigation is never given up (A.7): retry from the request, backing off to an hour.
    op.phase = "request";
    op.broker_operation.reset();
    op.attempts += 1;
    const int64_t backoff =
        std::min<int64_t>(3600, config_.mitigation_retry_s << std::min<int64_t>(op.attempts - 1, 10));
    op.next_attempt_at = epochNow() + backoff;
    op.updated_at = nowIso8601();
    store_.updateServiceOperation(op);
    log::warn("controller", "broker-mitigation-retry",
              {{"operation", op.kind}, {"target", op.target_guid},
               {"attempts", std::to_string(op.attempts)}, {"reason", description}});
    return;
  }
  store_.atomically([&] {
    setLastOperation(op, "failed", description);
    if (op.job_guid) finishServiceJob(*op.job_guid, brokerError(description), op.guid);
    store_.deleteServiceOperation(op.guid);
    if (op.kind == "unbind" && op.job_guid) {
      // An instance delete whose unbind failed stops there: its deprovision is not sent.
      for (const auto& waiting : store_.listServiceOperations()) {
        if (waiting.job_guid == op.job_guid && waiting.kind == "deprovision") {
          setLastOperation(waiting, "failed", description);
          store_.deleteServiceOperation(waiting.guid);
        }
      }
    }
    if (mitigate) {
      // The create may have happened at the broker: delete it there (a delete is sent again).
      ServiceOperation m = op;
      m.guid = newGuid();
      m.kind = onBinding(op) ? "unbind" : "deprovision";
      m.mitigation = true;
      m.job_guid.reset();
      m.phase = "request";
      m.broker_operation.reset();
      m.attempts = 0;
      m.next_attempt_at = 0;
      m.poll_deadline = 0;
      // Mitigating a failed delete finishes that delete (the row goes); mitigating a failed
      // create leaves its row "create failed" for the user to see and delete.
      m.request = auth::Secret(json{{"remove_row", isDelete(op)}}.dump());
      m.user_guid.clear();
      m.created_at = m.updated_at = nowIso8601();
      store_.createServiceOperation(m);
    }
  });
  log::warn("controller", "broker-operation-failed",
            {{"operation", op.kind}, {"target", op.target_guid},
             {"mitigate", mitigate ? "true" : "false"}, {"reason", description}});
}

}  // namespace foundry::control
