#include "scheduler/cell/container_ids.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "scheduler/cell/oci_spec.h"

namespace foundry::cell {

ContainerIds::Lease ContainerIds::acquire(std::string* error) {
  std::error_code ec;
  std::filesystem::create_directories(lock_dir_, ec);
  std::lock_guard<std::mutex> lock(mutex_);
  for (int tried = 0; tried < kSlots; ++tried) {
    const int slot = (next_ + tried) % kSlots;
    const std::string path = lock_dir_ + "/" + std::to_string(slot) + ".lock";
    int fd = open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) {
      *error = "cannot open " + path + ": " + std::strerror(errno);
      return {};
    }
    if (flock(fd, LOCK_EX | LOCK_NB) == 0) {
      next_ = (slot + 1) % kSlots;
      return {slot, fd, kFirstHostId + static_cast<uint32_t>(slot) * kContainerIdRange};
    }
    close(fd);
  }
  *error = "every container id range on this machine is in use";
  return {};
}

void ContainerIds::release(Lease& lease) {
  if (lease.lock_fd >= 0) close(lease.lock_fd);  // drops the flock
  lease = {};
}

}  // namespace foundry::cell
