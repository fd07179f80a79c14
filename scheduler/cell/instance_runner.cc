// Cell::runLifecycle: one instance from claim to its final report (PROTOCOL.md, B4/B5).
//
//   claim (409 or no answer: drop it) -> droplet (cached per droplet_guid) -> sandbox
//   (container or process group, instance_sandbox.h) -> unpack -> port -> launcher ->
//   startup checks every
//   --unhealthy-interval-ms until healthy (POST start -> RUNNING) or timeout_s (crash) ->
//   liveness every interval_s -> exit / failed liveness / memory limit: crash;
//   stop request: SIGTERM, SIGKILL after the grace, remove.
// Whatever happens, the instance's processes are gone, the port, the sandbox (mounts, cgroups,
// ids) and the folder are released before the final report is sent.
#include <openssl/crypto.h>
#include <signal.h>

#include <chrono>
#include <filesystem>
#include <memory>

#include "common/log/log.h"
#include "scheduler/cell/cell.h"
#include "scheduler/cell/health_check.h"
#include "scheduler/cell/instance_env.h"
#include "scheduler/cell/instance_sandbox.h"
#include "scheduler/cell/output_pump.h"
#include "scheduler/cell/process.h"
#include "scheduler/cell/sandbox_stop.h"

namespace foundry::cell {
namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace {

struct Outcome {
  enum class Report { kNone, kCrash, kRemove } report = Report::kNone;
  std::string crash_reason;
  static Outcome crash(std::string reason) { return {Report::kCrash, std::move(reason)}; }
  static Outcome removed() { return {Report::kRemove, ""}; }
  static Outcome none() { return {}; }
};

}  // namespace

class InstanceRunner {
 public:
  InstanceRunner(Cell& cell, std::shared_ptr<Instance> instance)
      : cell_(cell), inst_(std::move(instance)),
        source_type_(appSourceType(inst_->start.desired.process_type)),
        sandbox_(cell.config_.isolation == Isolation::kContainer
                     ? makeContainerSandbox(cell, *inst_)
                     : makeProcessSandbox(cell, *inst_)) {}

  ~InstanceRunner() { cleanUp(); }

  Outcome run() {
    const auto& desired = inst_->start.desired;
    long claimed = cell_.scheduler_.report("claim", cell_.reportFor(*inst_), 5);
    if (claimed == 409) return Outcome::none();  // not wanted any more: drop it quietly
    if (claimed < 200 || claimed >= 300) {
      log::warn("cell", "claim-failed", {{"instance_guid", inst_->start.instance_guid},
                                         {"status", std::to_string(claimed)}});
      return Outcome::none();
    }
    if (inst_->stopRequested()) return stopOutcome();

    std::string error;
    const bool docker = !desired.docker_image.empty();
    if (docker && cell_.config_.isolation != Isolation::kContainer) {
      return failEarly("Docker images need a cell with --isolation container");
    }
    std::string droplet;
    if (!docker) {
      droplet = cell_.droplets_.fetch(desired.droplet_guid, desired.droplet_url,
                                      desired.droplet_sha256, &error);
      if (droplet.empty()) return failEarly("Downloading droplet failed: " + error);
      if (inst_->stopRequested()) return stopOutcome();
    }
    // For a Docker image this pulls it (ContainerSandbox); errors name what failed.
    if (!sandbox_->prepare(&error)) return failEarly(error);
    if (!docker) {
      error = unpackArchive(droplet, sandbox_->dropletDir());
      if (error.empty()) sandbox_->dropletUnpacked(&error);
      if (!error.empty()) return failEarly("Unpacking droplet failed: " + error);
    }

    port_ = cell_.ports_.allocate();
    if (port_ == 0) {
      return failEarly("No free port in " + std::to_string(cell_.config_.port_first) + "-" +
                       std::to_string(cell_.config_.port_last));
    }
    inst_->port = port_;
    cell_.cellLog(*inst_, "Creating container for app " + desired.app_name +
                              ", container successfully created");
    if (!spawn(&error)) return failEarly("Starting the instance failed: " + error);
    cell_.cellLog(*inst_, "Starting health monitoring of container");
    return monitor();
  }

 private:
  Outcome failEarly(const std::string& reason) {
    cell_.cellLog(*inst_, reason);
    return Outcome::crash(reason);
  }

  Outcome stopOutcome() {
    bool report = true;
    {
      std::lock_guard<std::mutex> lock(inst_->mutex);
      report = inst_->stop_reports_remove;
    }
    return report ? Outcome::removed() : Outcome::none();
  }

  bool spawn(std::string* error) {
    const auto& start = inst_->start;
    InstancePlacement placement;
    placement.cell_address = cell_.config_.address;
    placement.port = port_;
    placement.root = sandbox_->visibleRoot();
    placement.path = sandbox_->path();
    Spawned spawned =
        sandbox_->start(start.desired.start_command, instanceEnvironment(start, placement));
    if (spawned.pid < 0) {
      *error = spawned.error;
      return false;
    }
    pid_ = spawned.pid;
    inst_->pgid = pid_;
    sched::LogLine templ;
    templ.app_guid = start.desired.app_guid;
    templ.source_type = source_type_;
    templ.instance_index = std::to_string(start.index);
    pump_ = std::make_unique<OutputPump>(
        spawned.stdout_fd, spawned.stderr_fd, inst_->root + "/logs",
        [this, templ](const std::string& text, bool is_stderr) {
          sched::LogLine line = templ;
          line.timestamp_ns = nowNs();
          line.message_type = is_stderr ? "ERR" : "OUT";
          line.message = text;
          cell_.logs_.emit(line);
        });
    log::info("cell", "instance-spawned", {{"instance_guid", start.instance_guid},
                                           {"pid", std::to_string(pid_)},
                                           {"port", std::to_string(port_)}});
    return true;
  }

