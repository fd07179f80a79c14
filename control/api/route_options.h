#pragma once
// A route's `options` (Cloud Controller V3 routes: `loadbalancing`; ours beside it:
// `path_regex` and `health_check`), validated here and passed as they are to the router in
// the register messages' `options` (ROUTER-PROTOCOL.md 1.2; router/README.md "Beyond
// gorouter"):
//   loadbalancing  "round-robin" | "least-connection"
//   path_regex     an RE2 pattern matched against the whole request path (only on a route
//                  without a path: the regex is the route's path)
//   health_check   {"path": "/health", "interval_ms": 2000, "timeout_ms": 1000,
//                   "unhealthy_threshold": 2, "healthy_threshold": 2}; missing fields take
//                   these defaults and are stored filled in
// Each failure is a 422 naming the option.

#include <nlohmann/json.hpp>

namespace foundry::control {

// `current` (the stored options) with `update` merged key by key: a key with a null value
// removes that option. `route_has_path`: the route has a context path (path_regex then
// refused). Throws ApiError (422) on anything invalid; the result holds only valid options.
nlohmann::json mergeRouteOptions(const nlohmann::json& current, const nlohmann::json& update,
                                 bool route_has_path);

}  // namespace foundry::control
