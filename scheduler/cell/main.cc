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
#include <memory>
#include <optional>

#include "common/auth/internal_credentials.h"
#include "common/log/log.h"
#include "scheduler/cell/cell.h"
#include "scheduler/cell/config.h"
#include "scheduler/cell/container_cgroup.h"
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

// The folder `lifecycle` next to the cell binary when there is one, else "".
std::string lifecycleNextToSelf() {
  std::error_code ec;
  fs::path self = fs::read_symlink("/proc/self/exe", ec);
  if (ec) return "";
  fs::path dir = self.parent_path() / "lifecycle";
  return fs::is_directory(dir, ec) ? dir.string() : "";
}

// `name` as an absolute path: as given when it has a '/', else found in PATH or the sbin
// directories (runc lives in /usr/sbin, which a plain user's PATH may lack). "" when absent.
std::string findExecutable(const std::string& name) {
  if (name.find('/') != std::string::npos) return access(name.c_str(), X_OK) == 0 ? name : "";
  std::string dirs = std::getenv("PATH") ? std::getenv("PATH") : "";
  dirs += ":/usr/local/sbin:/usr/sbin:/sbin";
  size_t start = 0;
  while (start <= dirs.size()) {
    size_t end = dirs.find(':', start);
    if (end == std::string::npos) end = dirs.size();
    std::string candidate = dirs.substr(start, end - start) + "/" + name;
    if (end > start && access(candidate.c_str(), X_OK) == 0) return candidate;
    start = end + 1;
  }
  return "";
}

// The first directory from `dir` up to / that others cannot enter, "" when there is none.
// runc mounts the stack and each instance's disk from inside the container's user namespace,
// as an unprivileged host user, so it must be able to walk down to them.
std::string firstClosedDirectory(const fs::path& dir) {
  for (fs::path p = dir; ; p = p.parent_path()) {
    struct stat st{};
    if (stat(p.c_str(), &st) == 0 && (st.st_mode & S_IXOTH) == 0) return p.string();
    if (p == p.root_path() || p.empty()) return "";
  }
}

