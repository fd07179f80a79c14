#pragma once
// How the platform reads a broker's answers (PLATFORM-APIS.md A.4, A.5, A.7): pure functions
// from a reply to a verdict, so the status-code table and the orphan-mitigation table are
// unit-tested on their own, apart from the HTTP and the store.
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

#include "control/services/broker_client.h"

namespace foundry::control::services {

enum class CallKind { Provision, Update, Deprovision, Bind, Unbind };

// The answer to a provision / update / deprovision / bind / unbind request.
struct RequestVerdict {
  enum class Result {
    Done,    // finished now (200/201; for a delete also 410 Gone)
    Async,   // 202: poll last_operation
    Failed,  // anything else
  };
  Result result = Result::Failed;
  // Orphan mitigation is owed (A.7): the broker may have created something we will not use.
  bool mitigate = false;
  nlohmann::json body = nlohmann::json::object();  // the reply's object (Done, Async)
  std::string operation;                           // Async: the broker's operation ("" = none)
  std::string description;                         // Failed: what to tell the user
};
RequestVerdict readRequestReply(CallKind kind, const BrokerReply& reply);

// The answer to a last_operation poll.
struct PollVerdict {
  enum class State {
    InProgress,
    Succeeded,  // also 410 while deleting (A.4)
    Failed,
    Invalid,  // not a valid answer: keep polling until the deadline
  };
  State state = State::Invalid;
  std::string description;
  int64_t retry_after_s = 0;  // the broker's Retry-After in seconds (0 = none)
};
PollVerdict readLastOperation(CallKind kind, const BrokerReply& reply);

// The answer to GET binding after an async bind succeeded: the binding object, or nullopt.
std::optional<nlohmann::json> readFetchedBinding(const BrokerReply& reply);

// Whether a 200/201 bind body is usable: an object whose credentials (if any) are an object,
// syslog_drain_url a string, volume_mounts an array.
bool validBindingBody(const nlohmann::json& body);

}  // namespace foundry::control::services
