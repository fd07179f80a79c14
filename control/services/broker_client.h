#pragma once
// The controller's Open Service Broker API client (PLATFORM-APIS.md A.2-A.3): builds each
// broker request and performs it. Building is separate from performing because they run on
// different threads: the request is built on the event loop (it reads the store), performed
// on a worker (it may take up to the broker timeout), and its reply is read back on the loop.
//
// Every request carries X-Broker-API-Version 2.17, a fresh X-Broker-API-Request-Identity,
// HTTP Basic credentials, and X-Broker-API-Originating-Identity when a user caused it
// ("cloudfoundry <base64 {"user_id":...}>"); catalog fetches and orphan mitigations go
// without an originating identity, as the spec says.
#include <string>
#include <utility>
#include <vector>

#include "common/auth/secret.h"

namespace foundry::control::services {

inline constexpr const char* kBrokerApiVersion = "2.17";

struct BrokerEndpoint {
  std::string url;  // "http://127.0.0.1:9050"
  std::string username;
  auth::Secret password;
};

// One request, ready to send.
struct BrokerCall {
  std::string method;
  std::string url;
  std::string body;  // "" for GET and DELETE
  std::vector<std::pair<std::string, std::string>> headers;  // Authorization included
  long timeout_ms = 60000;
};

struct BrokerReply {
  long status = 0;          // 0: no answer
  bool timed_out = false;   // no answer within the timeout: the broker may have acted
  std::string body;
  std::string retry_after;  // the Retry-After header, "" if none
  std::string error;        // transport error text when status is 0
};

struct CallOptions {
  long timeout_ms = 60000;
  std::string originating_user;  // "" = no X-Broker-API-Originating-Identity
};

// GET /v2/catalog.
BrokerCall catalogCall(const BrokerEndpoint& broker, const CallOptions& options);
// PUT|PATCH|DELETE /v2/service_instances/:id[?accepts_incomplete=true...]. For DELETE,
// `query` carries service_id and plan_id; `body` is the JSON for PUT and PATCH.
BrokerCall instanceCall(const BrokerEndpoint& broker, const std::string& method,
                        const std::string& instance_id, const std::string& query,
                        const std::string& body, const CallOptions& options);
// PUT|DELETE|GET /v2/service_instances/:iid/service_bindings/:bid[?query].
BrokerCall bindingCall(const BrokerEndpoint& broker, const std::string& method,
                       const std::string& instance_id, const std::string& binding_id,
                       const std::string& query, const std::string& body,
                       const CallOptions& options);
// GET .../last_operation for an instance (binding_id "") or a binding, with service_id,
// plan_id and the broker's operation (when it gave one), percent-encoded.
BrokerCall lastOperationCall(const BrokerEndpoint& broker, const std::string& instance_id,
                             const std::string& binding_id, const std::string& service_id,
                             const std::string& plan_id, const std::string& operation,
                             const CallOptions& options);

// "a=b&c=d" from pairs, each value percent-encoded (RFC 3986 unreserved kept).
std::string queryString(const std::vector<std::pair<std::string, std::string>>& params);

// Sends the call (blocking; any thread).
BrokerReply perform(const BrokerCall& call);

}  // namespace foundry::control::services
