// What every broker call of the API shares: where the broker is, performing the call off the
// event loop, and the job that reports a broker-backed change.
#include "common/log/log.h"
#include "control/api/api.h"

namespace foundry::control {

services::BrokerEndpoint Api::brokerEndpoint(const ServiceBroker& broker) const {
  return {broker.url, broker.username, broker.password};
}

void Api::callBroker(services::BrokerCall call,
                     std::function<void(services::BrokerReply)> then) {
  // Recording a reply touches the store; a failure there must not take the loop down (the
  // operation stays owed and is sent again).
  auto record = [then = std::move(then)](services::BrokerReply reply) {
    try {
      then(std::move(reply));
    } catch (const std::exception& e) {
      log::error("controller", "broker-reply-failed", {{"error", e.what()}});
    } catch (const ApiError& e) {
      log::error("controller", "broker-reply-failed", {{"error", e.detail}});
    }
  };
  if (!staging_.offload) {
    record(services::perform(call));
    return;
  }
  // The reply lives in a shared slot: the worker fills it, the loop reads it.
  auto reply = std::make_shared<services::BrokerReply>();
  staging_.offload([call = std::move(call), reply] { *reply = services::perform(call); },
                   [reply, record = std::move(record)] { record(std::move(*reply)); });
}

std::pair<Job, ApiResponse> Api::newServiceJob(Ctx& c, const std::string& operation,
                                               const std::string& type,
                                               const std::string& guid) {
  const std::string now = nowIso8601();
  Job job{newGuid(), operation, "PROCESSING", type, guid, "[]", "[]", now, now,
          c.who().user_guid.empty() ? c.who().client_id : c.who().user_guid};
  if (store_.createJob(job) != WriteResult::Ok) {
    throw StoreError("cannot record job " + operation);
  }
  return {job, ApiResponse{202, nullptr, {{"Location", c.url("/v3/jobs/" + job.guid)}}}};
}

}  // namespace foundry::control
