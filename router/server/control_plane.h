#pragma once
// The control thread: owns the RouteRegistry, the NATS subscription, pruning and the status
// server, all on one libevent loop, so the registry needs no lock. Changes are coalesced for a
// couple of milliseconds and then published to the workers as one new RouteTable generation.

#include <event2/event.h>

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "router/config/config.h"
#include "router/health/health_checker.h"
#include "router/nats/nats_subscriber.h"
#include "router/observe/metrics.h"
#include "router/registry/route_registry.h"
#include "router/registry/table_publisher.h"
#include "router/status/status_server.h"

namespace foundry::router {

class ControlPlane {
 public:
  explicit ControlPlane(const Config& config);
  ~ControlPlane();
  ControlPlane(const ControlPlane&) = delete;
  ControlPlane& operator=(const ControlPlane&) = delete;

  // Connects to NATS (fatal for the router when it fails, as in gorouter), starts the status
  // listeners, and runs the loop on its own thread.
  bool start(std::string* error);
  void stop();

  const TablePublisher& publisher() const { return publisher_; }
  void setHealthy(bool healthy) { healthy_.store(healthy, std::memory_order_release); }

  // The body of GET /metrics on the status server; called on the control thread. Set before
  // start().
  void setMetricsSource(std::function<std::string()> source) {
    metrics_source_ = std::move(source);
  }
  // Control thread only (e.g. from the metrics source): the registry counters with the
  // gauges (total_routes, ms_since_last_registry_update, NATS drops) filled in.
  ControlMetrics controlMetrics() const;

 private:
  static void onPublishTimer(evutil_socket_t, short, void* arg);
  static void onPruneTimer(evutil_socket_t, short, void* arg);
  static void onStop(evutil_socket_t fd, short, void* arg);
  void applyRegister(const RegistryMessage& message);
  void applyUnregister(const RegistryMessage& message);
  void schedulePublish();
  void prune();

  const Config& config_;
  event_base* base_ = nullptr;
  RouteRegistry registry_;
  TablePublisher publisher_;
  std::unique_ptr<NatsSubscriber> nats_;
  std::unique_ptr<StatusServer> status_;
  std::unique_ptr<HealthChecker> health_;  // options.health_check, on this loop
  event* publish_timer_ = nullptr;
  event* prune_timer_ = nullptr;
  bool publish_pending_ = false;
  bool pruning_suspended_ = false;
  std::atomic<bool> healthy_{false};
  ControlMetrics metrics_;  // control thread only
  std::function<std::string()> metrics_source_;
  int stop_fd_ = -1;
  event* stop_event_ = nullptr;
  std::thread thread_;
};

}  // namespace foundry::router
