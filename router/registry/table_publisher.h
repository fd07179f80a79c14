#pragma once
// Hands RouteTable snapshots from the control thread to the workers. The read side costs one
// relaxed-acquire atomic load per call when nothing changed; only when a new generation was
// published does a worker take the mutex (briefly) to copy the shared_ptr. So the per-request
// path never contends, and a worker keeps its own reference to the table it is using.
// Replaced tables are kept here until no worker holds them and then freed by the control
// thread: destroying a table releases its shard groups and through them up to 8192 shards,
// which would otherwise stall whichever worker happened to drop the last reference, in the
// middle of a request.

#include <atomic>
#include <cstdint>
#include <mutex>
#include <vector>

#include "router/route/route_table.h"

namespace foundry::router {

class TablePublisher {
 public:
  TablePublisher();

  // Control thread.
  void publish(RouteTableConstSharedPtr table);
  // Control thread: frees the replaced tables no worker holds any more (publish does it too).
  void collect();

  // Workers: refreshes *cached when a newer table exists. `cached_generation` is the
  // worker's own copy of the generation it holds.
  void refresh(uint64_t* cached_generation, RouteTableConstSharedPtr* cached) const {
    uint64_t gen = generation_.load(std::memory_order_acquire);
    if (gen != *cached_generation) {
      std::lock_guard<std::mutex> lock(mutex_);
      *cached = table_;
      *cached_generation = published_generation_;
    }
  }

  RouteTableConstSharedPtr current() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return table_;
  }

 private:
  std::atomic<uint64_t> generation_{0};
  mutable std::mutex mutex_;
  RouteTableConstSharedPtr table_;    // guarded by mutex_
  uint64_t published_generation_ = 0;  // guarded by mutex_
  std::vector<RouteTableConstSharedPtr> retired_;  // control thread only
};

}  // namespace foundry::router
