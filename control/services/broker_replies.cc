#include "control/services/broker_replies.h"

#include <cstdlib>

namespace foundry::control::services {
namespace {

using json = nlohmann::json;

bool isCreate(CallKind k) { return k == CallKind::Provision || k == CallKind::Bind; }
bool isDelete(CallKind k) { return k == CallKind::Deprovision || k == CallKind::Unbind; }

std::optional<json> objectBody(const std::string& body) {
  auto j = json::parse(body, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return std::nullopt;
  return j;
}

// The broker's own words from an error body, when it gave any.
std::string brokerSays(const std::string& body) {
  auto j = objectBody(body);
  if (!j) return "";
  std::string out;
  if (j->contains("error") && (*j)["error"].is_string()) out = (*j)["error"].get<std::string>();
  if (j->contains("description") && (*j)["description"].is_string()) {
    out += (out.empty() ? "" : ": ") + (*j)["description"].get<std::string>();
  }
  return out;
}

RequestVerdict failed(bool mitigate, std::string description) {
  RequestVerdict v;
  v.result = RequestVerdict::Result::Failed;
  v.mitigate = mitigate;
  v.description = std::move(description);
  return v;
}

std::string badResponse(long status, const std::string& why) {
  return "The service broker returned an invalid response: status " + std::to_string(status) +
         ", " + why;
}

}  // namespace

bool validBindingBody(const json& body) {
  if (!body.is_object()) return false;
  if (body.contains("credentials") && !body["credentials"].is_object() &&
      !body["credentials"].is_null()) {
    return false;
  }
  if (body.contains("syslog_drain_url") && !body["syslog_drain_url"].is_string() &&
      !body["syslog_drain_url"].is_null()) {
    return false;
  }
  if (body.contains("volume_mounts") && !body["volume_mounts"].is_array() &&
      !body["volume_mounts"].is_null()) {
    return false;
  }
  return true;
}

RequestVerdict readRequestReply(CallKind kind, const BrokerReply& reply) {
  // A.7: a create the platform cannot be sure about is deleted again; a delete it cannot be
  // sure about is sent again (both are "mitigation"); an update is never mitigated.
  const bool mitigable = kind != CallKind::Update;
  if (reply.status == 0) {
    if (reply.timed_out) {
      // Only a create's timeout leaves something behind to clean (A.7 timeout rows).
      return failed(isCreate(kind), "The service broker did not answer in time");
    }
    return failed(false, "The service broker could not be reached: " + reply.error);
  }
  const long s = reply.status;
  if (s == 200 || s == 201) {
    // 201 is a create's answer; for an update or a delete it is an "other 2xx" (failure).
    if (s == 201 && !isCreate(kind)) return failed(mitigable, badResponse(s, "unexpected status"));
    auto body = objectBody(reply.body);
    if (isDelete(kind) && !body && s == 200) body = json::object();  // "{}" is all it owes
    if (!body || (kind == CallKind::Bind && !validBindingBody(*body))) {
      // A.7: a malformed 200 is a failure without mitigation; a malformed 201 mitigates.
      return failed(s == 201 && isCreate(kind), badResponse(s, "expected a JSON object"));
    }
    RequestVerdict v;
    v.result = RequestVerdict::Result::Done;
    v.body = std::move(*body);
    return v;
  }
  if (s == 202) {
    auto body = objectBody(reply.body.empty() ? "{}" : reply.body);
    if (!body || (body->contains("operation") && !(*body)["operation"].is_string() &&
                  !(*body)["operation"].is_null())) {
      return failed(isCreate(kind), badResponse(s, "expected a JSON object"));
    }
    if (kind == CallKind::Bind && body->contains("credentials")) {
      // Credentials must not come with a 202 (A.4): the broker is confused.
      return failed(true, badResponse(s, "credentials in an asynchronous answer"));
    }
    RequestVerdict v;
    v.result = RequestVerdict::Result::Async;
    if (body->contains("operation") && (*body)["operation"].is_string()) {
      v.operation = (*body)["operation"].get<std::string>();
    }
    v.body = std::move(*body);
    return v;
  }
  if (s == 410 && isDelete(kind)) {
    RequestVerdict v;  // gone already: what a delete wanted
    v.result = RequestVerdict::Result::Done;
    return v;
  }
  if (s >= 200 && s < 300) return failed(mitigable, badResponse(s, "unexpected status"));
  if (s == 408) return failed(false, "The service broker timed out the request (408)");
  if (s == 401) return failed(false, "Authentication failed for the service broker API");
  if (s >= 400 && s < 500) {
    const std::string said = brokerSays(reply.body);
    return failed(false, "Service broker error (status " + std::to_string(s) + ")" +
                             (said.empty() ? "" : ": " + said));
  }
  const std::string said = brokerSays(reply.body);
  return failed(mitigable, "Service broker error (status " + std::to_string(s) + ")" +
                               (said.empty() ? "" : ": " + said));
}

PollVerdict readLastOperation(CallKind kind, const BrokerReply& reply) {
  PollVerdict v;
  if (!reply.retry_after.empty()) {
    char* end = nullptr;
    const long long seconds = std::strtoll(reply.retry_after.c_str(), &end, 10);
    if (end && *end == '\0' && seconds > 0) v.retry_after_s = seconds;
  }
  if (reply.status == 410 && isDelete(kind)) {
    v.state = PollVerdict::State::Succeeded;  // gone: the delete is done
    return v;
  }
  if (reply.status != 200) {
    v.description = reply.status == 0 ? "The service broker could not be reached"
                                      : "The service broker answered " +
                                            std::to_string(reply.status) + " to last_operation";
    return v;  // Invalid: keep polling until the deadline
  }
  auto body = objectBody(reply.body);
  if (!body || !body->contains("state") || !(*body)["state"].is_string()) {
    v.description = "The service broker's last_operation answer has no valid state";
    return v;
  }
  if (body->contains("description") && (*body)["description"].is_string()) {
    v.description = (*body)["description"].get<std::string>();
  }
  const std::string state = (*body)["state"].get<std::string>();
  if (state == "in progress") {
    v.state = PollVerdict::State::InProgress;
  } else if (state == "succeeded") {
    v.state = PollVerdict::State::Succeeded;
  } else if (state == "failed") {
    v.state = PollVerdict::State::Failed;
  } else {
    v.description = "The service broker's last_operation state '" + state + "' is not valid";
  }
  return v;
}

std::optional<json> readFetchedBinding(const BrokerReply& reply) {
  if (reply.status != 200) return std::nullopt;
  auto body = objectBody(reply.body);
  if (!body || !validBindingBody(*body)) return std::nullopt;
  return body;
}

}  // namespace foundry::control::services
