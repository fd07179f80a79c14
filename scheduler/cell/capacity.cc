#include "scheduler/cell/capacity.h"

namespace foundry::cell {

bool Capacity::reserve(const std::string& instance_guid, int memory_mb, int disk_mb) {
  if (memory_mb < 0 || disk_mb < 0 || reserved_.count(instance_guid) > 0) return false;
  sched::Resources left = available();
  if (left.containers < 1 || memory_mb > left.memory_mb || disk_mb > left.disk_mb) return false;
  reserved_[instance_guid] = sched::Resources{memory_mb, disk_mb, 1};
  return true;
}

void Capacity::release(const std::string& instance_guid) { reserved_.erase(instance_guid); }

sched::Resources Capacity::available() const {
  sched::Resources left = total_;
  for (const auto& [guid, r] : reserved_) {
    left.memory_mb -= r.memory_mb;
    left.disk_mb -= r.disk_mb;
    left.containers -= r.containers;
  }
  return left;
}

}  // namespace foundry::cell
