// Cell::runTask: one task from its droplet (or image) to its completion report (PROTOCOL.md
// "Tasks"; Diego's executor running a Task's action).
//
//   droplet (cached per droplet_guid; or an image, or neither: the plain stack with an empty
//   /home/vcap/app) -> sandbox (container or process group, the same as an instance's) ->
//   unpack -> the task's downloads -> launcher with the task's command (no port, no health
//   check; the lifecycle folder visible) -> exit: failed = status != 0, failure_reason
//   "<log_source>: Exited with status N" (or the memory limit's "out of memory: exceeded N
//   MB"), the result file read and the uploads sent when the command succeeded; cancel:
//   SIGTERM, SIGKILL after the grace, "task was cancelled".
// The processes, the sandbox and the folder are gone and the reservation freed before the
// completion is reported; the cell lists the task as COMPLETED (with its outcome) in /state
// until the scheduler took the report.
#include <openssl/crypto.h>
#include <signal.h>

#include <chrono>
#include <filesystem>
#include <memory>

#include "common/log/log.h"
#include "scheduler/cell/cell.h"
#include "scheduler/cell/instance_env.h"
#include "scheduler/cell/instance_sandbox.h"
#include "scheduler/cell/output_pump.h"
#include "scheduler/cell/process.h"
#include "scheduler/cell/result_file.h"
#include "scheduler/cell/task_transfers.h"
#include "scheduler/cell/sandbox_stop.h"

namespace foundry::cell {
namespace fs = std::filesystem;

namespace {


// A report the scheduler did not take (no answer, 5xx, 404 for a task it does not know yet)
// is sent again with every presence tick for this long, and listed in /state meanwhile.
constexpr int64_t kKeepUnreportedNs = 10LL * 60 * 1'000'000'000;

sched::TaskCompletion taskFailure(const std::string& reason, int exit_code = -1) {
  sched::TaskCompletion c;
  c.failed = true;
  c.failure_reason = reason;
  c.exit_code = exit_code;
  return c;
}

}  // namespace

class TaskRunner {
 public:
  TaskRunner(Cell& cell, std::shared_ptr<TaskRun> run)
      : cell_(cell), run_(std::move(run)), inst_(run_->instance),
        log_source_(sched::logSourceOf(run_->definition)),
        sandbox_(cell.config_.isolation == Isolation::kContainer
                     ? makeContainerSandbox(cell, *inst_)
                     : makeProcessSandbox(cell, *inst_)) {}

  ~TaskRunner() { cleanUp(); }

  sched::TaskCompletion run() {
    const auto& task = run_->definition;
    const auto& desired = inst_->start.desired;
    std::string error;
    const bool docker = !task.docker_image.empty();
    if (docker && cell_.config_.isolation != Isolation::kContainer) {
      return failEarly("Docker images need a cell with --isolation container");
    }
    const bool has_droplet = !task.droplet_url.empty();
    std::string droplet;
    if (has_droplet) {
      droplet = cell_.droplets_.fetch(task.droplet_guid, task.droplet_url, task.droplet_sha256,
                                      &error);
      if (droplet.empty()) return failEarly("Downloading droplet failed: " + error);
    }
    if (inst_->stopRequested()) return stopped();
    if (!sandbox_->prepare(&error)) return failEarly(error);
    if (has_droplet) {
      error = unpackArchive(droplet, sandbox_->dropletDir());
      if (!error.empty()) return failEarly("Unpacking droplet failed: " + error);
    }
    if (!has_droplet || !task.downloads.empty()) {
      // /home/vcap and /tmp as folders: a process's folder exists once a droplet is unpacked in
      // it, and its tmp/ only when the droplet has one.
      for (const auto& [visible, host] : sandbox_->writableDirs()) {
        std::error_code ec;
        fs::create_directories(host, ec);
      }
    }
    if (!has_droplet && !docker) {
      // The plain stack: an empty app folder for the launcher to start in, and tmp/.
      const auto dirs = sandbox_->writableDirs();
      if (!makeSandboxDir("/home/vcap/app", dirs, &error) ||
          !makeSandboxDir("/home/vcap/tmp", dirs, &error)) {
        return failEarly("Creating the task's folders failed: " + error);
      }
    }
    for (size_t i = 0; i < task.downloads.size(); ++i) {
      if (inst_->stopRequested()) return stopped();
      if (std::string failure = download(task.downloads[i], i); !failure.empty()) {
        if (inst_->stopRequested()) return stopped();
        return failEarly(failure);
      }
    }
    if (!docker && !sandbox_->dropletUnpacked(&error)) {
      return failEarly("Unpacking droplet failed: " + error);
    }
    if (inst_->stopRequested()) return stopped();
    cell_.cellLog(*inst_, "Creating container for task " + task.task_guid + " of app " +
                              desired.app_name + ", container successfully created");
    if (!spawn(&error)) return failEarly("Starting the task failed: " + error);
    for (;;) {
      ExitStatus exit = pollExit(pid_);
      if (exit.exited) {
        exited_ = true;
        killGroup();  // leftovers of the group
        if (inst_->stopRequested()) return stopped();
        return exitOutcome(sandbox_->appExit(exit));
      }
      if (inst_->stopRequested()) {
        stopGroup();
        return stopped();
      }
      inst_->sleepUnlessStopped(100);
    }
  }

