// router: a gorouter-compatible HTTP router. `router -c gorouter.yml`.
//
// Start-up follows gorouter (ROUTER-PROTOCOL.md 9.2): connect to NATS (exit on failure), start
// the status listener (health 503), publish router.start and subscribe, wait
// start_response_delay_interval so emitters can re-register everything, then open the data
// port on every worker and turn health to 200. SIGHUP reopens the access log and reloads the
// config (config_reloader.h); SIGUSR1 drains; SIGTERM / SIGINT stop.

#include <event2/thread.h>
#include <signal.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cstdio>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "router/common/clock.h"
#include "common/log/log.h"
#include "router/config/config.h"
#include "router/observe/access_log.h"
#include "router/observe/metrics.h"
#include "router/observe/observer_chain.h"
#include "router/config/live_config.h"
#include "router/proxy/worker.h"
#include "router/server/config_reloader.h"
#include "router/server/control_plane.h"

using namespace foundry;
using namespace foundry::router;

namespace {

void usage() { std::fprintf(stderr, "usage: router -c CONFIG.yml\n"); }

// Waits for one of the blocked signals, at most `timeout_ns` (-1: forever). Returns the signal,
// or 0 on timeout.
int waitSignal(const sigset_t& set, int64_t timeout_ns) {
  while (true) {
    int sig;
    if (timeout_ns < 0) {
      sig = sigwaitinfo(&set, nullptr);
    } else {
      timespec ts{static_cast<time_t>(timeout_ns / kNanosPerSecond),
                  static_cast<long>(timeout_ns % kNanosPerSecond)};
      sig = sigtimedwait(&set, nullptr, &ts);
    }
    if (sig > 0) return sig;
    if (errno == EAGAIN) return 0;
    if (errno != EINTR) return 0;
  }
}

// Graceful drain (ROUTER-PROTOCOL.md 9.3): health 503 at once (and for good), keep serving for
// drain_wait so load balancers notice, then close listeners and idle connections and give
// in-flight requests up to drain_timeout (both as the last reload set them). SIGTERM / SIGINT
// cut any phase short.
void drain(ControlPlane& control, std::vector<std::unique_ptr<Worker>>& workers,
           const Config& config, const sigset_t& signals) {
  control.setHealthy(false);
  log::info("router", "drain-started",
            {{"drain_wait_s", std::to_string(config.drain_wait_ns / kNanosPerSecond)}});
  int64_t deadline = monotonicNanos() + config.drain_wait_ns;
  while (monotonicNanos() < deadline) {
    int sig = waitSignal(signals, deadline - monotonicNanos());
    if (sig == SIGTERM || sig == SIGINT) return;
  }
  for (auto& worker : workers) worker->beginDrain();
  deadline = monotonicNanos() + config.drain_timeout_ns;
  constexpr int64_t kPollNs = 50 * kNanosPerMilli;
  while (monotonicNanos() < deadline) {
    uint64_t active = 0;
    for (auto& worker : workers) active += worker->activeConnections();
    if (active == 0) break;
    int sig = waitSignal(signals, kPollNs);
    if (sig == SIGTERM || sig == SIGINT) return;
  }
  log::info("router", "drain-finished");
}

}  // namespace

