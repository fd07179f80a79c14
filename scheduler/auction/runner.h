#pragma once
// AuctionRunner: Diego's auctioneer batch loop (auction_runner.go; B3) on its own thread, so the
// HTTP loop never waits on a cell. Requests accumulate while a round runs; each round asks
// every present cell for /state in parallel, lets the Bbs reconcile what the cells report
// (bulk sync, which also adopts instances a restarted scheduler forgot), places the instances
// still wanted (placement.h), and commits the work per cell in parallel with POST /work.
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

#include "scheduler/auction/placement.h"
#include "scheduler/bbs/bbs.h"
#include "scheduler/bbs/task_book.h"
#include "common/net/http_client.h"

namespace foundry::sched {

struct AuctionOptions {
  long state_timeout_ms = 2000;
  long work_timeout_ms = 5000;
  PlacementOptions placement;
  net::Authorizer authorize;  // signs /state and /work (cells refuse unsigned calls)
};

class AuctionRunner {
 public:
  // `tasks` may be null (no Tasks); it must outlive the runner.
  AuctionRunner(Bbs* bbs, AuctionOptions options, TaskBook* tasks = nullptr);
  ~AuctionRunner();  // stop()
  AuctionRunner(const AuctionRunner&) = delete;
  AuctionRunner& operator=(const AuctionRunner&) = delete;

  void start();
  void stop();  // waits for the round in progress
  // Thread-safe and non-blocking: queues the instances for the next round.
  void request(std::vector<LrpStart> starts);
  // Thread-safe and non-blocking: queues the tasks for the next round.
  void requestTasks(std::vector<TaskDefinition> tasks);

 private:
  void loop();
  void runRound(std::vector<LrpStart> starts, std::vector<TaskDefinition> tasks);

  Bbs* bbs_;
  TaskBook* tasks_;
  AuctionOptions options_;
  std::mutex mu_;
  std::condition_variable wake_;
  std::vector<LrpStart> queue_;
  std::vector<TaskDefinition> task_queue_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace foundry::sched
