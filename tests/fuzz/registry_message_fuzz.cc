// Fuzz target: router.register / router.unregister payloads (router/nats/registry_message.h,
// ROUTER-PROTOCOL.md 1.2), then the decoded message through a RouteRegistry the way the
// control plane applies it (router/server/control_plane.cc).
//
// Input: the NATS message payload, as is.
//
// Checks: a rejected payload has an error text; an accepted one satisfies the documented
// validation (non-empty host, non-zero effective port, tls iff tls_port, https route service,
// known lb_algo, threshold >= 0); decoding is deterministic (the per-thread parser is reused);
// registering the message's URIs makes each key routable to this endpoint, a second register is
// a heartbeat, unregister removes it, and pruning far in the future keeps only TLS endpoints.

#include <arpa/inet.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <set>
#include <string>
#include <string_view>
#include <utility>

#include "common/log/log.h"
#include "router/nats/registry_message.h"
#include "router/registry/route_registry.h"
#include "router/route/route_key.h"

namespace {

using namespace foundry::router;

[[noreturn]] void fail(const char* what, std::string_view detail) {
  std::fprintf(stderr, "registry_message_fuzz: %s: [%.*s]\n", what, static_cast<int>(detail.size()),
               detail.data());
  std::abort();
}

bool poolHas(const PoolConstSharedPtr& pool, const std::string& address) {
  if (pool == nullptr) return false;
  for (const EndpointSharedPtr& e : pool->endpoints()) {
    if (e->address() == address) return true;
  }
  return false;
}

bool numericHost(const std::string& host) {
  unsigned char buf[sizeof(in6_addr)];
  return inet_pton(AF_INET, host.c_str(), buf) == 1 || inet_pton(AF_INET6, host.c_str(), buf) == 1;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const bool quiet = [] {
    foundry::log::setLevel(
        foundry::log::Level::Error);  // invalid lb_algo values are logged as warnings
    return true;
  }();
  (void)quiet;
  if (size > 16384) return 0;
  const std::string_view json(reinterpret_cast<const char*>(data), size);

  RegistryMessage msg;
  std::string error;
  const bool ok = decodeRegistryMessage(json, &msg, &error);
  RegistryMessage again;
  std::string error_again;
  if (decodeRegistryMessage(json, &again, &error_again) != ok)
    fail("decoding is not deterministic", json);
  if (!ok) {
    if (error.empty()) fail("rejected without an error", json);
    if (error != error_again) fail("error text is not deterministic", error + " / " + error_again);
    return 0;
  }
  if (!(again.fields == msg.fields) || again.uris != msg.uris)
    fail("decoded twice differently", json);

  EndpointFields& f = msg.fields;
  if (f.host.empty()) fail("accepted an empty host", json);
  if (f.port == 0) fail("accepted a zero effective port", json);
  if (!f.route_service_url.empty() && f.route_service_url.rfind("https", 0) != 0) {
    fail("accepted a non-https route_service_url", json);
  }
  if (!f.lb_algo.empty() && f.lb_algo != "round-robin" && f.lb_algo != "least-connection") {
    fail("accepted an unknown lb_algo", f.lb_algo);
  }
  if (f.stale_threshold_s < 0) fail("negative stale threshold", json);
  if (f.protocol.empty()) fail("empty protocol", json);

  // The registry would resolve a hostname with getaddrinfo (DNS): keep the fuzzer off the
  // network by using a numeric address instead.
  if (!numericHost(f.host)) f.host = "10.1.2.3";
  const std::string address = f.host + ":" + std::to_string(f.port);

  RouteRegistry registry(RouteRegistry::Options{});
  std::set<std::pair<std::string, std::string>> keys;  // (host, path) actually registered
  const int64_t now = 1'000'000'000;
  for (const std::string& uri : msg.uris) {
    RouteKey key;
    if (!parseRegisteredUri(uri, &key)) continue;
    const bool fresh = keys.emplace(key.host, key.path).second;
    const RegisterResult r = registry.registerEndpoint(key, f, now);
    if (fresh && r != RegisterResult::Added) fail("first register is not Added", uri);
    if (registry.registerEndpoint(key, f, now + 1) != RegisterResult::Heartbeat) {
      fail("identical re-register is not a heartbeat", uri);
    }
  }
  if (registry.routeCount() != keys.size()) fail("route count differs from distinct keys", json);
  if (registry.endpointCount() != keys.size()) fail("endpoint count differs", json);

  RouteTableConstSharedPtr table = registry.publish();
  for (const auto& [host, path] : keys) {
    // A path that kept a trailing '/' ("host//" registers "/") is reached only by requests
    // ending in "//", as the lookup trims one '/': look it up the same way.
    const std::string request = path.empty() || path.back() != '/' ? path : path + "/";
    PoolConstSharedPtr pool = table->lookup(host, request);
    if (!poolHas(pool, address))
      fail("registered key is not routable to the endpoint", host + path);
    table->lookup(host, path + "/x/../Y?z=1#f");  // no crash
  }

  // Pruning far in the future: only TLS endpoints survive (they are never TTL-pruned).
  const size_t pruned = registry.pruneStale(now + int64_t{1'000'000} * 1'000'000'000);
  if (pruned != (f.tls ? 0 : keys.size())) fail("prune count", json);
  if (registry.endpointCount() != (f.tls ? keys.size() : 0)) fail("endpoints after prune", json);

  if (f.tls) {
    for (const std::string& uri : msg.uris) {
      RouteKey key;
      if (!parseRegisteredUri(uri, &key)) continue;
      registry.unregisterEndpoint(key, f.host, f.port, now + 2);
    }
    if (registry.endpointCount() != 0) fail("endpoints left after unregister", json);
  }
  table = registry.publish();
  for (const auto& [host, path] : keys) {
    if (poolHas(table->lookup(host, path), address))
      fail("removed endpoint still routable", host + path);
  }
  return 0;
}
