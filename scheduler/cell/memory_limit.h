#pragma once
// Memory limits for instances. MEMORY_LIMIT is always in the environment; enforcement is:
//  - cgroup v2, when /sys/fs/cgroup is a writable cgroup2 mount: a child group per instance
//    under /sys/fs/cgroup/foundry-<cell id>/ with memory.max = the limit (and memory.oom.group,
//    so the kernel kills the whole instance); the child joins it before exec.
//  - otherwise a watchdog thread: every 500 ms it sums the RSS of every process in each
//    instance's process group (/proc/<pid>/stat) and SIGKILLs the group above its limit.
// Either way exceeded() tells, after the instance died, whether the limit killed it.
// Thread-safe.
#include <sys/types.h>

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

namespace foundry::cell {

class MemoryLimiter {
 public:
  struct Handle {
    int64_t limit_bytes = 0;
    std::string cgroup_dir;     // cgroup mode only
    int procs_fd = -1;          // cgroup.procs, written with "0" by the child before exec
    pid_t pgid = 0;
    std::atomic<bool> exceeded{false};  // watchdog mode: it killed the group
  };

  // `use_cgroup` false forces the watchdog (tests); true uses cgroup v2 when available.
  MemoryLimiter(const std::string& cell_id, bool use_cgroup = true);
  ~MemoryLimiter();
  MemoryLimiter(const MemoryLimiter&) = delete;
  MemoryLimiter& operator=(const MemoryLimiter&) = delete;

  // "cgroup2" or "watchdog"
  const char* mode() const { return cgroup_root_.empty() ? "watchdog" : "cgroup2"; }

  // Before the spawn: the handle (with procs_fd to give the child in cgroup mode).
  std::shared_ptr<Handle> prepare(const std::string& instance_guid, int memory_mb);
  // After the spawn: start enforcing on the process group.
  void attach(const std::shared_ptr<Handle>& handle, pid_t pgid);
  // After the instance is gone: did it die of its limit?
  bool exceeded(const std::shared_ptr<Handle>& handle) const;
  // Stop watching and remove the cgroup.
  void release(const std::shared_ptr<Handle>& handle);

  // Total resident bytes of every process whose process group is `pgid` (0 when none).
  static int64_t groupRssBytes(pid_t pgid);

 private:
  void watchLoop();

  std::string cgroup_root_;  // "" = watchdog mode
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::map<Handle*, std::shared_ptr<Handle>> watched_;
  std::thread watchdog_;
};

}  // namespace foundry::cell
