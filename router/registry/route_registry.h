#pragma once
// The one mutable copy of the routing state. Owned by the control thread: every method must be
// called from that thread only (no locks inside). Workers never see it; they read the immutable
// RouteTable snapshots it publishes through TablePublisher.
//
// Semantics follow ROUTER-PROTOCOL.md 1.4 and 1.5:
//  - within a route key, an endpoint's identity is host:effective_port;
//  - register of an absent endpoint: Added; present with equal fields: a heartbeat (Updated,
//    only last_seen_ns refreshed: no new Pool, no table copy); present with different fields:
//    replaced in place (Updated, new Endpoint object, new Pool);
//  - unregister removes by host:port; a pool that becomes empty is deleted (unless
//    empty_pool_timeout > 0, then it is kept that long after its last change).
//  - pruning removes non-TLS endpoints not heartbeated within their threshold.
//  - a key with a path_regex is a regex route: its pattern is compiled (RE2) here, once, when
//    the route appears; heartbeats and new endpoints reuse it, and the published tables share
//    it. An invalid pattern refuses the register (Rejected), nothing is created.

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "router/route/endpoint.h"
#include "router/route/pool.h"
#include "router/route/route_key.h"
#include "router/route/route_table.h"

namespace foundry::router {

enum class RegisterResult { Added, Updated, Heartbeat, Rejected };
enum class UnregisterResult { Removed, NotFound };

class RouteRegistry {
 public:
  struct Options {
    int64_t droplet_stale_threshold_ns = 120'000'000'000;
    int64_t empty_pool_timeout_ns = 0;
    LbAlgorithm default_lb = LbAlgorithm::RoundRobin;
  };
  explicit RouteRegistry(Options options);
  ~RouteRegistry();

  // Rejected (with *error set when `error` is not null) only for a key.path_regex that does
  // not compile (path_regex.h). Otherwise *registered (when not null) is set to the endpoint
  // object now in the pool (for the health checker).
  RegisterResult registerEndpoint(const RouteKey& key, const EndpointFields& fields,
                                  int64_t now_ns, std::string* error = nullptr,
                                  EndpointSharedPtr* registered = nullptr);
  UnregisterResult unregisterEndpoint(const RouteKey& key, const std::string& host,
                                      uint16_t port, int64_t now_ns);

  // Removes stale non-TLS endpoints (and expired empty pools). Returns the number of
  // endpoints removed.
  size_t pruneStale(int64_t now_ns);
  // Gives every endpoint a fresh TTL (after a NATS outage).
  void resetTimestamps(int64_t now_ns);

  // True when something changed since the last publish().
  bool dirty() const;
  // Builds the next immutable table, sharing every shard, host and pool that did not change.
  // Always complete: a table never shows a change without every change made before it (a
  // publish in slices would, and a route registered after another could become visible
  // first).
  RouteTableConstSharedPtr publish();

  size_t routeCount() const;     // route keys (host + path) with a pool
  size_t endpointCount() const;  // sum of pool sizes

  // Visits every route key: (uri as "host/path", or "host~pattern" for a regex route, pool).
  // For /routes.
  void forEachRoute(const std::function<void(const std::string&, const Pool&)>& visit) const;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace foundry::router
