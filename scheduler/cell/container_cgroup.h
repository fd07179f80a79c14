#pragma once
// The memory cgroup the cell creates above each container: memory.limit_in_bytes (cgroup v1,
// with memsw so swap cannot stretch it) or memory.max (v2) holds the instance's limit, and
// runc puts the container's own cgroup below it. runc removes its cgroup when the container
// ends, taking its counters with it; this parent stays until the cell has read whether the
// limit was reached, so an OOM kill is told apart from any other SIGKILL.
#include <cstdint>
#include <string>

namespace foundry::cell {

class ContainerCgroup {
 public:
  // `relative` is the path below each hierarchy's root, e.g. "foundry/<cell>/<instance>".
  explicit ContainerCgroup(std::string relative) : relative_(std::move(relative)) {}
  ~ContainerCgroup() { remove(); }
  ContainerCgroup(const ContainerCgroup&) = delete;
  ContainerCgroup& operator=(const ContainerCgroup&) = delete;

  // Creates the memory cgroup with the limit. False (and `error`) when the host has no
  // writable memory controller.
  bool create(int64_t limit_bytes, std::string* error);
  // After the container is gone: did it reach its memory limit?
  bool limitReached() const;
  // Removes this cgroup (and the empty ones runc left in the other v1 hierarchies).
  void remove();

  // "/sys/fs/cgroup/memory" on cgroup v1 (and hybrid) hosts, "/sys/fs/cgroup" on v2, "" when
  // neither is usable.
  static std::string memoryRoot();
  const std::string& relative() const { return relative_; }

 private:
  std::string relative_;
  std::string dir_;  // the memory cgroup's directory once created
  bool v2_ = false;
};

}  // namespace foundry::cell
