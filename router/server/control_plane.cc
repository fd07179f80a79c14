#include "router/server/control_plane.h"

#include <sys/eventfd.h>
#include <unistd.h>

#include "router/common/clock.h"
#include "common/log/log.h"
#include "router/route/route_key.h"

namespace foundry::router {
namespace {

// How long registry changes are gathered before one table is published: short enough that a
// register is visible to requests within milliseconds, long enough that a burst of thousands
// of messages (a router.start resync) builds one table, not thousands.
constexpr timeval kPublishDelay = {0, 2000};

RouteRegistry::Options registryOptions(const Config& config) {
  RouteRegistry::Options options;
  options.droplet_stale_threshold_ns = config.droplet_stale_threshold_ns;
  options.empty_pool_timeout_ns = config.empty_pool_timeout_ns;
  options.default_lb = config.balancing_algorithm == "least-connection"
                           ? LbAlgorithm::LeastConnection
                           : LbAlgorithm::RoundRobin;
  return options;
}

// A std::string: the metrics maps are keyed by it ("route-emitter" fits in its inline buffer).
std::string componentTag(const RegistryMessage& message) {
  auto it = message.fields.tags.find("component");
  return it == message.fields.tags.end() ? std::string() : std::string(it->second);
}

// A message with options.path_regex names regex routes: `key` becomes one. The pattern is the
// route's whole path, so a uri with a context path beside it is refused (logged, skipped)
// rather than guessed at.
bool regexRouteKey(const RegistryMessage& message, const std::string& uri, RouteKey* key) {
  if (message.path_regex.empty()) return true;
  if (!key->path.empty()) {
    log::warn("control", "invalid-path-regex",
              {{"uri", uri},
               {"path_regex", message.path_regex},
               {"error", "a regex route's uri must not have a path"}});
    return false;
  }
  key->path_regex = message.path_regex;
  return true;
}

timeval toTimeval(int64_t ns) {
  return timeval{static_cast<time_t>(ns / kNanosPerSecond),
                 static_cast<suseconds_t>((ns % kNanosPerSecond) / 1000)};
}

}  // namespace

ControlPlane::ControlPlane(const Config& config)
    : config_(config), registry_(registryOptions(config)) {
  base_ = event_base_new();
  publish_timer_ = evtimer_new(base_, &onPublishTimer, this);
  prune_timer_ = event_new(base_, -1, EV_PERSIST, &onPruneTimer, this);
  stop_fd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  stop_event_ = event_new(base_, stop_fd_, EV_READ | EV_PERSIST, &onStop, this);
  event_add(stop_event_, nullptr);
  health_ = std::make_unique<HealthChecker>(base_);
}

ControlPlane::~ControlPlane() {
  stop();
  status_.reset();
  nats_.reset();
  health_.reset();
  event_free(publish_timer_);
  event_free(prune_timer_);
  event_free(stop_event_);
  ::close(stop_fd_);
  event_base_free(base_);
}

bool ControlPlane::start(std::string* error) {
  NatsSubscriber::Callbacks callbacks;
  callbacks.on_register = [this](const RegistryMessage& m) { applyRegister(m); };
  callbacks.on_unregister = [this](const RegistryMessage& m) { applyUnregister(m); };
  callbacks.on_connection_change = [](bool connected) {
    log::info("control", connected ? "nats-connected" : "nats-disconnected");
  };
  nats_ = std::make_unique<NatsSubscriber>(base_, config_, std::move(callbacks));
  if (!nats_->start(error)) return false;

  status_ = std::make_unique<StatusServer>(base_, config_, registry_,
                                           [this] { return healthy_.load(); });
  if (metrics_source_) status_->setMetricsSource(metrics_source_);
  if (!status_->start(error)) return false;

  timeval prune = toTimeval(config_.prune_stale_droplets_interval_ns);
  event_add(prune_timer_, &prune);
  thread_ = std::thread([this] { event_base_dispatch(base_); });
  return true;
}

void ControlPlane::stop() {
  if (!thread_.joinable()) return;
  uint64_t one = 1;
  ssize_t ignored = ::write(stop_fd_, &one, sizeof one);
  (void)ignored;
  thread_.join();
}

void ControlPlane::onStop(evutil_socket_t fd, short, void* arg) {
  uint64_t value;
  ssize_t ignored = ::read(fd, &value, sizeof value);
  (void)ignored;
  event_base_loopbreak(static_cast<ControlPlane*>(arg)->base_);
}

ControlMetrics ControlPlane::controlMetrics() const {
  ControlMetrics m = metrics_;
  m.total_routes = registry_.routeCount();
  m.ms_since_last_registry_update =
      m.last_update_mono_ns == 0 ? -1 : (monotonicNanos() - m.last_update_mono_ns) / kNanosPerMilli;
  if (nats_) {
    m.nats_dropped_messages = nats_->droppedMessages();
    m.nats_validation_errors = nats_->validationErrors();
  }
  return m;
}

void ControlPlane::applyRegister(const RegistryMessage& message) {
  const int64_t now = monotonicNanos();
  metrics_.last_update_mono_ns = now;
  ControlMetrics::RegistryMessages& counts = metrics_.registry_messages[componentTag(message)];
  for (const std::string& uri : message.uris) {
    RouteKey key;
    if (!parseRegisteredUri(uri, &key)) {
      log::warn("control", "invalid-route-uri", {{"uri", uri}});
      continue;
    }
    if (!regexRouteKey(message, uri, &key)) continue;
    std::string why;
    EndpointSharedPtr endpoint;
    RegisterResult result = registry_.registerEndpoint(key, message.fields, now, &why, &endpoint);
    if (result == RegisterResult::Rejected) {
      log::warn("control", "invalid-path-regex",
                {{"uri", uri}, {"path_regex", message.path_regex}, {"error", why}});
      continue;
    }
    if (!message.fields.health_check.path.empty()) health_->watch(endpoint);
    // gorouter counts one registry_message per URI, action added/updated/unmodified.
    ++(result == RegisterResult::Added     ? counts.added
       : result == RegisterResult::Updated ? counts.updated
                                           : counts.unmodified);
    if (result != RegisterResult::Heartbeat) {
      log::debug("control", result == RegisterResult::Added ? "endpoint-added" : "endpoint-updated",
                 {{"uri", uri},
                  {"backend", message.fields.host + ":" + std::to_string(message.fields.port)}});
    }
  }
  if (registry_.dirty()) schedulePublish();
}

void ControlPlane::applyUnregister(const RegistryMessage& message) {
  const int64_t now = monotonicNanos();
  metrics_.last_update_mono_ns = now;
  uint64_t& unregistered = metrics_.unregistry_messages[componentTag(message)];
  for (const std::string& uri : message.uris) {
    RouteKey key;
    if (!parseRegisteredUri(uri, &key) || !regexRouteKey(message, uri, &key)) continue;
    ++unregistered;
    if (registry_.unregisterEndpoint(key, message.fields.host, message.fields.port, now) ==
        UnregisterResult::Removed) {
      log::debug("control", "endpoint-removed",
                 {{"uri", uri},
                  {"backend", message.fields.host + ":" + std::to_string(message.fields.port)}});
    }
  }
  if (registry_.dirty()) schedulePublish();
}

void ControlPlane::schedulePublish() {
  if (publish_pending_) return;
  publish_pending_ = true;
  evtimer_add(publish_timer_, &kPublishDelay);
}

void ControlPlane::onPublishTimer(evutil_socket_t, short, void* arg) {
  auto* self = static_cast<ControlPlane*>(arg);
  self->publish_pending_ = false;
  if (self->registry_.dirty()) self->publisher_.publish(self->registry_.publish());
}

void ControlPlane::onPruneTimer(evutil_socket_t, short, void* arg) {
  auto* self = static_cast<ControlPlane*>(arg);
  self->prune();
  // Tables replaced by the last publishes are freed once workers have let go of them; with
  // no publish since, this is when that happens.
  self->publisher_.collect();
}

void ControlPlane::prune() {
  const int64_t now = monotonicNanos();
  if (config_.suspend_pruning_if_nats_unavailable) {
    if (!nats_->connected()) {
      if (!pruning_suspended_) log::info("control", "prune-suspended");
      pruning_suspended_ = true;
      return;
    }
    if (pruning_suspended_) {
      // Back from an outage: emitters could not heartbeat, so give every route a full TTL.
      pruning_suspended_ = false;
      registry_.resetTimestamps(now);
      log::info("control", "prune-resumed");
      return;
    }
  }
  size_t pruned = registry_.pruneStale(now);
  metrics_.routes_pruned += pruned;
  if (pruned > 0) {
    log::info("control", "prune-stale-routes", {{"count", std::to_string(pruned)}});
  }
  if (registry_.dirty()) schedulePublish();
}

}  // namespace foundry::router
