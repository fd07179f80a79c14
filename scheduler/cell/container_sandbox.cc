// ContainerSandbox: the instance in an OCI container started by runc (README.md "Containers").
//
//   <root>/disk/      tmpfs of the disk quota, owned by the container's vcap
//          home/      the droplet, mounted at /home/vcap
//          tmp/       mounted at /tmp
//   <root>/bundle/    config.json (oci_spec.h)
//   <root>/logs/      the app's output, written by the cell (outside the container)
//
// The root file system is the stack (stack_rootfs.h), read-only, shared by every instance;
// the launcher is bound read-only at /tmp/lifecycle/launcher, where Diego puts it. A task's
// container also gets the cell's --lifecycle-dir read-only at /tmp/lifecycle (the launcher
// bound over its `launcher`, which the cell checked at start).
//
// A Docker image (desired.docker_image) is pulled first: its config from the registry, its
// layers into the cell's LayerStore (once per digest, checked), its root filesystem unpacked
// once per image and shared read-only by its instances. The image's own process, user,
// working directory and environment run in it (image_process.h), with /home/vcap and /tmp on
// the instance's disk as for droplets.
#include <signal.h>

#include <filesystem>
#include <fstream>

#include "common/log/log.h"
#include "common/oci/image_ref.h"
#include "common/oci/registry_client.h"
#include "scheduler/cell/cell.h"
#include "scheduler/cell/container_cgroup.h"
#include "scheduler/cell/image_process.h"
#include "scheduler/cell/instance_disk.h"
#include "scheduler/cell/instance_sandbox.h"
#include "scheduler/cell/oci_spec.h"

namespace foundry::cell {
namespace fs = std::filesystem;

namespace {
constexpr uint32_t kVcap = 2000;
constexpr const char* kLifecycleInContainer = "/tmp/lifecycle";
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
    const auto& desired = instance_.start.desired;
    if (!desired.docker_image.empty() && !pullImage(error)) {
      *error = "Pulling image " + desired.docker_image + " failed: " + *error;
      return false;
    }
    std::string why;
    bool ok = (ids_ = cell_.container_ids_.acquire(&why)).valid() &&
              cgroup_.create(static_cast<int64_t>(desired.memory_mb) * 1024 * 1024, &why) &&
              disk_.mount(instance_.root + "/disk", desired.disk_mb, hostVcap(), hostVcap(), &why);
    if (!ok) *error = "Creating container failed: " + why;
    return ok;
  }

  std::string dropletDir() const override { return disk_.home(); }

  bool dropletUnpacked(std::string*) override {
    chownTree(disk_.home(), hostVcap(), hostVcap());
    chownTree(disk_.tmp(), hostVcap(), hostVcap());
    return true;
  }

  std::string useLifecycleDir(const std::string& host_dir) override {
    lifecycle_dir_ = host_dir;
    return kLifecycleInContainer;
  }

  std::string visibleRoot() const override { return "/home/vcap"; }
  std::string path() const override { return kContainerPath; }

  Spawned start(const std::string& start_command, std::vector<std::string> env) override {
    const CellConfig& config = cell_.config_;
    Spawned failed;
    ContainerSpec spec;
    spec.hostname = id_;
    spec.host_id_base = ids_.host_base;
    if (image_rootfs_.empty()) {
      spec.rootfs = cell_.stack_.rootfs;
      spec.args = {kLauncherInContainer, "app", start_command, ""};
      spec.env = std::move(env);
      spec.cwd = visibleRoot();
      spec.uid = spec.gid = kVcap;
      spec.binds = cell_.stack_.binds;
    } else {
      spec.rootfs = image_rootfs_;
      spec.args = imageProcessArgs(image_, start_command, &failed.error);
      spec.env = imageEnvironment(image_.env, env);
      spec.cwd = image_.working_dir.empty() ? "/" : image_.working_dir;
      if (failed.error.empty()) {
        resolveImageUser(image_rootfs_, image_.user, &spec.uid, &spec.gid, &failed.error);
      }
      if (!failed.error.empty()) return failed;
    }
    spec.binds.push_back({disk_.home(), "/home/vcap", false});
    spec.binds.push_back({disk_.tmp(), "/tmp", false});
    // After /tmp, or /tmp's bind would hide them; the launcher after the lifecycle folder.
    if (!lifecycle_dir_.empty()) {
      spec.binds.push_back({lifecycle_dir_, kLifecycleInContainer, true});
    }
    if (image_rootfs_.empty()) spec.binds.push_back({config.launcher, kLauncherInContainer, true});
    spec.cgroups_path = "/" + cgroup_.relative() + "/container";
    spec.pids_limit = config.pids_limit;
    spec.cpu_shares = cpuSharesFor(instance_.start.desired.memory_mb, config.total.memory_mb);

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

  std::vector<std::pair<std::string, std::string>> writableDirs() const override {
    return {{"/home/vcap", disk_.home()}, {"/tmp", disk_.tmp()}};
  }

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

  // The image's config and root filesystem (image_, image_rootfs_). Within the instance's disk
  // quota: the layers as the manifest declares them may not exceed it.
  bool pullImage(std::string* error) {
    const auto& desired = instance_.start.desired;
    oci::ImageRef ref;
    if (std::string bad = oci::parseImageRef(desired.docker_image, &ref); !bad.empty()) {
      *error = bad;
      return false;
    }
    oci::RegistryClient client(
        {.credentials = {desired.docker_username, desired.docker_password}});
    if (std::string failed = client.pullConfig(ref, &image_); !failed.empty()) {
      *error = failed;
      return false;
    }
    uint64_t bytes = 0;
    for (const auto& layer : image_.layers) bytes += layer.size;
    const uint64_t quota = static_cast<uint64_t>(desired.disk_mb) << 20;
    if (bytes > quota) {
      *error = "image layers (" + std::to_string(bytes >> 20) + " MB) exceed the disk quota (" +
               std::to_string(desired.disk_mb) + " MB)";
      return false;
    }
    image_rootfs_ = cell_.images_->rootfs(image_, oci::registryFetcher(client, ref), error);
    if (image_rootfs_.empty()) return false;
    prepareImageMountPoints(image_rootfs_, image_.working_dir);
    return true;
  }

  Cell& cell_;
  const Instance& instance_;
  const std::string id_;
  ContainerCgroup cgroup_;
  InstanceDisk disk_;
  ContainerIds::Lease ids_;
  pid_t runtime_pid_ = 0;
  std::string lifecycle_dir_;  // tasks: the host folder mounted at /tmp/lifecycle
  oci::ImageConfig image_;   // Docker images only
  std::string image_rootfs_;
};

std::unique_ptr<InstanceSandbox> makeContainerSandbox(Cell& cell, const Instance& instance) {
  return std::make_unique<ContainerSandbox>(cell, instance);
}

}  // namespace foundry::cell