 private:
  sched::TaskCompletion failEarly(const std::string& reason) {
    cell_.cellLog(*inst_, reason);
    return taskFailure(reason);
  }

  // "" when done, else the failure reason ("Downloading app package failed: ...").
  std::string download(const sched::TaskDownload& item, size_t index) {
    const std::string name = transferName(item);
    cell_.cellLog(*inst_, "Downloading " + name + "...");
    const std::string scratch = cell_.config_.work_dir + "/downloads/" +
                                inst_->start.instance_guid + "-" + std::to_string(index);
    bool skipped = false;
    uint64_t bytes = 0;
    std::string error;
    const uint64_t disk_bytes = static_cast<uint64_t>(run_->definition.disk_mb) << 20;
    if (!runDownload(item, sandbox_->writableDirs(), scratch, cell_.config_.authorize,
                     [this] { return inst_->stopRequested(); }, disk_bytes, &skipped, &bytes,
                     &error)) {
      return "Downloading " + name + " failed: " + error;
    }
    cell_.cellLog(*inst_, skipped ? "Skipped " + name + " (not found, optional)"
                                  : "Downloaded " + name + " (" + describeBytes(bytes) + ")");
    return "";
  }

  // After the command exited 0: "" when every upload was sent, else the failure reason.
  std::string uploadAll() {
    for (const auto& item : run_->definition.uploads) {
      if (inst_->stopRequested()) return "stopped";
      const std::string name = transferName(item);
      cell_.cellLog(*inst_, "Uploading " + name + "...");
      bool skipped = false;
      uint64_t bytes = 0;
      std::string error;
      if (!runUpload(item, sandbox_->writableDirs(), cell_.config_.authorize,
                     [this] { return inst_->stopRequested(); }, &skipped, &bytes, &error)) {
        return "Uploading " + name + " failed: " + error;
      }
      cell_.cellLog(*inst_, skipped ? "Skipped " + name + " (no such file, optional)"
                                    : "Uploaded " + name + " (" + describeBytes(bytes) + ")");
    }
    return "";
  }

  static std::string describeBytes(uint64_t bytes) {
    if (bytes >= 10ULL << 20) return std::to_string(bytes >> 20) + " MB";
    if (bytes >= 10ULL << 10) return std::to_string(bytes >> 10) + " KB";
    return std::to_string(bytes) + " B";
  }

  sched::TaskCompletion stopped() {
    bool cancelled;
    {
      std::lock_guard<std::mutex> lock(cell_.mutex_);
      cancelled = run_->cancelled;
    }
    return taskFailure(cancelled ? sched::kTaskCancelledReason
                                 : "cell shut down before task completion");
  }

  bool spawn(std::string* error) {
    const auto& start = inst_->start;
    InstancePlacement placement;
    placement.cell_address = cell_.config_.address;
    placement.port = 0;
    placement.root = sandbox_->visibleRoot();
    placement.path = sandbox_->path();
    std::vector<std::string> env = taskEnvironment(start, placement);
    if (!cell_.config_.lifecycle_dir.empty()) {
      // The platform's value wins over one the app's environment brought.
      std::erase_if(env, [](const std::string& v) { return v.rfind("LIFECYCLE_DIR=", 0) == 0; });
      env.push_back("LIFECYCLE_DIR=" + sandbox_->useLifecycleDir(cell_.config_.lifecycle_dir));
    }
    Spawned spawned = sandbox_->start(start.desired.start_command, std::move(env));
    if (spawned.pid < 0) {
      *error = spawned.error;
      return false;
    }
    pid_ = spawned.pid;
    inst_->pgid = pid_;
    sched::LogLine templ;
    templ.app_guid = start.desired.app_guid;
    templ.source_type = log_source_;
    templ.instance_index = "0";
    pump_ = std::make_unique<OutputPump>(
        spawned.stdout_fd, spawned.stderr_fd, inst_->root + "/logs",
        [this, templ](const std::string& text, bool is_stderr) {
          sched::LogLine line = templ;
          line.timestamp_ns = nowNs();
          line.message_type = is_stderr ? "ERR" : "OUT";
          line.message = text;
          cell_.logs_.emit(line);
        });
    log::info("cell", "task-spawned",
              {{"task_guid", run_->definition.task_guid}, {"pid", std::to_string(pid_)}});
    return true;
  }

