#pragma once
// An instance's disk in a container: a tmpfs of the instance's disk quota at <root>/disk,
// owned by the container's vcap. Its home/ is /home/vcap (the droplet is unpacked there) and
// its tmp/ is /tmp, so everything the app writes counts against one quota and writing past
// it fails in the app with ENOSPC; the cell's own disk never fills. (Garden uses XFS project
// quotas on real disk; a tmpfs needs no extra file system, and pages are only used for what
// the app actually writes.)
#include <sys/types.h>

#include <string>

namespace foundry::cell {

class InstanceDisk {
 public:
  InstanceDisk() = default;
  ~InstanceDisk() { unmount(); }
  InstanceDisk(const InstanceDisk&) = delete;
  InstanceDisk& operator=(const InstanceDisk&) = delete;

  bool mount(const std::string& dir, int disk_mb, uid_t owner, gid_t group, std::string* error);
  void unmount();

  std::string home() const { return dir_ + "/home"; }
  std::string tmp() const { return dir_ + "/tmp"; }

 private:
  std::string dir_;
  bool mounted_ = false;
};

// Detaches every mount point at or below `dir` (a cell that crashed leaves its instances'
// disks mounted), deepest first.
void unmountAllBelow(const std::string& dir);
// lchown of everything below `dir` (and `dir` itself).
void chownTree(const std::string& dir, uid_t owner, gid_t group);

}  // namespace foundry::cell
