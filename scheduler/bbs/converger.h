#pragma once
// Converger: every --convergence-interval runs Bbs::converge() and then the bulk sync (each
// present cell's /state handed to Bbs::reconcileCell), on its own thread. Also the place where
// retire orders are carried out: Retirer waits the unregister grace, then asks the cell to stop.
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "scheduler/bbs/bbs.h"
#include "scheduler/bbs/delay_queue.h"

namespace foundry::sched {

class Converger {
 public:
  Converger(Bbs* bbs, std::chrono::milliseconds interval, long state_timeout_ms = 2000);
  ~Converger();
  Converger(const Converger&) = delete;
  Converger& operator=(const Converger&) = delete;
  void start();
  void stop();
  void runOnce();

 private:
  Bbs* bbs_;
  std::chrono::milliseconds interval_;
  long state_timeout_ms_;
  std::mutex mu_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread thread_;
};

// Carries out StopOrders: after `grace` (routers have dropped the routes by then) POSTs the
// cell's stop, retrying up to 5 attempts 1 s apart.
class Retirer {
 public:
  explicit Retirer(std::chrono::milliseconds grace) : grace_(grace) {}
  void stopLater(const StopOrder& order);
  void shutdown() { queue_.stop(); }

 private:
  void attempt(StopOrder order, int tries_left);
  std::chrono::milliseconds grace_;
  DelayQueue queue_;
};

}  // namespace foundry::sched
