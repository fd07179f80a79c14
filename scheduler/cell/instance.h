#pragma once
// One instance the cell holds: what it was asked to run and where it is in its lifecycle.
// The lifecycle itself (instance_runner.cc) runs on its own thread; the HTTP side only reads
// the state and requests a stop.
#include <sys/types.h>

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>

#include "scheduler/model/lrp.h"

namespace foundry::cell {

struct Instance {
  explicit Instance(sched::LrpStart s) : start(std::move(s)) {}

  const sched::LrpStart start;
  std::string root;                              // work-dir/instances/<instance_guid>
  std::atomic<sched::LrpState> state{sched::LrpState::kClaimed};
  std::atomic<uint16_t> port{0};
  std::atomic<pid_t> pgid{0};

  // Stop requests (the scheduler's /stop, or the cell shutting down). Wakes the lifecycle.
  void requestStop(bool report_remove) {
    {
      std::lock_guard<std::mutex> lock(mutex);
      stop_requested = true;
      stop_reports_remove = report_remove;
    }
    wake.notify_all();
  }
  bool stopRequested() {
    std::lock_guard<std::mutex> lock(mutex);
    return stop_requested;
  }
  // Sleeps up to `ms`, returning early (true) when a stop was requested.
  bool sleepUnlessStopped(int ms) {
    std::unique_lock<std::mutex> lock(mutex);
    return wake.wait_for(lock, std::chrono::milliseconds(ms), [&] { return stop_requested; });
  }

  std::mutex mutex;
  std::condition_variable wake;
  bool stop_requested = false;
  bool stop_reports_remove = true;
};

}  // namespace foundry::cell
