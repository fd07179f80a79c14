#include "router/config/reload_plan.h"

#include <utility>

namespace foundry::router {
namespace {

// One restart-only key: its gorouter name, whether two configs differ in it, and how to put
// the running value back.
struct RestartOnlyKey {
  const char* name;
  bool (*differs)(const Config& a, const Config& b);
  void (*keep)(Config* next, const Config& running);
};

template <auto Field>
RestartOnlyKey key(const char* name) {
  return RestartOnlyKey{
      name,
      [](const Config& a, const Config& b) { return !(a.*Field == b.*Field); },
      [](Config* next, const Config& running) { next->*Field = running.*Field; },
  };
}

// Why each needs a restart, by what reads it:
const RestartOnlyKey kRestartOnly[] = {
    // The worker threads and their event loops are made once.
    key<&Config::workers>("workers"),
    key<&Config::event_backend>("event_backend"),
    // Which listeners exist is fixed at start (their addresses may move).
    key<&Config::enable_ssl>("enable_ssl"),
    key<&Config::disable_http>("disable_http"),
    // The control plane (registry, pruning, NATS) holds the start-up config.
    key<&Config::index>("index"),
    key<&Config::nats_hosts>("nats.hosts"),
    key<&Config::nats_user>("nats.user"),
    key<&Config::nats_pass>("nats.pass"),
    key<&Config::droplet_stale_threshold_ns>("droplet_stale_threshold"),
    key<&Config::prune_stale_droplets_interval_ns>("prune_stale_droplets_interval"),
    key<&Config::start_response_delay_interval_ns>("start_response_delay_interval"),
    key<&Config::suspend_pruning_if_nats_unavailable>("suspend_pruning_if_nats_unavailable"),
    key<&Config::empty_pool_timeout_ns>("empty_pool_timeout"),
    key<&Config::balancing_algorithm>("balancing_algorithm"),  // the registry's default LB
    // The status server binds and checks credentials with the start-up config.
    key<&Config::status_host>("status.host"),
    key<&Config::status_port>("status.port"),
    key<&Config::status_user>("status.user"),
    key<&Config::status_pass>("status.pass"),
    key<&Config::status_routes_port>("status.routes.port"),
    key<&Config::prometheus_port>("prometheus.port"),
    // Each worker's upstream pool is sized at start.
    key<&Config::max_idle_conns>("max_idle_conns"),
    key<&Config::max_idle_conns_per_host>("max_idle_conns_per_host"),
    key<&Config::backend_idle_timeout_ns>("backend_idle_timeout"),
    // The access log writer is set up at start (SIGHUP reopens the same file).
    key<&Config::access_log_file>("access_log.file"),
    key<&Config::disable_log_forwarded_for>("logging.disable_log_forwarded_for"),
    key<&Config::disable_log_source_ip>("logging.disable_log_source_ip"),
    key<&Config::redact_query_params>("logging.redact_query_params"),
};

}  // namespace

ReloadPlan planReload(const Config& running, Config loaded) {
  ReloadPlan plan;
  for (const RestartOnlyKey& k : kRestartOnly) {
    if (k.differs(running, loaded)) {
      plan.needs_restart.push_back(k.name);
      k.keep(&loaded, running);
    }
  }
  plan.listener_moved =
      !loaded.disable_http && (loaded.ip != running.ip || loaded.port != running.port);
  plan.tls_listener_moved =
      loaded.enable_ssl && (loaded.ip != running.ip || loaded.ssl_port != running.ssl_port);
  plan.config = std::move(loaded);
  return plan;
}

std::string joinKeys(const std::vector<std::string>& keys) {
  std::string out;
  for (const std::string& k : keys) {
    if (!out.empty()) out += ", ";
    out += k;
  }
  return out;
}

}  // namespace foundry::router
