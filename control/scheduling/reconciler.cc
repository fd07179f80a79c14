#include "control/scheduling/reconciler.h"

#include "control/scheduling/reconcile_plan.h"
#include "common/log/log.h"

namespace foundry::control::scheduling {

namespace {
// App guids are UUIDs, so this never collides with one.
const std::string kSyncKey = "<sync>";
}  // namespace

Reconciler::Reconciler(const SchedulerClient& client, std::function<void(bool)> on_sync)
    : client_(client), on_sync_(std::move(on_sync)), thread_([this] { run(); }) {}

Reconciler::~Reconciler() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

AppDesiredState mergeQueued(AppDesiredState queued, AppDesiredState incoming) {
  // A stop still queued when a start arrives never reached the scheduler; dropping it would
  // leave the old instances running (e.g. without a new binding's VCAP_SERVICES), so stop
  // then start becomes a restart.
  const bool queued_stop = queued.lrps.empty() && !incoming.lrps.empty();
  incoming.restart = incoming.restart || queued.restart || queued_stop;
  return incoming;
}

void Reconciler::reconcileApp(AppDesiredState state) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = pending_.find(state.app_guid);
    if (it != pending_.end()) {
      it->second = mergeQueued(std::move(it->second), std::move(state));
    } else {
      order_.push_back(state.app_guid);
      pending_.emplace(state.app_guid, std::move(state));
    }
  }
  wake_.notify_one();
}

void Reconciler::sync(std::vector<sched::DesiredLrp> all) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!pending_sync_) order_.push_back(kSyncKey);
    pending_sync_ = std::move(all);
  }
  wake_.notify_one();
}

bool Reconciler::waitIdle(std::chrono::milliseconds timeout) {
  std::unique_lock<std::mutex> lock(mu_);
  return idle_.wait_for(lock, timeout, [this] { return order_.empty() && !busy_; });
}

void Reconciler::run() {
  std::unique_lock<std::mutex> lock(mu_);
  while (true) {
    wake_.wait(lock, [this] { return stop_ || !order_.empty(); });
    if (stop_) return;
    std::string key = std::move(order_.front());
    order_.pop_front();
    busy_ = true;
    if (key == kSyncKey) {
      auto all = std::move(*pending_sync_);
      pending_sync_.reset();
      lock.unlock();
      syncNow(all);
    } else {
      auto node = pending_.extract(key);
      lock.unlock();
      reconcileNow(node.mapped());
    }
    lock.lock();
    busy_ = false;
    if (order_.empty()) idle_.notify_all();
  }
}

void Reconciler::reconcileNow(const AppDesiredState& state) {
  std::string error;
  auto existing = client_.desiredLrps(state.app_guid, &error);
  if (!existing) {
    log::warn("controller", "scheduler-reconcile-failed",
              {{"app_guid", state.app_guid}, {"step", "list"}, {"error", error}});
    return;
  }
  ReconcilePlan plan = planReconcile(*existing, state.lrps, state.restart);
  auto fail = [&](const char* step, const std::string& process_guid) {
    log::warn("controller", "scheduler-reconcile-failed",
              {{"app_guid", state.app_guid}, {"step", step}, {"process_guid", process_guid},
               {"error", error}});
  };
  for (const auto& guid : plan.delete_first) {
    if (!client_.deleteLrp(guid, &error)) fail("delete", guid);
  }
  for (const auto& lrp : plan.put) {
    if (!client_.putLrp(lrp, &error)) fail("put", lrp.process_guid);
  }
  for (const auto& guid : plan.delete_after) {
    if (!client_.deleteLrp(guid, &error)) fail("delete", guid);
  }
  log::info("controller", "scheduler-reconciled",
            {{"app_guid", state.app_guid},
             {"restart", state.restart ? "true" : "false"},
             {"put", std::to_string(plan.put.size())},
             {"deleted", std::to_string(plan.delete_first.size() + plan.delete_after.size())}});
}

void Reconciler::syncNow(const std::vector<sched::DesiredLrp>& all) {
  std::string error;
  bool ok = false;
  if (auto existing = client_.desiredLrps("", &error)) {
    ok = client_.sync(mergeForSync(*existing, all), &error);
  }
  if (ok) {
    log::debug("controller", "scheduler-synced", {{"lrps", std::to_string(all.size())}});
  } else {
    log::warn("controller", "scheduler-sync-failed", {{"error", error}});
  }
  if (on_sync_) on_sync_(ok);
}

}  // namespace foundry::control::scheduling
