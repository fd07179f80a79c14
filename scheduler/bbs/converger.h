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
#include "scheduler/bbs/task_book.h"
#include "common/net/http_client.h"

namespace foundry::sched {

class Converger {
 public:
  // `authorize` signs the /state calls of the bulk sync. `tasks` (may be null) converges and
  // bulk-syncs too.
  Converger(Bbs* bbs, std::chrono::milliseconds interval, net::Authorizer authorize,
            long state_timeout_ms = 2000, TaskBook* tasks = nullptr);
  ~Converger();
  Converger(const Converger&) = delete;
  Converger& operator=(const Converger&) = delete;
  void start();
  void stop();
  void runOnce();

 private:
  Bbs* bbs_;
  TaskBook* tasks_;
  std::chrono::milliseconds interval_;
  net::Authorizer authorize_;
  long state_timeout_ms_;
  std::mutex mu_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread thread_;
};

// Carries out StopOrders: after `grace` (routers have dropped the routes by then) POSTs the
// cell's stop (signed with `authorize`), retrying up to 5 attempts 1 s apart.
class Retirer {
 public:
  Retirer(std::chrono::milliseconds grace, net::Authorizer authorize)
      : grace_(grace), authorize_(std::move(authorize)) {}
  void stopLater(const StopOrder& order);
  void shutdown() { queue_.stop(); }

 private:
  void attempt(StopOrder order, int tries_left);
  std::chrono::milliseconds grace_;
  net::Authorizer authorize_;
  DelayQueue queue_;
};

}  // namespace foundry::sched
