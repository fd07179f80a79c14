#include "scheduler/cell/instance_disk.h"

#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <vector>

namespace foundry::cell {
namespace fs = std::filesystem;

bool InstanceDisk::mount(const std::string& dir, int disk_mb, uid_t owner, gid_t group,
                         std::string* error) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  const std::string options = "size=" + std::to_string(std::max(disk_mb, 1)) +
                              "m,mode=0755,uid=" + std::to_string(owner) +
                              ",gid=" + std::to_string(group);
  if (::mount("tmpfs", dir.c_str(), "tmpfs", MS_NOSUID | MS_NODEV, options.c_str()) != 0) {
    *error = "cannot mount the instance's disk: " + std::string(std::strerror(errno));
    return false;
  }
  dir_ = dir;
  mounted_ = true;
  const std::string home_dir = home(), tmp_dir = tmp();
  if (::mkdir(home_dir.c_str(), 0755) != 0 || ::mkdir(tmp_dir.c_str(), 01777) != 0 ||
      ::chown(home_dir.c_str(), owner, group) != 0 || ::chown(tmp_dir.c_str(), owner, group) != 0 ||
      ::chmod(tmp_dir.c_str(), 01777) != 0) {
    *error = "cannot prepare the instance's disk: " + std::string(std::strerror(errno));
    return false;
  }
  return true;
}

void InstanceDisk::unmount() {
  if (mounted_) umount2(dir_.c_str(), MNT_DETACH);
  mounted_ = false;
}

void unmountAllBelow(const std::string& dir) {
  // /proc/self/mountinfo field 5 is the mount point (octal escapes for spaces; our paths
  // have none).
  std::ifstream mountinfo("/proc/self/mountinfo");
  std::vector<std::string> points;
  std::string line;
  const std::string prefix = dir + "/";
  while (std::getline(mountinfo, line)) {
    std::istringstream fields(line);
    std::string id, parent, devices, root, point;
    if (!(fields >> id >> parent >> devices >> root >> point)) continue;
    if (point == dir || point.rfind(prefix, 0) == 0) points.push_back(point);
  }
  std::sort(points.begin(), points.end(),
            [](const std::string& a, const std::string& b) { return a.size() > b.size(); });
  for (const auto& point : points) umount2(point.c_str(), MNT_DETACH);
}

void chownTree(const std::string& dir, uid_t owner, gid_t group) {
  std::error_code ec;
  lchown(dir.c_str(), owner, group);
  for (auto it = fs::recursive_directory_iterator(dir, ec); !ec && it != fs::end(it);
       it.increment(ec)) {
    lchown(it->path().c_str(), owner, group);
  }
}

}  // namespace foundry::cell