  Outcome monitor() {
    const sched::HealthCheck& check = inst_->start.desired.health_check;
    const int timeout_s = check.timeout_s > 0 ? check.timeout_s : 60;
    const int interval_s = check.interval_s > 0 ? check.interval_s : 30;
    const auto startup_deadline = Clock::now() + std::chrono::seconds(timeout_s);
    auto next_probe = Clock::now();
    bool healthy = false;
    std::string last_failure = "no check ran yet";
    for (;;) {
      ExitStatus exit = pollExit(pid_);
      if (exit.exited) {
        exited_ = true;
        killGroup();  // leftovers of the group
        if (inst_->stopRequested()) return stopOutcome();
        return exitOutcome(sandbox_->appExit(exit));
      }
      if (inst_->stopRequested()) {
        stopGroup();
        return stopOutcome();
      }
      const auto now = Clock::now();
      if (!healthy) {
        if (now >= next_probe) {
          ProbeResult result = probe(check, cell_.config_.address, port_);
          if (result.healthy) {
            healthy = true;
            next_probe = Clock::now() + std::chrono::seconds(interval_s);
            cell_.cellLog(*inst_, "Container became healthy");
            if (!reportStarted()) return Outcome::none();
            continue;
          }
          last_failure = result.failure;
          next_probe = Clock::now() + std::chrono::milliseconds(cell_.config_.unhealthy_interval_ms);
        }
        if (!healthy && Clock::now() >= startup_deadline) {
          std::string reason = "Instance never healthy after " + std::to_string(timeout_s) +
                               "s: " + last_failure;
          cell_.cellLog(*inst_, reason);
          killGroup();
          return Outcome::crash(reason);
        }
      } else if (now >= next_probe) {
        ProbeResult result = probe(check, cell_.config_.address, port_);
        if (!result.healthy) {
          std::string reason = "Instance became unhealthy: " + result.failure;
          cell_.cellLog(*inst_, reason);
          killGroup();
          return Outcome::crash(reason);
        }
        next_probe = Clock::now() + std::chrono::seconds(interval_s);
      }
      inst_->sleepUnlessStopped(100);
    }
  }

  // POST start. False when the scheduler answered 409: the instance was stopped then.
  bool reportStarted() {
    long status = cell_.scheduler_.report("start", cell_.reportFor(*inst_), 3);
    if (status == 409) {
      log::info("cell", "start-rejected", {{"instance_guid", inst_->start.instance_guid}});
      stopGroup();
      return false;
    }
    // No answer: keep running; /state shows RUNNING and the scheduler's bulk sync catches up.
    inst_->state = sched::LrpState::kRunning;
    return true;
  }

  Outcome exitOutcome(const ExitStatus& exit) {
    const int code = exit.signal != 0 ? 128 + exit.signal : exit.code;
    // Memory limits kill with SIGKILL (the kernel's OOM killer, or the watchdog).
    if (exit.signal == SIGKILL && sandbox_->memoryLimitReached()) {
      const int mb = inst_->start.desired.memory_mb;
      cell_.cellLog(*inst_, "Exit status " + std::to_string(code) + " (exceeded " +
                                std::to_string(mb) + " MB memory limit)");
      return Outcome::crash("out of memory: exceeded " + std::to_string(mb) + " MB");
    }
    cell_.cellLog(*inst_, "Exit status " + std::to_string(code));
    return Outcome::crash(source_type_ + ": " + describeExit(exit));
  }

  // SIGTERM to the group, SIGKILL to what is left after the grace.
  void stopGroup() {
    if (pid_ <= 0) return;
    cell_.cellLog(*inst_, "Stopping instance " + inst_->start.instance_guid);
    stopSandboxed(*sandbox_, pid_, &exited_, cell_.config_.stop_grace_s);
  }

  void killGroup() { killSandboxed(*sandbox_, pid_, &exited_); }

  void cleanUp() {
    killGroup();
    if (pump_) pump_->finish();
    pump_.reset();
    sandbox_->destroy();
    if (port_ != 0) cell_.ports_.release(port_);
    std::error_code ec;
    fs::remove_all(inst_->root, ec);
  }

  Cell& cell_;
  std::shared_ptr<Instance> inst_;
  const std::string source_type_;
  uint16_t port_ = 0;
  pid_t pid_ = -1;
  bool exited_ = false;
  std::unique_ptr<InstanceSandbox> sandbox_;
  std::unique_ptr<OutputPump> pump_;
};

void Cell::runLifecycle(std::shared_ptr<Instance> instance) {
  Outcome outcome;
  {
    InstanceRunner runner(*this, instance);
    try {
      outcome = runner.run();
    } catch (const std::exception& e) {
      outcome = Outcome::crash(std::string("cell error: ") + e.what());
    }
  }  // the runner's destructor cleans up before the report
  instance->state = outcome.report == Outcome::Report::kCrash ? sched::LrpState::kCrashed
                                                              : instance->state.load();
  release(instance);
  sched::InstanceReport report = reportFor(*instance);
  if (outcome.report == Outcome::Report::kCrash) {
    report.crash_reason = outcome.crash_reason;
    scheduler_.report("crash", report);
  } else if (outcome.report == Outcome::Report::kRemove) {
    scheduler_.report("remove", report);
  }
  // This thread is detached and may still be unwinding when shutdown() (which waits for
  // lifecycleEnded) lets the process exit: free OpenSSL's per-thread state (from signing the
  // report) now, not in a thread-exit handler that may never run.
  OPENSSL_thread_stop();
  lifecycleEnded();
}

}  // namespace foundry::cell
