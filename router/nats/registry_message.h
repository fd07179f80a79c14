#pragma once
// router.register / router.unregister payloads in gorouter's JSON (ROUTER-PROTOCOL.md 1.2).
// Decoding is strict about types, like gorouter's: a wrong type anywhere drops the whole
// message (a port outside 0..65535, a non-string tag value, uris not an array of strings...).
// Unknown fields are ignored.

#include <string>
#include <string_view>
#include <vector>

#include "router/route/endpoint.h"

namespace foundry::router {

struct RegistryMessage {
  EndpointFields fields;  // fields.port is the effective port (tls_port when non-zero)
  std::vector<std::string> uris;
};

// Returns false and sets *error (a short human-readable reason) on invalid input.
// Validation beyond types: at least one of port / tls_port is non-zero... (see .cc),
// route_service_url when non-empty must start with "https".
bool decodeRegistryMessage(std::string_view json, RegistryMessage* out, std::string* error);

// The router.start / router.greet reply payload (ROUTER-PROTOCOL.md 1.3).
std::string routerStartPayload(const std::string& id, const std::string& host_ip,
                               int64_t minimum_register_interval_s,
                               int64_t prune_threshold_s);

}  // namespace foundry::router
