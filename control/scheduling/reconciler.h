#pragma once
// Reconciler: one worker thread that sends the scheduler what the API changed, so the event
// loop never waits on it. The loop computes an app's desired LRPs (DesiredState, store reads
// stay on the loop) and queues them here; the worker lists what the scheduler has for the app
// (GET /v1/desired_lrps?app_guid=) and applies reconcile_plan.h. Work runs in arrival order;
// an app already waiting in the queue is updated in place (its latest desired state wins, and a
// restart asked for in between is kept), so a burst of changes costs one round of calls.
//
// A failed call is logged and not retried: the periodic full sync (PUT /v1/sync, queued here
// by the server every --sync-interval) repairs whatever a missed call left behind.

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "control/scheduling/scheduler_client.h"
#include "scheduler/model/lrp.h"

namespace foundry::control::scheduling {

struct AppDesiredState {
  std::string app_guid;
  std::vector<sched::DesiredLrp> lrps;  // empty: the app should run nothing
  bool restart = false;                 // delete the app's LRPs before putting them back
};

// What one queued reconcile of an app becomes when another arrives before it was sent: the
// newer state, as a restart when either asked for one or the queued one was a stop.
AppDesiredState mergeQueued(AppDesiredState queued, AppDesiredState incoming);

class Reconciler {
 public:
  // `on_sync` (optional) is called on the worker thread after each sync with its outcome.
  explicit Reconciler(const SchedulerClient& client,
                      std::function<void(bool ok)> on_sync = nullptr);
  // Finishes the call in flight, drops what is still queued (the next start's sync covers it).
  ~Reconciler();
  Reconciler(const Reconciler&) = delete;
  Reconciler& operator=(const Reconciler&) = delete;

  void reconcileApp(AppDesiredState state);
  // Queues a full sync with the desired LRPs of every started app (replaces a queued one).
  void sync(std::vector<sched::DesiredLrp> all);
  // True once the queue is empty and the worker idle (tests); false after `timeout`.
  bool waitIdle(std::chrono::milliseconds timeout);

 private:
  void run();
  void reconcileNow(const AppDesiredState& state);
  void syncNow(const std::vector<sched::DesiredLrp>& all);

  const SchedulerClient& client_;
  std::function<void(bool)> on_sync_;
  std::mutex mu_;
  std::condition_variable wake_, idle_;
  std::deque<std::string> order_;  // app guids in arrival order; kSyncKey for the sync
  std::map<std::string, AppDesiredState> pending_;
  std::optional<std::vector<sched::DesiredLrp>> pending_sync_;
  bool busy_ = false;
  bool stop_ = false;
  std::thread thread_;  // last: starts once the rest is built
};

}  // namespace foundry::control::scheduling
