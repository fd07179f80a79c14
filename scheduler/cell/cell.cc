#include "scheduler/cell/cell.h"

#include <chrono>
#include <algorithm>
#include <filesystem>
#include <stdexcept>
#include <system_error>

#include "common/log/log.h"
#include "scheduler/cell/instance_disk.h"

namespace foundry::cell {
namespace fs = std::filesystem;

Cell::Cell(CellConfig config)
    : config_(std::move(config)),
      scheduler_(config_.scheduler_url, config_.authorize),
      droplets_(config_.work_dir + "/droplets", config_.authorize),
      ports_(config_.port_first, config_.port_last),
      memory_(config_.id, config_.use_cgroup),
      logs_(config_.nats_url),
      capacity_(config_.total) {
  std::error_code ec;
  const std::string instances = config_.work_dir + "/instances";
  if (config_.isolation == Isolation::kContainer) {
    // A previous run's containers and disks go first (a cell that crashed leaves them).
    fs::create_directories(config_.work_dir + "/runc", ec);
    oci_ = std::make_unique<OciRuntime>(config_.oci_runtime, config_.work_dir + "/runc");
    oci_->removeAll();
    unmountAllBelow(instances);
    std::string error;
    if (!prepareStackRootfs(config_.work_dir + "/stack", &stack_, &error)) {
      throw std::runtime_error("cannot build the stack: " + error);
    }
    // Docker images: layers are cached across instances and runs. The bound per image is the
    // cell's disk; each instance's own quota is checked before its pull.
    const std::string images = config_.work_dir + "/images";
    images_ = std::make_unique<oci::LayerStore>(
        images, static_cast<uint64_t>(std::max(config_.total.disk_mb, 1)) << 20);
    if (!images_->initError().empty()) {
      throw std::runtime_error("cannot use " + images + ": " + images_->initError());
    }
    // Containers' users walk down to the root filesystems (search only, no listing).
    for (const std::string& dir : {images, images + "/rootfs"}) {
      fs::permissions(dir, fs::perms::owner_all | fs::perms::group_exec | fs::perms::others_exec, ec);
    }
  }
  // Instances of a previous run are gone with it (their processes were stopped, or are
  // orphans the scheduler replaced): start from an empty instances dir.
  fs::remove_all(instances, ec);
  fs::remove_all(config_.work_dir + "/downloads", ec);  // tasks' partial downloads
  fs::create_directories(config_.work_dir + "/instances", ec);
  if (config_.isolation == Isolation::kContainer) {
    // runc walks to each instance's disk as the container's (unprivileged) user: search only.
    fs::permissions(instances, fs::perms::owner_all | fs::perms::group_exec | fs::perms::others_exec, ec);
  }
  fs::create_directories(config_.work_dir + "/droplets", ec);
}

Cell::~Cell() { shutdown(); }

void Cell::startPresence() {
  presence_thread_ = std::thread([this] { presenceLoop(); });
}

sched::CellPresence Cell::presence() const {
  sched::CellPresence p;
  p.cell_id = config_.id;
  p.rep_url = config_.repUrl();
  p.zone = config_.zone;
  p.placement_tags = config_.placement_tags;
  p.total = config_.total;
  return p;
}

void Cell::presenceLoop() {
  bool was_ok = true;
  std::unique_lock<std::mutex> lock(mutex_);
  while (!shutting_down_) {
    lock.unlock();
    bool ok = scheduler_.putPresence(presence());
    if (ok) reportPendingTasks();
    if (ok != was_ok) {
      if (ok) {
        log::info("cell", "presence-ok", {{"scheduler", config_.scheduler_url}});
      } else {
        log::warn("cell", "presence-failed", {{"scheduler", config_.scheduler_url}});
      }
      was_ok = ok;
    }
    lock.lock();
    changed_.wait_for(lock, std::chrono::milliseconds(config_.presence_interval_ms),
                      [&] { return shutting_down_; });
  }
}

sched::WorkResult Cell::work(const sched::Work& work) {
  sched::WorkResult result;
  for (const auto& start : work.lrps) {
    std::shared_ptr<Instance> instance;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (instances_.count(start.instance_guid) > 0) continue;  // a repeated /work: have it
      bool valid = !start.instance_guid.empty() && !start.desired.process_guid.empty() &&
                   start.instance_guid.find('/') == std::string::npos &&
                   start.instance_guid[0] != '.' && start.index >= 0;
      if (shutting_down_ || !valid ||
          !capacity_.reserve(start.instance_guid, start.desired.memory_mb,
                             start.desired.disk_mb)) {
        result.failed.push_back(start);
        continue;
      }
      instance = std::make_shared<Instance>(start);
      instance->root = config_.work_dir + "/instances/" + start.instance_guid;
      instances_[start.instance_guid] = instance;
      ++running_lifecycles_;
    }
    log::info("cell", "instance-accepted",
              {{"process_guid", start.desired.process_guid},
               {"index", std::to_string(start.index)},
               {"instance_guid", start.instance_guid}});
    try {
      std::thread([this, instance] { runLifecycle(instance); }).detach();
    } catch (const std::system_error& e) {  // no thread to be had: give the work back
      log::error("cell", "thread-failed", {{"error", e.what()}});
      release(instance);
      lifecycleEnded();
      result.failed.push_back(start);
    }
  }
  for (const auto& task : work.tasks) {
    std::shared_ptr<TaskRun> run;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (tasks_.count(task.task_guid) > 0) continue;  // a repeated /work: have it
      if (shutting_down_ || !sched::validate(task).empty() ||
          !capacity_.reserve(taskReservation(task.task_guid), task.memory_mb, task.disk_mb)) {
        result.failed_tasks.push_back(task.task_guid);
        continue;
      }
      run = std::make_shared<TaskRun>(task);
      run->instance->root = config_.work_dir + "/instances/" + run->instance->start.instance_guid;
      tasks_[task.task_guid] = run;
      ++running_lifecycles_;
    }
    log::info("cell", "task-accepted",
              {{"task_guid", task.task_guid}, {"app_guid", task.app_guid},
               {"domain", task.domain}});
    try {
      std::thread([this, run] { runTask(run); }).detach();
    } catch (const std::system_error& e) {
      log::error("cell", "thread-failed", {{"error", e.what()}});
      {
        std::lock_guard<std::mutex> lock(mutex_);
        capacity_.release(taskReservation(task.task_guid));
        tasks_.erase(task.task_guid);
      }
      lifecycleEnded();
      result.failed_tasks.push_back(task.task_guid);
    }
  }
  return result;
}

