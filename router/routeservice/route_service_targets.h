#pragma once
// Per worker: the Endpoint a route service URL's host:port is reached at (ROUTER-PROTOCOL.md 7,
// first pass). The Endpoint carries the resolved IP, `tls` and the URL's host as the name the
// certificate must match (and the SNI), so the RS leg connects like any TLS backend.
// IP literals and "localhost" are mapped here directly; other names come from the shared
// AddressResolver and are kept in this worker's map until their TTL, so the steady state takes
// no lock. Worker thread only.

#include <cstdint>
#include <string>
#include <unordered_map>

#include "router/route/endpoint.h"
#include "router/routeservice/address_resolver.h"
#include "router/routeservice/route_service_url.h"

namespace foundry::router {

class RouteServiceTargets {
 public:
  // `resolver` may be null: then only IP literals and localhost resolve.
  explicit RouteServiceTargets(AddressResolver* resolver) : resolver_(resolver) {}

  enum class Status { Ready, Pending, Failed };
  // Ready: *endpoint set. Pending: ask again shortly. Failed: *error says why ("no such host").
  Status endpointFor(const RouteServiceUrl& url, int64_t now_ns, EndpointSharedPtr* endpoint,
                     std::string* error);

 private:
  struct Entry {
    EndpointSharedPtr endpoint;
    int64_t fresh_until_ns = 0;  // INT64_MAX for literals
  };
  AddressResolver* resolver_;
  std::unordered_map<std::string, Entry> entries_;  // "host:port" -> endpoint
};

}  // namespace foundry::router
