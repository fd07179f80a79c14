#pragma once
// Where and how one instance's processes run. Two kinds:
//  - ContainerSandbox: an OCI container (runc) with its own namespaces, user ids, disk quota,
//    memory, pids and CPU limits (README.md "Containers"); the default.
//  - ProcessSandbox: a process group on the host (--isolation none): no isolation but the
//    folder, the port and the memory limit.
// The instance's lifecycle (instance_runner.cc) is the same for both: prepare, unpack the
// droplet into dropletDir(), start the launcher, signal, ask whether the memory limit ended it.
#include <sys/types.h>

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "scheduler/cell/process.h"

namespace foundry::cell {

class Cell;
struct Instance;

class InstanceSandbox {
 public:
  virtual ~InstanceSandbox() = default;

  // Sets up the file system and limits before the droplet is unpacked.
  virtual bool prepare(std::string* error) = 0;
  // Host directory the droplet is unpacked into.
  virtual std::string dropletDir() const = 0;
  // After the unpack and a task's downloads (the container hands /home/vcap's and /tmp's
  // files to its user).
  virtual bool dropletUnpacked(std::string* error) = 0;
  // A task's lifecycle folder (--lifecycle-dir): made visible to the processes started next,
  // read-only (a container mounts it at /tmp/lifecycle). Returns the path they see it at.
  virtual std::string useLifecycleDir(const std::string& host_dir) = 0;
  // That directory as the app sees it (HOME is <it>/app, TMPDIR <it>/tmp).
  virtual std::string visibleRoot() const = 0;
  // PATH for the app.
  virtual std::string path() const = 0;
  // Starts `launcher app <start command> ""` with `env`; the pid watched for the exit.
  virtual Spawned start(const std::string& start_command, std::vector<std::string> env) = 0;
  // Sends `signal` to every process of the instance.
  virtual void signalAll(int signal) = 0;
  // True while any process of the instance is left (after the watched pid exited).
  virtual bool anyLeft() = 0;
  // The watched pid's exit as the app's (runc reports a signal N as status 128 + N).
  virtual ExitStatus appExit(const ExitStatus& watched) const = 0;
  // After the exit: did the memory limit end it?
  virtual bool memoryLimitReached() = 0;
  // The directories the app can write, as it sees them -> where they are on the host
  // ({"/home/vcap", ...}, {"/tmp", ...}): where a task's result file is read from.
  virtual std::vector<std::pair<std::string, std::string>> writableDirs() const = 0;
  // Releases everything (processes, mounts, cgroups, ids). Idempotent.
  virtual void destroy() = 0;
};

std::unique_ptr<InstanceSandbox> makeProcessSandbox(Cell& cell, const Instance& instance);
std::unique_ptr<InstanceSandbox> makeContainerSandbox(Cell& cell, const Instance& instance);

}  // namespace foundry::cell
