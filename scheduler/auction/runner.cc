#include "scheduler/auction/runner.h"

#include <chrono>
#include <future>
#include <map>
#include <set>

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

AuctionRunner::AuctionRunner(Bbs* bbs, AuctionOptions options, TaskBook* tasks)
    : bbs_(bbs), tasks_(tasks), options_(std::move(options)) {}

AuctionRunner::~AuctionRunner() { stop(); }

void AuctionRunner::start() {
  thread_ = std::thread([this] { loop(); });
}

void AuctionRunner::stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void AuctionRunner::request(std::vector<LrpStart> starts) {
  {
    std::lock_guard lock(mu_);
    for (auto& s : starts) queue_.push_back(std::move(s));
  }
  wake_.notify_one();
}

void AuctionRunner::requestTasks(std::vector<TaskDefinition> tasks) {
  {
    std::lock_guard lock(mu_);
    for (auto& t : tasks) task_queue_.push_back(std::move(t));
  }
  wake_.notify_one();
}

void AuctionRunner::loop() {
  for (;;) {
    std::vector<LrpStart> batch;
    std::vector<TaskDefinition> task_batch;
    {
      std::unique_lock lock(mu_);
      wake_.wait(lock,
                 [this] { return stopping_ || !queue_.empty() || !task_queue_.empty(); });
      if (stopping_) return;
      batch.swap(queue_);
      task_batch.swap(task_queue_);
    }
    // Dedupe by process_guid and index: the latest request (newest instance_guid) wins.
    std::map<std::pair<std::string, int>, LrpStart> latest;
    for (auto& s : batch) latest[{s.desired.process_guid, s.index}] = std::move(s);
    std::vector<LrpStart> starts;
    for (auto& [key, s] : latest) starts.push_back(std::move(s));
    // Tasks by task_guid (Diego's task auction id).
    std::map<std::string, TaskDefinition> latest_tasks;
    for (auto& t : task_batch) latest_tasks[t.task_guid] = std::move(t);
    std::vector<TaskDefinition> tasks;
    for (auto& [guid, t] : latest_tasks) tasks.push_back(std::move(t));
    try {
      runRound(std::move(starts), std::move(tasks));
    } catch (const std::exception& e) {
      log::error("auctioneer", "round-failed", {{"error", e.what()}});
    }
  }
}

void AuctionRunner::runRound(std::vector<LrpStart> starts, std::vector<TaskDefinition> tasks) {
  std::vector<CellState> states;
  std::vector<CellPresence> cells = bbs_->presentCells();
  // Diego retries a round where no cell answered a few times before failing it.
  for (int attempt = 0; attempt < 3 && states.empty(); ++attempt) {
    if (attempt > 0) std::this_thread::sleep_for(std::chrono::milliseconds(500));
    int64_t fetched_at = nowNs();
    for (auto& answer : fetchCellStates(cells, options_.state_timeout_ms, options_.authorize)) {
      if (!answer.state) {
        log::warn("auctioneer", "cell-state-failed",
                  {{"cell_id", answer.presence.cell_id}, {"error", answer.error}});
        continue;
      }
      bbs_->reconcileCell(*answer.state, fetched_at);
      if (tasks_) tasks_->reconcileCell(*answer.state, fetched_at);
      states.push_back(std::move(*answer.state));
    }
    if (cells.empty()) break;
  }

  std::erase_if(starts, [this](const LrpStart& s) { return !bbs_->wantsStart(s); });
  std::erase_if(tasks, [this](const TaskDefinition& t) {
    return !tasks_ || !tasks_->wantsPlacement(t.task_guid);
  });
  if (starts.empty() && tasks.empty()) return;
  Placement placement =
      placeAll(std::move(states), std::move(starts), std::move(tasks), options_.placement);
  for (const auto& failure : placement.failed) bbs_->auctionFailed(failure.start, failure.error);
  for (const auto& failure : placement.failed_tasks) {
    tasks_->rejected(failure.task.task_guid, failure.error);
  }
  std::map<std::string, Work> work_by_cell;
  for (auto& [cell_id, lrps] : placement.work) work_by_cell[cell_id].lrps = std::move(lrps);
  for (auto& [cell_id, defs] : placement.task_work) work_by_cell[cell_id].tasks = std::move(defs);

  std::map<std::string, std::string> rep_urls;
  for (const auto& cell : cells) rep_urls[cell.cell_id] = cell.rep_url;
  std::vector<std::future<void>> commits;
  for (auto& [cell_id, cell_work] : work_by_cell) {
    Work work = std::move(cell_work);
    std::string rep_url = rep_urls[cell_id];
    std::string id = cell_id;
    commits.push_back(std::async(std::launch::async, [this, work, rep_url, id] {
      std::string error;
      auto result = postWork(rep_url, work, options_.work_timeout_ms, options_.authorize, &error);
      if (!result) {
        // It may have started part of it: convergence repairs what never gets claimed.
        log::warn("auctioneer", "work-failed", {{"cell_id", id}, {"error", error}});
        return;
      }
      for (const auto& s : work.lrps) {
        log::info("auctioneer", "lrp-placed",
                  {{"process_guid", s.desired.process_guid},
                   {"index", std::to_string(s.index)},
                   {"cell_id", id}});
      }
      for (const auto& s : result->failed) {
        bbs_->auctionFailed(s,
                            "cell " + id + " could not take the instance: insufficient resources");
      }
      std::set<std::string> refused(result->failed_tasks.begin(), result->failed_tasks.end());
      for (const auto& t : work.tasks) {
        if (refused.count(t.task_guid)) {
          tasks_->rejected(t.task_guid,
                           "cell " + id + " could not take the task: insufficient resources");
        } else {
          log::info("auctioneer", "task-placed", {{"task_guid", t.task_guid}, {"cell_id", id}});
          tasks_->placed(t.task_guid, id);
        }
      }
    }));
  }
  for (auto& c : commits) c.get();
}

}  // namespace foundry::sched
