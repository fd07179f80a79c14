#include "scheduler/cell/oci_spec.h"

#include <algorithm>

#include <nlohmann/json.hpp>

namespace foundry::cell {
namespace {

using nlohmann::json;

// Syscalls no app needs and that widen what a container can reach. Docker's default seccomp
// profile refuses these too; it allows a list instead, but refusing a list keeps ours short
// and lets new harmless syscalls through. ptrace stays allowed (Docker allows it from kernel
// 4.8), so debuggers and sanitizers work on the app's own processes. The refused calls fail
// with EPERM rather than killing the caller, so a probing library sees an ordinary error.
const char* const kRefusedSyscalls[] = {
    "acct", "add_key", "bpf", "clock_adjtime", "clock_settime", "create_module",
    "delete_module", "finit_module", "fsconfig", "fsmount", "fsopen", "fspick",
    "get_kernel_syms", "get_mempolicy", "init_module", "ioperm", "iopl", "kcmp",
    "kexec_file_load", "kexec_load", "keyctl", "lookup_dcookie", "mbind", "mount",
    "mount_setattr", "move_mount", "move_pages", "name_to_handle_at", "nfsservctl",
    "open_by_handle_at", "open_tree", "perf_event_open", "pivot_root",
    "query_module", "quotactl", "reboot", "request_key",
    "set_mempolicy", "setns", "settimeofday", "stime", "swapoff", "swapon", "sysfs",
    "_sysctl", "umount", "umount2", "unshare", "uselib", "userfaultfd", "ustat", "vhangup"};

json seccompProfile() {
  json names = json::array();
  for (const char* name : kRefusedSyscalls) names.push_back(name);
  constexpr int kEperm = 1;
  return {{"defaultAction", "SCMP_ACT_ALLOW"},
          {"architectures", {"SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"}},
          {"syscalls", {{{"names", names}, {"action", "SCMP_ACT_ERRNO"}, {"errnoRet", kEperm}}}}};
}

json noCapabilities() {
  json none = json::array();
  return {{"bounding", none}, {"effective", none}, {"inheritable", none},
          {"permitted", none}, {"ambient", none}};
}

json kernelMounts() {
  return json::array({
      {{"destination", "/proc"}, {"type", "proc"}, {"source", "proc"},
       {"options", {"nosuid", "noexec", "nodev"}}},
      {{"destination", "/dev"}, {"type", "tmpfs"}, {"source", "tmpfs"},
       {"options", {"nosuid", "strictatime", "mode=755", "size=65536k"}}},
      {{"destination", "/dev/pts"}, {"type", "devpts"}, {"source", "devpts"},
       {"options", {"nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620"}}},
      {{"destination", "/dev/shm"}, {"type", "tmpfs"}, {"source", "shm"},
       {"options", {"nosuid", "noexec", "nodev", "mode=1777", "size=65536k"}}},
      {{"destination", "/dev/mqueue"}, {"type", "mqueue"}, {"source", "mqueue"},
       {"options", {"nosuid", "noexec", "nodev"}}},
      // The host's network namespace is not owned by the container's user namespace, so sysfs
      // cannot be mounted afresh: the host's, read-only (as rootless Docker does).
      {{"destination", "/sys"}, {"type", "bind"}, {"source", "/sys"},
       {"options", {"rbind", "ro", "nosuid", "noexec", "nodev"}}},
  });
}

json bindMount(const BindMount& b) {
  json options = {"rbind", "nosuid", "nodev"};
  if (b.read_only) options.push_back("ro");
  return {{"destination", b.destination}, {"type", "bind"}, {"source", b.source},
          {"options", options}};
}

}  // namespace

int cpuSharesFor(int memory_mb, int cell_memory_mb) {
  if (cell_memory_mb <= 0) return 1024;
  long shares = 1024L * std::max(memory_mb, 0) / cell_memory_mb;
  return static_cast<int>(std::clamp<long>(shares, 10, 1024));
}

std::string ociConfigJson(const ContainerSpec& spec) {
  json mounts = kernelMounts();
  for (const auto& b : spec.binds) mounts.push_back(bindMount(b));
  const json id_map = json::array(
      {{{"containerID", 0}, {"hostID", spec.host_id_base}, {"size", kContainerIdRange}}});
  json config = {
      {"ociVersion", "1.0.2"},
      {"hostname", spec.hostname},
      {"root", {{"path", spec.rootfs}, {"readonly", true}}},
      {"process",
       {{"terminal", false},
        {"user", {{"uid", spec.uid}, {"gid", spec.gid}}},
        {"args", spec.args},
        {"env", spec.env},
        {"cwd", spec.cwd},
        {"noNewPrivileges", true},
        {"capabilities", noCapabilities()},
        {"rlimits",
         {{{"type", "RLIMIT_NOFILE"}, {"hard", spec.open_files}, {"soft", spec.open_files}}}}}},
      {"mounts", mounts},
      {"linux",
       {{"namespaces", {{{"type", "pid"}}, {{"type", "ipc"}}, {{"type", "uts"}},
                        {{"type", "mount"}}, {{"type", "user"}}}},
        {"uidMappings", id_map},
        {"gidMappings", id_map},
        {"cgroupsPath", spec.cgroups_path},
        {"resources",
         {{"pids", {{"limit", spec.pids_limit}}}, {"cpu", {{"shares", spec.cpu_shares}}}}},
        {"seccomp", seccompProfile()},
        {"maskedPaths",
         {"/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys", "/proc/latency_stats",
          "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug", "/sys/firmware",
          "/proc/scsi"}},
        {"readonlyPaths",
         {"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"}}}}};
  return config.dump(1);
}

}  // namespace foundry::cell