bool Cell::cancelTask(const std::string& task_guid) {
  std::shared_ptr<TaskRun> run;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = tasks_.find(task_guid);
    if (it == tasks_.end() || it->second->state != sched::TaskState::kRunning) return false;
    run = it->second;
    run->cancelled = true;
  }
  log::info("cell", "task-cancel", {{"task_guid", task_guid}});
  run->instance->requestStop(false);
  return true;
}

bool Cell::stop(const std::string& process_guid, const std::string& instance_guid) {
  std::shared_ptr<Instance> instance;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = instances_.find(instance_guid);
    if (it == instances_.end() || it->second->start.desired.process_guid != process_guid) {
      return false;
    }
    instance = it->second;
  }
  instance->requestStop(true);
  return true;
}

sched::CellState Cell::state() {
  sched::CellState s;
  s.cell_id = config_.id;
  s.zone = config_.zone;
  s.placement_tags = config_.placement_tags;
  s.total = config_.total;
  std::lock_guard<std::mutex> lock(mutex_);
  s.evacuating = false;
  s.available = capacity_.available();
  for (const auto& [guid, instance] : instances_) {
    sched::CellLrp lrp;
    lrp.process_guid = instance->start.desired.process_guid;
    lrp.index = instance->start.index;
    lrp.instance_guid = guid;
    lrp.state = instance->state;
    lrp.memory_mb = instance->start.desired.memory_mb;
    lrp.disk_mb = instance->start.desired.disk_mb;
    lrp.port = instance->port;
    if (lrp.port != 0) lrp.address = config_.address;
    if (lrp.state == sched::LrpState::kClaimed) ++s.starting_container_count;
    s.lrps.push_back(lrp);
  }
  for (const auto& [guid, run] : tasks_) {
    sched::CellTask task;
    task.task_guid = guid;
    task.state = run->state;
    task.memory_mb = run->definition.memory_mb;
    task.disk_mb = run->definition.disk_mb;
    task.definition = sched::withoutSecrets(run->definition);
    if (run->state == sched::TaskState::kCompleted) {
      task.failed = run->completion.failed;
      task.failure_reason = run->completion.failure_reason;
      task.result = run->completion.result;
      task.exit_code = run->completion.exit_code;
    }
    s.tasks.push_back(std::move(task));
  }
  return s;
}

void Cell::release(const std::shared_ptr<Instance>& instance) {
  std::lock_guard<std::mutex> lock(mutex_);
  capacity_.release(instance->start.instance_guid);
  instances_.erase(instance->start.instance_guid);
}

void Cell::lifecycleEnded() {
  std::lock_guard<std::mutex> lock(mutex_);
  --running_lifecycles_;
  changed_.notify_all();
}

void Cell::shutdown() {
  std::vector<std::shared_ptr<Instance>> all;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (shutting_down_ && running_lifecycles_ == 0 && !presence_thread_.joinable()) return;
    shutting_down_ = true;
    for (auto& [guid, instance] : instances_) all.push_back(instance);
    for (auto& [guid, run] : tasks_) {
      if (run->state == sched::TaskState::kRunning) all.push_back(run->instance);
    }
  }
  changed_.notify_all();
  if (presence_thread_.joinable()) presence_thread_.join();
  for (auto& instance : all) instance->requestStop(true);
  std::unique_lock<std::mutex> lock(mutex_);
  // Lifecycles stop within the grace; the extra time covers the final reports.
  auto deadline = std::chrono::steady_clock::now() +
                  std::chrono::seconds(config_.stop_grace_s + 15);
  if (!changed_.wait_until(lock, deadline, [&] { return running_lifecycles_ == 0; })) {
    log::warn("cell", "shutdown-timeout",
              {{"instances_left", std::to_string(running_lifecycles_)}});
  }
}

sched::InstanceReport Cell::reportFor(const Instance& instance) const {
  sched::InstanceReport r;
  r.process_guid = instance.start.desired.process_guid;
  r.index = instance.start.index;
  r.instance_guid = instance.start.instance_guid;
  r.cell_id = config_.id;
  r.address = config_.address;
  r.port = instance.port;
  return r;
}

void Cell::cellLog(const Instance& instance, const std::string& message) {
  sched::LogLine line;
  line.timestamp_ns = nowNs();
  line.app_guid = instance.start.desired.app_guid;
  line.source_type = "CELL";
  line.instance_index = std::to_string(instance.start.index);
  line.message_type = "OUT";
  line.message = message;
  logs_.emit(line);
  log::info("cell", "instance-event",
            {{"instance_guid", instance.start.instance_guid}, {"message", message}});
}

}  // namespace foundry::cell
