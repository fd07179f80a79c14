// ProcessSandbox: the instance as a process group on the host (--isolation none). The cell
// spawns the launcher as a session leader in the instance's folder; the memory limit is the
// MemoryLimiter's (cgroup v2 or the RSS watchdog).
#include <signal.h>

#include <cstdlib>

#include "scheduler/cell/cell.h"
#include "scheduler/cell/instance_sandbox.h"

namespace foundry::cell {

class ProcessSandbox : public InstanceSandbox {
 public:
  ProcessSandbox(Cell& cell, const Instance& instance) : cell_(cell), instance_(instance) {}
  ~ProcessSandbox() override { destroy(); }

  bool prepare(std::string*) override { return true; }
  std::string dropletDir() const override { return instance_.root; }
  bool dropletUnpacked(std::string*) override { return true; }
  // The host folder itself: not read-only for the cell's user, and /tmp/lifecycle in a command
  // means nothing here (README.md "Tasks").
  std::string useLifecycleDir(const std::string& host_dir) override { return host_dir; }
  std::string visibleRoot() const override { return instance_.root; }
  std::string path() const override {
    const char* path = std::getenv("PATH");
    return path ? path : "/usr/local/bin:/usr/bin:/bin";
  }

  Spawned start(const std::string& start_command, std::vector<std::string> env) override {
    memory_ = cell_.memory_.prepare(instance_.start.instance_guid, instance_.start.desired.memory_mb);
    SpawnSpec spec;
    spec.argv = {cell_.config_.launcher, "app", start_command, ""};
    spec.env = std::move(env);
    spec.cwd = instance_.root;
    spec.cgroup_procs_fd = memory_->procs_fd;
    Spawned spawned = spawnGroupLeader(spec);
    if (spawned.pid > 0) {
      pgid_ = spawned.pid;
      cell_.memory_.attach(memory_, pgid_);
    }
    return spawned;
  }

  void signalAll(int signal) override {
    if (pgid_ > 0) kill(-pgid_, signal);
  }
  bool anyLeft() override { return groupAlive(pgid_); }
  ExitStatus appExit(const ExitStatus& watched) const override { return watched; }
  bool memoryLimitReached() override { return memory_ && cell_.memory_.exceeded(memory_); }

  // HOME is <root>/app and TMPDIR <root>/tmp: the folder stands for /home/vcap.
  std::vector<std::pair<std::string, std::string>> writableDirs() const override {
    return {{"/home/vcap", instance_.root}, {"/tmp", instance_.root + "/tmp"}};
  }

  void destroy() override {
    if (pgid_ > 0) kill(-pgid_, SIGKILL);
    pgid_ = 0;
    if (memory_) cell_.memory_.release(memory_);
    memory_.reset();
  }

 private:
  Cell& cell_;
  const Instance& instance_;
  pid_t pgid_ = 0;
  std::shared_ptr<MemoryLimiter::Handle> memory_;
};

std::unique_ptr<InstanceSandbox> makeProcessSandbox(Cell& cell, const Instance& instance) {
  return std::make_unique<ProcessSandbox>(cell, instance);
}

}  // namespace foundry::cell
