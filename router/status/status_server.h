#pragma once
// The status listeners (ROUTER-PROTOCOL.md 9.1), served with evhttp on the control thread:
//  - status.host:status.port: GET /health (200 "ok\n" or 503 with an empty body) and
//    /is-process-alive-do-not-use-for-loadbalancing; Cache-Control: private, max-age=0 and
//    Expires: 0; connection closed after each response.
//  - 127.0.0.1:status.routes.port: GET /routes behind basic auth (status.user / status.pass),
//    gorouter's JSON shape: {"host/path": [{"address": ..., "availability_zone": ...,
//    "protocol": ..., "tls": ..., "ttl": ..., "tags": {...}, ...}]}.
//  - GET /metrics (Prometheus text) on the status port, once a metrics source is set, and also
//    on status.host:prometheus.port when that is configured. gorouter serves /metrics only on
//    prometheus.port, with TLS/mTLS; we serve it plain on both (no TLS support yet), without
//    auth, like /health.
// Control thread only.

#include <event2/event.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "router/config/config.h"
#include "router/registry/route_registry.h"

namespace foundry::router {

class StatusServer {
 public:
  StatusServer(event_base* control_base, const Config& config, const RouteRegistry& registry,
               std::function<bool()> healthy);
  ~StatusServer();

  // The /metrics body, produced on the control thread per request. Set before start().
  void setMetricsSource(std::function<std::string()> source);
  // Binds the listeners. Returns false with *error when a port cannot be bound.
  bool start(std::string* error);
  // The ports actually bound (useful when the config asks for port 0); 0 before start().
  uint16_t healthPort() const;
  uint16_t routesPort() const;
  // 0 unless prometheus.port is configured and a metrics source is set.
  uint16_t prometheusPort() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace foundry::router
