#pragma once
// Active health checks per route (options.health_check, beyond gorouter: ROUTER-PROTOCOL.md 12
// #4). Every checked endpoint's address gets a GET of the check's path every interval_ms, from
// the control thread's event loop (libevent's HTTP client), never from a worker. 2xx and 3xx
// pass; any other status, a timeout (timeout_ms) or a failed connection fails. After
// unhealthy_threshold failures in a row the endpoint leaves rotation (Endpoint::health_down,
// which the pickers skip like a pruned endpoint); after healthy_threshold passes in a row it
// returns. A new check starts healthy, so that a route is never down before its first check.
//
// Checks are keyed by address and spec, and hold only weak references to the Endpoint objects
// registered for them (one per route the address serves, and each replacement): a register
// re-attaches the current object, and once every object is gone (unregistered or pruned, and
// released by the route tables) the checks of that address stop.
//
// Control thread only.

#include <event2/event.h>

#include <map>
#include <memory>
#include <string>

#include "router/route/endpoint.h"

struct evhttp_connection;
struct evhttp_request;

namespace foundry::router {

class HealthChecker {
 public:
  explicit HealthChecker(event_base* base);
  ~HealthChecker();
  HealthChecker(const HealthChecker&) = delete;
  HealthChecker& operator=(const HealthChecker&) = delete;

  // Checks `endpoint` (fields().health_check.path not empty) from now on, or adds it to the
  // running checks of its address and spec, taking their current state. Heartbeats may call it
  // again with the same object: nothing changes. Endpoints whose address is not an IP literal
  // are not checked (resolving a name would block the control thread).
  void watch(const EndpointSharedPtr& endpoint);

  size_t checkCount() const { return checks_.size(); }

 private:
  struct Check;
  static void onTimer(evutil_socket_t, short, void* arg);
  static void onResponse(evhttp_request* request, void* arg);
  void probe(Check* check);
  void record(Check* check, bool passed);

  event_base* base_;
  std::map<std::string, std::unique_ptr<Check>> checks_;
};

}  // namespace foundry::router
