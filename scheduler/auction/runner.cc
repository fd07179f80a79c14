#include "scheduler/auction/runner.h"

#include <chrono>
#include <future>
#include <map>

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

AuctionRunner::AuctionRunner(Bbs* bbs, AuctionOptions options)
    : bbs_(bbs), options_(std::move(options)) {}

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

void AuctionRunner::loop() {
  for (;;) {
    std::vector<LrpStart> batch;
    {
      std::unique_lock lock(mu_);
      wake_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (stopping_) return;
      batch.swap(queue_);
    }
    // Dedupe by process_guid and index: the latest request (newest instance_guid) wins.
    std::map<std::pair<std::string, int>, LrpStart> latest;
    for (auto& s : batch) latest[{s.desired.process_guid, s.index}] = std::move(s);
    std::vector<LrpStart> starts;
    for (auto& [key, s] : latest) starts.push_back(std::move(s));
    try {
      runRound(std::move(starts));
    } catch (const std::exception& e) {
      log::error("auctioneer", "round-failed", {{"error", e.what()}});
    }
  }
}

void AuctionRunner::runRound(std::vector<LrpStart> starts) {
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
      states.push_back(std::move(*answer.state));
    }
    if (cells.empty()) break;
  }

  std::erase_if(starts, [this](const LrpStart& s) { return !bbs_->wantsStart(s); });
  if (starts.empty()) return;
  Placement placement = placeLrps(std::move(states), std::move(starts), options_.placement);
  for (const auto& failure : placement.failed) bbs_->auctionFailed(failure.start, failure.error);

  std::map<std::string, std::string> rep_urls;
  for (const auto& cell : cells) rep_urls[cell.cell_id] = cell.rep_url;
  std::vector<std::future<void>> commits;
  for (auto& [cell_id, lrps] : placement.work) {
    Work work{lrps};
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
    }));
  }
  for (auto& c : commits) c.get();
}

}  // namespace foundry::sched
