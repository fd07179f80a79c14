#pragma once
// Capacity accounting for one cell (B4): the total it advertises and one reservation per
// instance it holds. available = total minus every reservation. Not thread-safe: the Cell
// guards it with its own mutex.
#include <map>
#include <string>

#include "scheduler/model/lrp.h"

namespace foundry::cell {

class Capacity {
 public:
  explicit Capacity(sched::Resources total) : total_(total) {}

  // Reserves memory, disk and one container for `instance_guid`. False (nothing reserved) when
  // it does not fit or the guid already holds a reservation.
  bool reserve(const std::string& instance_guid, int memory_mb, int disk_mb);
  // Frees the reservation; unknown guids are ignored (release is idempotent).
  void release(const std::string& instance_guid);
  bool holds(const std::string& instance_guid) const { return reserved_.count(instance_guid) > 0; }

  const sched::Resources& total() const { return total_; }
  sched::Resources available() const;

 private:
  sched::Resources total_;
  std::map<std::string, sched::Resources> reserved_;  // instance_guid -> its reservation
};

}  // namespace foundry::cell