  sched::TaskCompletion exitOutcome(const ExitStatus& exit) {
    const int code = exit.signal != 0 ? 128 + exit.signal : exit.code;
    if (exit.signal == SIGKILL && sandbox_->memoryLimitReached()) {
      const int mb = run_->definition.memory_mb;
      cell_.cellLog(*inst_, "Exit status " + std::to_string(code) + " (exceeded " +
                                std::to_string(mb) + " MB memory limit)");
      return taskFailure("out of memory: exceeded " + std::to_string(mb) + " MB", code);
    }
    cell_.cellLog(*inst_, "Exit status " + std::to_string(code));
    if (code != 0) return taskFailure(log_source_ + ": " + describeExit(exit), code);
    sched::TaskCompletion done;
    done.exit_code = 0;
    const std::string& result_file = run_->definition.result_file;
    if (!result_file.empty()) {
      // Before cleanUp: a container's disk goes with its sandbox.
      std::string error;
      if (!readResultFile(result_file, sandbox_->writableDirs(), sched::kMaxTaskResultBytes,
                          &done.result, &error)) {
        cell_.cellLog(*inst_, "Reading the result file failed: " + error);
        return taskFailure("failed to read result file: " + error, 0);
      }
    }
    // Also before cleanUp, for the same reason; the task's processes are gone by now.
    if (std::string failure = uploadAll(); !failure.empty()) {
      if (inst_->stopRequested()) return stopped();
      cell_.cellLog(*inst_, failure);
      return taskFailure(failure, 0);
    }
    return done;
  }

  // SIGTERM to the group, SIGKILL to what is left after the grace.
  void stopGroup() {
    if (pid_ <= 0) return;
    cell_.cellLog(*inst_, "Stopping task " + run_->definition.task_guid);
    stopSandboxed(*sandbox_, pid_, &exited_, cell_.config_.stop_grace_s);
  }

  void killGroup() { killSandboxed(*sandbox_, pid_, &exited_); }

  void cleanUp() {
    killGroup();
    if (pump_) pump_->finish();
    pump_.reset();
    sandbox_->destroy();
    std::error_code ec;
    fs::remove_all(inst_->root, ec);
  }

  Cell& cell_;
  std::shared_ptr<TaskRun> run_;
  std::shared_ptr<Instance> inst_;
  const std::string log_source_;
  pid_t pid_ = -1;
  bool exited_ = false;
  std::unique_ptr<InstanceSandbox> sandbox_;
  std::unique_ptr<OutputPump> pump_;
};

void Cell::runTask(std::shared_ptr<TaskRun> run) {
  sched::TaskCompletion completion;
  {
    TaskRunner runner(*this, run);
    try {
      completion = runner.run();
    } catch (const std::exception& e) {
      completion = taskFailure(std::string("cell error: ") + e.what());
    }
  }  // the runner's destructor cleans up before the report
  completion.task_guid = run->definition.task_guid;
  completion.cell_id = config_.id;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    capacity_.release(taskReservation(run->definition.task_guid));
    run->state = sched::TaskState::kCompleted;
    run->completion = completion;
    run->completed_at_ns = nowNs();
  }
  log::info("cell", "task-completed",
            {{"task_guid", completion.task_guid},
             {"failed", completion.failed ? "true" : "false"},
             {"failure_reason", completion.failure_reason}});
  reportTask(run);
  OPENSSL_thread_stop();  // see runLifecycle
  lifecycleEnded();
}

void Cell::reportTask(const std::shared_ptr<TaskRun>& run, int attempts) {
  sched::TaskCompletion completion;
  int64_t completed_at = 0;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    completion = run->completion;
    completed_at = run->completed_at_ns;
  }
  long status = scheduler_.completeTask(completion, attempts);
  // Taken (2xx), or refused for good (4xx but 404: a restarted scheduler may not know the task
  // until its bulk sync adopts it from /state). Else keep it listed and try again.
  const bool done = (status >= 200 && status < 300) || (status >= 400 && status < 500 &&
                                                        status != 404);
  if (done || nowNs() - completed_at > kKeepUnreportedNs) {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = tasks_.find(completion.task_guid);
    if (it != tasks_.end() && it->second == run) tasks_.erase(it);
  }
}

void Cell::reportPendingTasks() {
  std::vector<std::shared_ptr<TaskRun>> pending;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    for (const auto& [guid, run] : tasks_) {
      if (run->state == sched::TaskState::kCompleted) pending.push_back(run);
    }
  }
  for (const auto& run : pending) reportTask(run, 1);
}

}  // namespace foundry::cell
