// cell: Diego's rep + executor for one machine (scheduler/PROTOCOL.md, README.md here).
//
//   cell --work-dir DIR --secrets DIR [--listen 127.0.0.1:9100]
//        [--scheduler http://127.0.0.1:9023] ...
//
// --secrets DIR holds the internal key every platform process shares: the cell's API refuses
// calls without a token signed with it (GET /ping aside), and the cell signs its own calls.
//
// The HTTP API runs on a libevent loop in this thread; instance lifecycles and the presence
// loop run on their own threads. SIGINT/SIGTERM stop every instance, then exit.
#include <event2/event.h>
#include <sys/stat.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <csignal>
#include <filesystem>
#include <iostream>
#include <optional>

#include "common/auth/internal_credentials.h"
#include "common/log/log.h"
#include "scheduler/cell/cell.h"
#include "scheduler/cell/config.h"
#include "scheduler/cell/http_api.h"
#include "scheduler/cell/port_allocator.h"

namespace {

namespace fs = std::filesystem;
namespace log = foundry::log;
using foundry::cell::CellConfig;

std::string launcherNextToSelf() {
  std::error_code ec;
  fs::path self = fs::read_symlink("/proc/self/exe", ec);
  if (ec) return "launcher";
  return (self.parent_path() / "launcher").string();
}

void onSignal(evutil_socket_t, short, void* arg) {
  event_base_loopbreak(static_cast<event_base*>(arg));
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"cell: runs app instances for the scheduler (Diego's rep + executor)"};
  std::string listen = "127.0.0.1:9100", ports = "61000-61999", tags, level = "info";
  CellConfig config;
  int memory_mb = 0, disk_mb = 0, max_containers = 250;
  app.add_option("--listen", listen, "HOST:PORT of the cell's API")->capture_default_str();
  app.add_option("--id", config.id, "cell id (default cell-<port>)");
  app.add_option("--scheduler", config.scheduler_url, "scheduler URL")->capture_default_str();
  app.add_option("--address", config.address, "IP the instances are reachable at")
      ->capture_default_str();
  app.add_option("--zone", config.zone, "availability zone")->capture_default_str();
  app.add_option("--placement-tags", tags, "comma-separated placement tags");
  app.add_option("--memory-mb", memory_mb, "memory capacity (default: MemTotal)");
  app.add_option("--disk-mb", disk_mb, "disk capacity (default: free space of --work-dir)");
  app.add_option("--max-containers", max_containers, "most instances at once")
      ->capture_default_str();
  app.add_option("--ports", ports, "instance port range FROM-TO")->capture_default_str();
  app.add_option("--work-dir", config.work_dir, "instances and the droplet cache")->required();
  app.add_option("--secrets", config.secrets_dir,
                 "DIR of the internal credentials shared by every platform process (required; "
                 "made 0700 with a new key when absent)");
  app.add_option("--launcher", config.launcher, "launcher binary (default: next to cell)");
  app.add_option("--nats", config.nats_url, "NATS URL for app logs (optional)");
  app.add_option("--stop-grace-s", config.stop_grace_s, "SIGTERM to SIGKILL delay")
      ->capture_default_str();
  app.add_option("--unhealthy-interval-ms", config.unhealthy_interval_ms,
                 "startup health check period")
      ->capture_default_str();
  app.add_option("--log-level", level, "debug|info|warn|error")->capture_default_str();
  CLI11_PARSE(app, argc, argv);

  auto fail = [](const std::string& why) {
    std::cerr << "cell: " << why << "\n";
    return 2;
  };
  log::Level lv;
  if (!log::parseLevel(level, &lv)) return fail("bad --log-level " + level);
  log::setLevel(lv);
  if (config.secrets_dir.empty()) {
    std::cerr << "cell: --secrets DIR is required (the internal credentials the scheduler and "
                 "the controller share)\n"
              << app.help();
    return 2;
  }
  if (!foundry::cell::parseHostPort(listen, &config.listen_host, &config.listen_port)) {
    return fail("--listen must be HOST:PORT, got " + listen);
  }
  if (!foundry::cell::parsePortRange(ports, &config.port_first, &config.port_last)) {
    return fail("--ports must be FROM-TO within 1-65535, got " + ports);
  }
  if (config.stop_grace_s < 0) return fail("--stop-grace-s must be >= 0");
  if (config.unhealthy_interval_ms < 10) return fail("--unhealthy-interval-ms must be >= 10");
  if (max_containers < 0 || memory_mb < 0 || disk_mb < 0) {
    return fail("capacities must be >= 0");
  }
  std::error_code ec;
  fs::create_directories(config.work_dir, ec);
  fs::path work = fs::weakly_canonical(fs::absolute(config.work_dir, ec), ec);
  if (ec || !fs::is_directory(work)) return fail("cannot use --work-dir " + config.work_dir);
  config.work_dir = work.string();
  if (config.id.empty()) config.id = "cell-" + std::to_string(config.listen_port);
  if (config.launcher.empty()) config.launcher = launcherNextToSelf();
  if (access(config.launcher.c_str(), X_OK) != 0) {
    return fail("the launcher " + config.launcher + " is not executable (see --launcher)");
  }
  config.placement_tags = foundry::cell::splitTags(tags);
  config.total.memory_mb = memory_mb > 0 ? memory_mb : foundry::cell::machineMemoryMb();
  config.total.disk_mb = disk_mb > 0 ? disk_mb : foundry::cell::freeDiskMb(config.work_dir);
  config.total.containers = max_containers;
  std::optional<foundry::auth::InternalCredentials> credentials;
  try {
    credentials = foundry::auth::InternalCredentials::loadOrCreate(config.secrets_dir);
  } catch (const std::exception& e) {
    std::cerr << "cell: " << e.what() << "\n";
    return 1;
  }
  config.authorize = credentials->signer("cell:" + config.id);

  std::signal(SIGPIPE, SIG_IGN);
  event_base* base = event_base_new();
  int status = 0;
  {
    foundry::cell::Cell cell(config);
    foundry::cell::HttpApi api(base, cell, *credentials);
    std::string error;
    if (!api.listen(config.listen_host, config.listen_port, &error)) {
      log::error("cell", "listen-failed", {{"error", error}});
      status = 1;
    } else {
      event* sigint = evsignal_new(base, SIGINT, onSignal, base);
      event* sigterm = evsignal_new(base, SIGTERM, onSignal, base);
      event_add(sigint, nullptr);
      event_add(sigterm, nullptr);
      cell.startPresence();
      log::info("cell", "started",
                {{"id", config.id},
                 {"listen", listen},
                 {"rep_url", config.repUrl()},
                 {"scheduler", config.scheduler_url},
                 {"work_dir", config.work_dir},
                 {"secrets", config.secrets_dir},
                 {"memory_mb", std::to_string(config.total.memory_mb)},
                 {"disk_mb", std::to_string(config.total.disk_mb)},
                 {"containers", std::to_string(config.total.containers)},
                 {"memory_limits", cell.memoryLimitMode()}});
      event_base_dispatch(base);
      log::info("cell", "stopping", {});
      event_free(sigint);
      event_free(sigterm);
    }
    cell.shutdown();
  }
  event_base_free(base);
  return status;
}
