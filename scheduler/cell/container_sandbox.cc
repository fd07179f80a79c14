// ContainerSandbox: the instance in an OCI container started by runc (README.md "Containers").
//
//   <root>/disk/      tmpfs of the disk quota, owned by the container's vcap
//          home/      the droplet, mounted at /home/vcap
//          tmp/       mounted at /tmp
//   <root>/bundle/    config.json (oci_spec.h)
//   <root>/logs/      the app's output, written by the cell (outside the container)
//
// The root file system is the stack (stack_rootfs.h), read-only, shared by every instance;
// the launcher is bound read-only at /tmp/lifecycle/launcher, where Diego puts it.
#include <signal.h>

#include <filesystem>
#include <fstream>

#include "common/log/log.h"
#include "scheduler/cell/cell.h"
#include "scheduler/cell/container_cgroup.h"
#include "scheduler/cell/instance_disk.h"
#include "scheduler/cell/instance_sandbox.h"
#include "scheduler/cell/oci_spec.h"

namespace foundry::cell {
namespace fs = std::filesystem;

namespace {
constexpr uint32_t kVcap = 2000;
constexpr const char* kLauncherInContainer = "/tmp/lifecycle/launcher";
constexpr const char* kContainerPath = "/usr/local/bin:/usr/bin:/bin";
}  // namespace

class ContainerSandbox : public InstanceSandbox {
 public:
  ContainerSandbox(Cell& cell, const Instance& instance)
      : cell_(cell), instance_(instance), id_(instance.start.instance_guid),
        cgroup_("foundry/" + cell.config_.id + "/" + id_) {}
  ~ContainerSandbox() override { destroy(); }

  bool prepare(std::string* error) override {
    ids_ = cell_.container_ids_.acquire(error);
    if (!ids_.valid()) return false;
    const int memory_mb = instance_.start.desired.memory_mb;
    if (!cgroup_.create(static_cast<int64_t>(memory_mb) * 1024 * 1024, error)) return false;
    return disk_.mount(instance_.root + "/disk", instance_.start.desired.disk_mb, hostVcap(),
                       hostVcap(), error);
  }

  std::string dropletDir() const override { return disk_.home(); }

  bool dropletUnpacked(std::string*) override {
    chownTree(disk_.home(), hostVcap(), hostVcap());
    return true;
  }

  std::string visibleRoot() const override { return "/home/vcap"; }
  std::string path() const override { return kContainerPath; }

  Spawned start(const std::string& start_command, std::vector<std::string> env) override {
    const CellConfig& config = cell_.config_;
    ContainerSpec spec;
    spec.hostname = id_;
    spec.rootfs = cell_.stack_.rootfs;
    spec.args = {kLauncherInContainer, "app", start_command, ""};
    spec.env = std::move(env);
    spec.cwd = visibleRoot();
    spec.uid = spec.gid = kVcap;
    spec.host_id_base = ids_.host_base;
    spec.binds = cell_.stack_.binds;
    spec.binds.push_back({disk_.home(), "/home/vcap", false});
    spec.binds.push_back({disk_.tmp(), "/tmp", false});
    spec.binds.push_back({config.launcher, kLauncherInContainer, true});
    spec.cgroups_path = "/" + cgroup_.relative() + "/container";
    spec.pids_limit = config.pids_limit;
    spec.cpu_shares = cpuSharesFor(instance_.start.desired.memory_mb, config.total.memory_mb);

    Spawned failed;
    const std::string bundle = instance_.root + "/bundle";
    std::error_code ec;
    fs::create_directories(bundle, ec);
    std::ofstream out(bundle + "/config.json", std::ios::trunc);
    out << ociConfigJson(spec);
    out.close();
    if (!out) {
      failed.error = "cannot write " + bundle + "/config.json";
      return failed;
    }
    Spawned spawned = cell_.oci_->run(id_, bundle);
    if (spawned.pid > 0) runtime_pid_ = spawned.pid;
    return spawned;
  }

  void signalAll(int signal) override {
    if (runtime_pid_ > 0) cell_.oci_->kill(id_, signal);
  }

  // runc run exits only after the container's init, and the PID namespace dies with its
  // init: once the watched runc is gone, nothing of the instance is left.
  bool anyLeft() override { return false; }

  ExitStatus appExit(const ExitStatus& watched) const override {
    ExitStatus app = watched;
    if (watched.signal == 0 && watched.code > 128 && watched.code < 128 + 65) {
      app.code = -1;
      app.signal = watched.code - 128;
    }
    return app;
  }

  bool memoryLimitReached() override { return cgroup_.limitReached(); }

  void destroy() override {
    if (runtime_pid_ > 0) {
      cell_.oci_->remove(id_);  // kills what is left and removes runc's state and cgroup
      runtime_pid_ = 0;
    }
    cgroup_.remove();
    disk_.unmount();
    if (ids_.valid()) cell_.container_ids_.release(ids_);
  }

 private:
  uint32_t hostVcap() const { return ids_.host_base + kVcap; }

  Cell& cell_;
  const Instance& instance_;
  const std::string id_;
  ContainerCgroup cgroup_;
  InstanceDisk disk_;
  ContainerIds::Lease ids_;
  pid_t runtime_pid_ = 0;
};

std::unique_ptr<InstanceSandbox> makeContainerSandbox(Cell& cell, const Instance& instance) {
  return std::make_unique<ContainerSandbox>(cell, instance);
}

}  // namespace foundry::cell