int main(int argc, char** argv) {
  std::string config_path;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if ((arg == "-c" || arg == "--config") && i + 1 < argc) {
      config_path = argv[++i];
    } else if (arg == "-h" || arg == "--help") {
      usage();
      return 0;
    } else {
      usage();
      return 2;
    }
  }
  if (config_path.empty()) {
    usage();
    return 2;
  }

  Config config;
  std::string error;
  if (!loadConfigFile(config_path, &config, &error)) {
    log::error("router", "config-error", {{"error", error}});
    std::fprintf(stderr, "router: %s\n", error.c_str());
    return 1;
  }
  log::Level level = log::Level::Info;
  log::parseLevel(config.logging_level, &level);
  log::setLevel(level);

  // Signals are handled synchronously by the main thread; every other thread inherits the mask.
  signal(SIGPIPE, SIG_IGN);
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGUSR1);
  sigaddset(&signals, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  // nats.c delivers on its own threads and hands messages to the control loop.
  evthread_use_pthreads();

  int workers = config.workers > 0 ? config.workers
                                   : static_cast<int>(std::thread::hardware_concurrency());
  if (workers <= 0) workers = 1;

  // The data plane's event loop: decided once, before anything starts, so that a forced
  // io_uring this kernel refuses stops start-up with the reason.
  EventBackend backend = EventBackend::Epoll;
  std::string backend_note;
  if (!chooseEventBackend(config.event_backend, &backend, &backend_note)) {
    log::error("router", "event-backend-unavailable", {{"error", backend_note}});
    std::fprintf(stderr, "router: %s\n", backend_note.c_str());
    return 1;
  }
  if (backend_note.empty()) {
    log::info("router", "event-backend",
              {{"backend", eventBackendName(backend)}, {"setting", config.event_backend}});
  } else {
    log::info("router", "event-backend",
              {{"backend", eventBackendName(backend)}, {"setting", config.event_backend},
               {"io_uring_unavailable", backend_note}});
  }

  // Observability: metrics always, the access log when access_log.file is set (a file that
  // cannot be opened stops start-up, as in gorouter). Both are fed by the workers.
  Metrics metrics(workers);
  std::unique_ptr<AccessLog> access_log;
  if (!config.access_log_file.empty()) {
    AccessLog::Options options;
    options.path = config.access_log_file;
    options.lanes = workers;
    options.format.disable_log_forwarded_for = config.disable_log_forwarded_for;
    options.format.disable_log_source_ip = config.disable_log_source_ip;
    options.format.redact_query_params = config.redact_query_params;
    access_log = std::make_unique<AccessLog>(std::move(options));
    if (!access_log->start(&error)) {
      log::error("router", "access-log-error", {{"error", error}});
      std::fprintf(stderr, "router: %s\n", error.c_str());
      return 1;
    }
  }
  ObserverChain observer({&metrics, access_log.get()});

  // What the data plane runs with: this config now, a new snapshot after each accepted SIGHUP
  // reload. `config` itself stays as loaded: the control plane keeps reading it. TLS is built
  // here, before anything listens: a bad certificate or key stops start-up with a message
  // naming the config key.
  LiveConfigConstSharedPtr initial = buildLiveConfig(config, 1, nullptr, &error);
  if (initial == nullptr) {
    log::error("router", "config-error", {{"error", error}});
    std::fprintf(stderr, "router: %s\n", error.c_str());
    return 1;
  }
  LiveConfigPublisher live(std::move(initial));
  ConfigReloader reloader(config_path, live);
  // Route-service host names are resolved on the resolver's own thread.
  AddressResolver route_service_resolver;
  const RouteServiceConfig& route_services = *live.current()->route_services;
  log::info("router", "route-services",
            {{"enabled", route_services.enabled() ? "true" : "false"},
             {"key_rotation", config.route_services_secret_decrypt_only.empty() ? "false" : "true"},
             {"hairpinning", route_services.hairpinning() ? "true" : "false"}});

  ControlPlane control(config);
  control.setMetricsSource([&control, &metrics, &access_log] {
    return metrics.renderPrometheus(control.controlMetrics(), access_log.get());
  });
  if (!control.start(&error)) {
    log::error("router", "startup-failed", {{"error", error}});
    std::fprintf(stderr, "router: %s\n", error.c_str());
    return 1;
  }
  log::info("router", "waiting-for-route-registration",
            {{"seconds", std::to_string(config.start_response_delay_interval_ns / kNanosPerSecond)}});
  if (config.start_response_delay_interval_ns > 0) {
    const int64_t deadline = monotonicNanos() + config.start_response_delay_interval_ns;
    int sig = waitSignal(signals, config.start_response_delay_interval_ns);
    // SIGHUP reopens the access log (log rotation), reloads the config and keeps waiting.
    while (sig == SIGHUP && monotonicNanos() < deadline) {
      if (access_log) access_log->reopen();
      reloader.reload();
      sig = waitSignal(signals, deadline - monotonicNanos());
    }
    if (sig == SIGTERM || sig == SIGINT) {
      control.stop();
      return 0;
    }
  }

  std::vector<std::unique_ptr<Worker>> pool;
  for (int i = 0; i < workers; ++i) {
    auto worker = std::make_unique<Worker>(i, live, control.publisher(), backend);
    if (!worker->listen(&error)) {
      log::error("router", "listen-failed", {{"error", error}});
      std::fprintf(stderr, "router: %s\n", error.c_str());
      control.stop();
      return 1;
    }
    worker->setObserver(&observer);
    worker->setRouteServiceResolver(&route_service_resolver);
    pool.push_back(std::move(worker));
  }
  for (auto& worker : pool) worker->start();
  std::vector<Worker*> worker_list;
  for (auto& worker : pool) worker_list.push_back(worker.get());
  reloader.setWorkers(std::move(worker_list));
  control.setHealthy(true);
  log::info("router", "router-started",
            {{"port", live.current()->config.disable_http
                          ? std::string("-")
                          : std::to_string(live.current()->config.port)},
             {"tls_port", live.current()->config.enable_ssl
                              ? std::to_string(live.current()->config.ssl_port)
                              : std::string("-")},
             {"workers", std::to_string(workers)},
             {"event_backend", eventBackendName(backend)}});

  while (true) {
    int sig = waitSignal(signals, -1);
    if (sig == SIGTERM || sig == SIGINT) break;
    if (sig == SIGHUP) {
      if (access_log) access_log->reopen();  // logrotate moved the file
      reloader.reload();
      continue;
    }
    if (sig == SIGUSR1) {
      drain(control, pool, live.current()->config, signals);
      break;
    }
  }
  log::info("router", "router-stopping");
  control.setHealthy(false);
  for (auto& worker : pool) worker->stop();
  pool.clear();
  if (access_log) access_log->stop();  // writes out what the workers queued
  control.stop();
  return 0;
}
