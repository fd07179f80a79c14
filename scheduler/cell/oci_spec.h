#pragma once
// The OCI runtime spec (config.json) of one instance's container, as Garden builds it for
// Diego: its own mount, PID, IPC, UTS and user namespaces, the host's network namespace, a
// read-only root, no capabilities, no new privileges, a seccomp filter, a pids limit and CPU
// shares. Memory is limited on the parent cgroup the cell creates (container_cgroup.h), so the
// cell can still read the OOM counters after runc has removed the container's own cgroup.
#include <cstdint>
#include <string>
#include <vector>

namespace foundry::cell {

struct BindMount {
  std::string source;       // host path
  std::string destination;  // path in the container
  bool read_only = true;
};

struct ContainerSpec {
  std::string hostname;                 // the instance guid, as Garden names containers
  std::string rootfs;                   // host directory mounted read-only as /
  std::vector<std::string> args;        // args[0] is a path inside the container
  std::vector<std::string> env;         // "NAME=value"
  std::string cwd = "/home/vcap";
  uint32_t uid = 2000, gid = 2000;      // vcap, inside the container
  uint32_t host_id_base = 0;            // container ids 0..65535 are host ids base..base+65535
  std::vector<BindMount> binds;         // after /proc, /dev, /sys: the stack, the disk, launcher
  std::string cgroups_path;             // "/foundry/<cell>/<instance>/container"
  int pids_limit = 1024;
  int cpu_shares = 1024;
  int open_files = 16384;               // RLIMIT_NOFILE (CF's `fds` limit)
};

// Size of the id range each container maps (container ids 0..65535).
constexpr uint32_t kContainerIdRange = 65536;

// config.json for `runc run`.
std::string ociConfigJson(const ContainerSpec& spec);

// Diego's CPU weight: shares proportional to the instance's memory out of the cell's, at
// least 10 (Garden's floor) and at most 1024 (one whole CPU's worth of the default weight).
int cpuSharesFor(int memory_mb, int cell_memory_mb);

}  // namespace foundry::cell
