#pragma once
// The request and response of one OSB call as the handlers see them (PLATFORM-APIS.md A.3).

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace foundry::osb {

// The 10 endpoints of OSB 2.17 (A.3), in the spec's order.
enum class Endpoint {
  Catalog,
  Provision,
  FetchInstance,
  Update,
  Deprovision,
  InstanceLastOperation,
  Bind,
  FetchBinding,
  Unbind,
  BindingLastOperation,
};

// snake_case name used in logs and by the test broker's admin API ("instance_last_operation").
std::string_view endpointName(Endpoint endpoint);
std::optional<Endpoint> endpointFromName(std::string_view name);

struct OsbRequest {
  Endpoint endpoint = Endpoint::Catalog;
  std::string method;       // "GET", "PUT", ...
  std::string path;         // as received (still percent-encoded)
  std::string query;        // raw query string, "" when none
  std::map<std::string, std::string> params;  // decoded query parameters
  std::string instance_id;  // decoded; "" for the catalog
  std::string binding_id;   // decoded; "" unless a binding endpoint
  std::string api_version;  // X-Broker-API-Version
  std::string originating_identity;  // X-Broker-API-Originating-Identity, "" when absent
  std::string request_identity;      // X-Broker-API-Request-Identity, "" when absent
  std::string raw_body;
  nlohmann::json body = nlohmann::json::object();  // parsed and validated for PUT/PATCH

  bool acceptsIncomplete() const {
    auto it = params.find("accepts_incomplete");
    return it != params.end() && it->second == "true";
  }
  std::string param(const std::string& name) const {
    auto it = params.find(name);
    return it == params.end() ? std::string() : it->second;
  }
};

struct OsbResponse {
  int status = 200;
  nlohmann::json body = nlohmann::json::object();
  // When set, sent as-is instead of `body` (the test broker serves malformed text on purpose).
  std::optional<std::string> raw_body;
  std::vector<std::pair<std::string, std::string>> headers;
};

}  // namespace foundry::osb
