#include "scheduler/bbs/converger.h"

#include "common/log/log.h"
#include "scheduler/auction/cell_client.h"

namespace foundry::sched {

namespace {

int64_t nowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

Converger::Converger(Bbs* bbs, std::chrono::milliseconds interval, net::Authorizer authorize,
                     long state_timeout_ms, TaskBook* tasks)
    : bbs_(bbs),
      tasks_(tasks),
      interval_(interval),
      authorize_(std::move(authorize)),
      state_timeout_ms_(state_timeout_ms) {}

Converger::~Converger() { stop(); }

void Converger::start() {
  thread_ = std::thread([this] {
    std::unique_lock lock(mu_);
    while (!wake_.wait_for(lock, interval_, [this] { return stopping_; })) {
      lock.unlock();
      try {
        runOnce();
      } catch (const std::exception& e) {
        log::error("scheduler", "convergence-failed", {{"error", e.what()}});
      }
      lock.lock();
    }
  });
}

void Converger::stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void Converger::runOnce() {
  bbs_->converge();
  if (tasks_) tasks_->converge();
  int64_t fetched_at = nowNs();
  for (auto& answer : fetchCellStates(bbs_->presentCells(), state_timeout_ms_, authorize_)) {
    if (answer.state) {
      bbs_->reconcileCell(*answer.state, fetched_at);
      if (tasks_) tasks_->reconcileCell(*answer.state, fetched_at);
    } else {
      log::warn("scheduler", "bulk-sync-cell-failed",
                {{"cell_id", answer.presence.cell_id}, {"error", answer.error}});
    }
  }
}

void Retirer::stopLater(const StopOrder& order) {
  queue_.post(grace_, [this, order] { attempt(order, 5); });
}

void Retirer::attempt(StopOrder order, int tries_left) {
  std::string error;
  if (stopInstance(order.rep_url, order.process_guid, order.instance_guid, 5000, authorize_,
                   &error)) {
    log::info("scheduler", "stop-sent",
              {{"process_guid", order.process_guid},
               {"index", std::to_string(order.index)},
               {"instance_guid", order.instance_guid},
               {"cell_id", order.cell_id}});
    return;
  }
  log::warn("scheduler", "stop-failed",
            {{"instance_guid", order.instance_guid},
             {"cell_id", order.cell_id},
             {"error", error},
             {"tries_left", std::to_string(tries_left - 1)}});
  if (tries_left > 1) {
    queue_.post(std::chrono::seconds(1),
                [this, order, tries_left] { attempt(order, tries_left - 1); });
  }
}

}  // namespace foundry::sched
