#pragma once
// DelayQueue: runs functions on its own thread once their delay has passed, in due order. For
// the scheduler's slow side effects (stop calls to cells after the unregister grace), so no
// caller ever sleeps or waits on a cell. stop() drops what has not run yet.
#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <mutex>
#include <thread>
#include <utility>

namespace foundry::sched {

class DelayQueue {
 public:
  using Clock = std::chrono::steady_clock;
  DelayQueue() : thread_([this] { loop(); }) {}
  ~DelayQueue() { stop(); }
  DelayQueue(const DelayQueue&) = delete;
  DelayQueue& operator=(const DelayQueue&) = delete;

  void post(std::chrono::milliseconds delay, std::function<void()> fn) {
    {
      std::lock_guard lock(mu_);
      if (stopping_) return;
      tasks_.emplace(std::make_pair(Clock::now() + delay, seq_++), std::move(fn));
    }
    wake_.notify_one();
  }

  void stop() {
    {
      std::lock_guard lock(mu_);
      stopping_ = true;
      tasks_.clear();
    }
    wake_.notify_one();
    if (thread_.joinable()) thread_.join();
  }

 private:
  void loop() {
    std::unique_lock lock(mu_);
    while (!stopping_) {
      if (tasks_.empty()) {
        wake_.wait(lock);
        continue;
      }
      auto due = tasks_.begin()->first.first;
      if (Clock::now() < due) {
        wake_.wait_until(lock, due);
        continue;
      }
      auto fn = std::move(tasks_.begin()->second);
      tasks_.erase(tasks_.begin());
      lock.unlock();
      fn();
      lock.lock();
    }
  }

  std::mutex mu_;
  std::condition_variable wake_;
  std::map<std::pair<Clock::time_point, uint64_t>, std::function<void()>> tasks_;
  uint64_t seq_ = 0;
  bool stopping_ = false;
  std::thread thread_;  // last: starts once the members above exist
};

}  // namespace foundry::sched
