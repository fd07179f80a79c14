#pragma once
// Host id ranges for containers' user namespaces. Each running container maps its ids
// 0..65535 to a range of host ids no other container on the machine has, so its `vcap` is a
// different host user from every other instance's: it cannot signal them, read their files or
// join their listening sockets with SO_REUSEPORT, even though all share the host's network.
// A range is held with an flock on /run/foundry/container-ids/<n>.lock, so several cells on
// one machine never hand out the same range and a dead cell's ranges free themselves.
#include <cstdint>
#include <mutex>
#include <string>

namespace foundry::cell {

class ContainerIds {
 public:
  struct Lease {
    int slot = -1;
    int lock_fd = -1;
    uint32_t host_base = 0;  // container id 0 on the host
    bool valid() const { return slot >= 0; }
  };

  explicit ContainerIds(std::string lock_dir = "/run/foundry/container-ids")
      : lock_dir_(std::move(lock_dir)) {}

  // A free range, or an invalid lease (with `error`) when none can be locked.
  Lease acquire(std::string* error);
  void release(Lease& lease);

  static constexpr uint32_t kFirstHostId = 1'000'000;
  static constexpr int kSlots = 16'000;  // up to host id ~1.05e9

 private:
  const std::string lock_dir_;
  std::mutex mutex_;
  int next_ = 0;  // round-robin, so a just-freed range is not reused at once
};

}  // namespace foundry::cell