// Why containers cannot run here ("" when they can); resolves `runtime` to its path.
std::string containersUnavailable(std::string* runtime, const std::string& work_dir) {
  if (geteuid() != 0) return "the cell is not running as root";
  // The work dir itself is ours to open up; only search (x), never listing, for others.
  chmod(work_dir.c_str(), 0711);
  const std::string closed = firstClosedDirectory(work_dir);
  if (!closed.empty()) {
    return "containers' users cannot enter " + closed +
           " on the way to the work dir (chmod o+x it, or pick another --work-dir)";
  }
  const std::string path = findExecutable(*runtime);
  if (path.empty()) return "the OCI runtime " + *runtime + " was not found";
  *runtime = path;
  std::string error;
  if (foundry::cell::OciRuntime(path, "/nonexistent").version(&error).empty()) return error;
  if (foundry::cell::ContainerCgroup::memoryRoot().empty()) {
    return "no writable memory cgroup controller";
  }
  return "";
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
  std::string lifecycle_dir;
  app.add_option("--lifecycle-dir", lifecycle_dir,
                 "folder mounted read-only at /tmp/lifecycle in every task's container "
                 "(default: lifecycle next to cell, when it exists)");
  app.add_option("--nats", config.nats_url, "NATS URL for app logs (optional)");
  app.add_option("--stop-grace-s", config.stop_grace_s, "SIGTERM to SIGKILL delay")
      ->capture_default_str();
  app.add_option("--unhealthy-interval-ms", config.unhealthy_interval_ms,
                 "startup health check period")
      ->capture_default_str();
  app.add_option("--presence-interval-ms", config.presence_interval_ms,
                 "ms between presence PUTs to the scheduler (keep below its --cell-ttl)")
      ->capture_default_str();
  app.add_option("--log-level", level, "debug|info|warn|error")->capture_default_str();
  std::string isolation = "container";
  app.add_option("--isolation", isolation,
                 "container (an OCI container per instance, needs root and the OCI runtime) or "
                 "none (bare processes on the host: not isolated)")
      ->capture_default_str();
  app.add_option("--oci-runtime", config.oci_runtime, "OCI runtime binary (runc's command line)")
      ->capture_default_str();
  app.add_option("--pids-limit", config.pids_limit, "most processes per container")
      ->capture_default_str();
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
  if (isolation == "container") {
    config.isolation = foundry::cell::Isolation::kContainer;
  } else if (isolation == "none") {
    config.isolation = foundry::cell::Isolation::kNone;
  } else {
    return fail("--isolation must be container or none, got " + isolation);
  }
  if (config.pids_limit < 1) return fail("--pids-limit must be >= 1");
  if (config.stop_grace_s < 0) return fail("--stop-grace-s must be >= 0");
  if (config.unhealthy_interval_ms < 10) return fail("--unhealthy-interval-ms must be >= 10");
  if (config.presence_interval_ms < 100) return fail("--presence-interval-ms must be >= 100");
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
  // Absolute: a container mounts it from its bundle folder, not from the cell's cwd.
  config.launcher = fs::absolute(config.launcher, ec).string();
  if (lifecycle_dir.empty()) lifecycle_dir = lifecycleNextToSelf();
  if (!lifecycle_dir.empty()) {
    fs::path dir = fs::canonical(fs::absolute(lifecycle_dir, ec), ec);
    if (ec || !fs::is_directory(dir, ec)) {
      return fail("--lifecycle-dir " + lifecycle_dir + " is not a directory");
    }
    // A container binds the cell's launcher over <dir>/launcher, inside the read-only mount:
    // the mount point must be there already.
    if (config.isolation == foundry::cell::Isolation::kContainer &&
        !fs::is_regular_file(dir / "launcher", ec)) {
      return fail("--lifecycle-dir " + dir.string() +
                  " has no file `launcher` (tasks' containers bind the cell's launcher over "
                  "it at /tmp/lifecycle/launcher)");
    }
    config.lifecycle_dir = dir.string();
  }
  if (config.isolation == foundry::cell::Isolation::kContainer) {
    std::string why = containersUnavailable(&config.oci_runtime, config.work_dir);
    if (!why.empty()) {
      std::cerr << "cell: cannot run instances in containers: " << why
                << ". Start the cell with --isolation none to run them as bare processes on "
                   "the host instead (not isolated from each other or from the cell).\n";
      return 1;
    }
  } else {
    log::warn("cell", "instances-not-isolated",
              {{"isolation", "none"},
               {"why", "--isolation none: instances run as host processes of the cell's user, "
                       "sharing its file system"}});
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
  std::unique_ptr<foundry::cell::Cell> cell_holder;
  try {
    cell_holder = std::make_unique<foundry::cell::Cell>(config);
  } catch (const std::exception& e) {
    std::cerr << "cell: " << e.what() << "\n";
    event_base_free(base);
    return 1;
  }
  {
    foundry::cell::Cell& cell = *cell_holder;
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
                 {"lifecycle_dir", config.lifecycle_dir},
                 {"secrets", config.secrets_dir},
                 {"memory_mb", std::to_string(config.total.memory_mb)},
                 {"disk_mb", std::to_string(config.total.disk_mb)},
                 {"containers", std::to_string(config.total.containers)},
                 {"memory_limits", config.isolation == foundry::cell::Isolation::kContainer
                                       ? "container-cgroup"
                                       : cell.memoryLimitMode()},
                 {"isolation", isolation}});
      event_base_dispatch(base);
      log::info("cell", "stopping", {});
      event_free(sigint);
      event_free(sigterm);
    }
    cell.shutdown();
  }
  cell_holder.reset();
  event_base_free(base);
  return status;
}
