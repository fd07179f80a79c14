#include "router/server/config_reloader.h"

#include <unistd.h>

#include <array>
#include <utility>

#include "common/log/log.h"
#include "router/config/reload_plan.h"
#include "router/proxy/listen_socket.h"
#include "router/proxy/worker.h"

namespace foundry::router {
namespace {

void refuse(const std::string& error, uint64_t running_generation) {
  log::error("router", "config-reload-failed",
             {{"error", error}, {"running_generation", std::to_string(running_generation)}});
}

}  // namespace

ConfigReloader::ConfigReloader(std::string path, LiveConfigPublisher& publisher)
    : path_(std::move(path)), publisher_(publisher) {}

bool ConfigReloader::reload() {
  const LiveConfigConstSharedPtr running = publisher_.current();
  Config loaded;
  std::string error;
  if (!loadConfigFile(path_, &loaded, &error)) {
    refuse(error, running->generation);
    return false;
  }
  ReloadPlan plan = planReload(running->config, std::move(loaded));
  LiveConfigConstSharedPtr next = buildLiveConfig(std::move(plan.config),
                                                  running->generation + 1, running.get(), &error);
  if (next == nullptr) {
    refuse(error, running->generation);
    return false;
  }
  const Config& config = next->config;

  // Bind every new listener before anything changes, so that a port in use leaves the router
  // exactly as it was. [worker][tls]
  std::vector<std::array<int, 2>> listeners(workers_.size(), {-1, -1});
  auto closeOpened = [&listeners] {
    for (auto& pair : listeners) {
      for (int fd : pair) {
        if (fd >= 0) ::close(fd);
      }
    }
  };
  for (int tls = 0; tls < 2; ++tls) {
    if (!(tls ? plan.tls_listener_moved : plan.listener_moved)) continue;
    const uint16_t port = tls ? config.ssl_port : config.port;
    sockaddr_storage address;
    socklen_t address_len = 0;
    if (!listenAddress(config.ip, port, &address, &address_len, &error)) {
      closeOpened();
      refuse(error, running->generation);  // checked even before the workers listen
      return false;
    }
    for (size_t i = 0; i < workers_.size(); ++i) {
      const int fd = workers_[i]->openReplacementListener(config.ip, port, &error);
      if (fd < 0) {
        closeOpened();
        refuse(error, running->generation);
        return false;
      }
      listeners[i][tls] = fd;
    }
  }

  if (!plan.needs_restart.empty()) {
    log::warn("router", "config-needs-restart",
              {{"keys", joinKeys(plan.needs_restart)},
               {"note", "these keep their running values until the router restarts"}});
  }
  publisher_.publish(next);
  for (size_t i = 0; i < listeners.size(); ++i) {
    for (int tls = 0; tls < 2; ++tls) {
      if (listeners[i][tls] >= 0) workers_[i]->replaceListener(tls == 1, listeners[i][tls]);
    }
  }
  log::Level level = log::Level::Info;
  if (log::parseLevel(config.logging_level, &level)) log::setLevel(level);

  log::info("router", "config-reloaded",
            {{"generation", std::to_string(next->generation)},
             {"listen", config.ip + ":" + std::to_string(config.port)},
             {"listener_moved", plan.listener_moved ? "true" : "false"},
             {"tls_listener_moved", plan.tls_listener_moved ? "true" : "false"},
             {"needs_restart", joinKeys(plan.needs_restart)}});
  return true;
}

}  // namespace foundry::router
