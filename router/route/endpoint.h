#pragma once
// One backend instance registered under one or more routes (ROUTER-PROTOCOL.md 1.2, 1.4).
// The registration fields are immutable once published; a register message with different
// fields replaces the Endpoint object (the old one lives on while requests still hold it).
// The runtime counters are shared between workers and only touched with relaxed atomics.

#include <netinet/in.h>
#include <sys/socket.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

#include "router/route/tag_map.h"

namespace foundry::router {

enum class LbAlgorithm { RoundRobin, LeastConnection };

// options.health_check: the router's own active check of the endpoint (health/health_checker.h).
// An empty path means none.
struct HealthCheckSpec {
  std::string path;
  int64_t interval_ms = 2000;
  int64_t timeout_ms = 1000;
  int64_t healthy_threshold = 2;    // passes in a row that bring a down endpoint back
  int64_t unhealthy_threshold = 2;  // failures in a row that take it out of rotation
  bool operator==(const HealthCheckSpec&) const = default;
};

struct EndpointFields {
  std::string host;
  uint16_t port = 0;  // effective port: tls_port when non-zero, else port
  bool tls = false;
  // options.weight: the share of the route's traffic for this endpoint's app, 1..100; 0 when
  // the register message had none (no weighting). Fits in the padding after `tls`.
  uint8_t weight = 0;
  std::string app_id;
  std::string private_instance_id;
  std::string private_instance_index;
  TagMap tags;  // one shared block, not a std::map: see tag_map.h
  std::string route_service_url;
  std::string server_cert_domain_san;
  int64_t stale_threshold_s = 0;
  std::string isolation_segment;
  std::string protocol = "http1";
  std::string availability_zone;
  int64_t updated_at_ns = 0;
  std::string lb_algo;  // "", "round-robin" or "least-connection" (options.loadbalancing)
  HealthCheckSpec health_check;

  bool operator==(const EndpointFields&) const = default;
};

class Endpoint {
 public:
  explicit Endpoint(EndpointFields fields);

  const EndpointFields& fields() const { return fields_; }
  // "host:port", the endpoint's identity within a pool.
  const std::string& address() const { return address_; }
  // Resolved once at registration (on the control thread); family AF_UNSPEC if unresolvable.
  const sockaddr_storage& sockaddr() const { return sockaddr_; }
  socklen_t sockaddrLen() const { return sockaddr_len_; }
  // X-CF-InstanceID value: private_instance_id, or host:port when empty.
  const std::string& instanceIdHeader() const {
    return fields_.private_instance_id.empty() ? address_ : fields_.private_instance_id;
  }

  // Monotonic time of the last register (heartbeat) for this endpoint.
  std::atomic<int64_t> last_seen_ns{0};
  // Monotonic time of the last failure, 0 if none; used to skip it for 30 s.
  std::atomic<int64_t> failed_at_ns{0};
  // Monotonic time a TLS failure pruned it (ROUTER-PROTOCOL.md 8.2), 0 if never: it is out of
  // rotation until a register newer than that brings it back, as gorouter's prune + re-add.
  std::atomic<int64_t> pruned_at_ns{0};
  bool pruned() const {
    const int64_t pruned = pruned_at_ns.load(std::memory_order_relaxed);
    return pruned != 0 && pruned >= last_seen_ns.load(std::memory_order_relaxed);
  }
  // Set by the health checker (control thread) while the endpoint fails its active checks:
  // out of rotation like a pruned one. Carried over when a register replaces the object.
  std::atomic<bool> health_down{false};
  bool outOfRotation() const { return pruned() || health_down.load(std::memory_order_relaxed); }
  // In-flight attempts (least-connection and max_conns).
  std::atomic<int32_t> in_flight{0};
  // Set by the registry when this object is created for an add or a change (never for a
  // heartbeat), from one increasing counter: the newest of an app's endpoints carries the
  // app's weight (weighted_apps.h). Written before the object is published, then read-only.
  uint64_t change_seq = 0;

 private:
  EndpointFields fields_;
  std::string address_;
  sockaddr_storage sockaddr_{};
  socklen_t sockaddr_len_ = 0;
};

using EndpointSharedPtr = std::shared_ptr<Endpoint>;

}  // namespace foundry::router
