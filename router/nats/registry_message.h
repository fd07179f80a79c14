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
  // options.path_regex: makes each uri (a host without a path) a regex route. Not compiled
  // here: the registry compiles it once, when the route appears.
  std::string path_regex;
};

// Returns false and sets *error (a short human-readable reason naming the field) on invalid
// input; *out is only written on success. JSON null counts as absent. Validation beyond
// types: host must be present and non-empty, port and tls_port must not both be zero, and a
// non-empty route_service_url must start with "https". An unknown options.loadbalancing value
// is logged and ignored (lb_algo stays ""), and so is an options.weight that is not an integer
// in 1..100 (weight stays 0, unweighted). options.path_regex must be a string (a wrong type
// drops the message); its syntax is checked by the registry. Empty or missing uris are accepted. A negative
// stale_threshold_in_seconds is stored as 0 (use the global threshold).
// Thread-safe (one simdjson parser per thread).
bool decodeRegistryMessage(std::string_view json, RegistryMessage* out, std::string* error);

// The router.start / router.greet reply payload (ROUTER-PROTOCOL.md 1.3).
std::string routerStartPayload(const std::string& id, const std::string& host_ip,
                               int64_t minimum_register_interval_s,
                               int64_t prune_threshold_s);

}  // namespace foundry::router
