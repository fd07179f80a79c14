#pragma once
// Hands immutable snapshots (shared_ptr<const T>) from the thread that builds them to the
// workers, the way TablePublisher hands over route tables: a worker's check costs one
// acquire load when nothing changed; only after a publish does it take the mutex, briefly, to
// copy the new pointer. Each worker keeps its own reference, so an old snapshot lives until
// the last request or connection holding it is done (RCU by refcount).

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <utility>

namespace foundry::router {

template <typename T>
class SnapshotPublisher {
 public:
  using ConstSharedPtr = std::shared_ptr<const T>;

  explicit SnapshotPublisher(ConstSharedPtr initial) : current_(std::move(initial)) {}
  SnapshotPublisher(const SnapshotPublisher&) = delete;
  SnapshotPublisher& operator=(const SnapshotPublisher&) = delete;

  // Any thread (one publisher at a time).
  void publish(ConstSharedPtr next) {
    std::lock_guard<std::mutex> lock(mutex_);
    current_ = std::move(next);
    ++published_generation_;
    generation_.store(published_generation_, std::memory_order_release);
  }

  // Workers: replaces *cached when a newer snapshot was published; true if it did.
  // `cached_generation` is the caller's copy of the generation it holds (start it at ~0).
  bool refresh(uint64_t* cached_generation, ConstSharedPtr* cached) const {
    if (generation_.load(std::memory_order_acquire) == *cached_generation) return false;
    std::lock_guard<std::mutex> lock(mutex_);
    *cached = current_;
    *cached_generation = published_generation_;
    return true;
  }

  ConstSharedPtr current() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return current_;
  }

 private:
  std::atomic<uint64_t> generation_{0};
  mutable std::mutex mutex_;
  ConstSharedPtr current_;             // guarded by mutex_
  uint64_t published_generation_ = 0;  // guarded by mutex_
};

}  // namespace foundry::router
