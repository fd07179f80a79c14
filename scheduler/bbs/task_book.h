#pragma once
// TaskBook: the scheduler's one-off Tasks and every rule that changes them (Diego's BBS task
// side; STAGING-SCHEDULING.md B1, B3, B7): desire, placement results, cell completions,
// cancel, resolve, the completion callback's outcome, convergence and bulk sync.
//
//   PENDING --auction placed it--> RUNNING --cell: complete--> COMPLETED
//      |  (no cell fits: stays PENDING, rejection_reason set, re-auctioned by convergence)
//      +--cancel--> COMPLETED (failed, "task was cancelled"; a RUNNING one is killed on its cell)
//   RUNNING on a cell that went missing --> COMPLETED (failed, "cell disappeared before task
//   completion")
//   COMPLETED --callback POSTed--> RESOLVING --delivered--> deleted (not delivered: COMPLETED
//   again, resent by convergence); COMPLETED --DELETE /v1/tasks/{guid}--> deleted;
//   COMPLETED for 2 minutes --> deleted (Diego's expire_completed_task_duration).
//
// Thread-safe: one mutex of its own. No I/O: side effects go through TaskHooks, which must
// queue (never block on the network, never call back into the TaskBook synchronously). It asks
// `present_cells` (Bbs::presentCells, which takes the Bbs's lock) under its own lock: the lock
// order is TaskBook, then Bbs; Bbs never calls a TaskBook.
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "scheduler/bbs/bbs.h"
#include "scheduler/model/task.h"

namespace foundry::sched {

// A task to kill on a cell (cancelled, or running where the scheduler does not want it).
struct TaskCancelOrder {
  std::string task_guid;
  std::string cell_id;
  std::string rep_url;
};

struct TaskHooks {
  std::function<void(std::vector<TaskDefinition>)> auction;  // queue for the auction runner
  std::function<void(const TaskCancelOrder&)> cancel_on_cell;
  // POST the Task to its completion_callback_url, then call TaskBook::callbackDone.
  std::function<void(const Task&)> callback;
};

struct TaskConfig {
  int64_t convergence_interval_ns = 30'000'000'000;
  int64_t kick_pending_ns = 30'000'000'000;         // re-auction (capped at 2 intervals)
  int64_t expire_pending_ns = 30LL * 60 * 1'000'000'000;  // never placed: fail it
  int64_t expire_completed_ns = 120'000'000'000;    // unresolved COMPLETED: delete it
  int64_t resend_callback_ns = 30'000'000'000;      // an undelivered callback (capped likewise)
};

class TaskBook {
 public:
  using Clock = std::function<int64_t()>;  // nanoseconds since the epoch
  using PresentCells = std::function<std::vector<CellPresence>()>;
  TaskBook(TaskConfig config, TaskHooks hooks, PresentCells present_cells, Clock now = {});

  // controller -> scheduler
  Outcome desire(const TaskDefinition& definition);  // 201; 409 the guid exists; 422 invalid
  std::optional<Task> task(const std::string& task_guid) const;
  // Filtered by domain and app_guid when not empty; sorted by task_guid.
  std::vector<Task> tasks(const std::string& domain, const std::string& app_guid) const;
  Outcome cancel(const std::string& task_guid);   // 200; 404; 409 already completed
  Outcome resolve(const std::string& task_guid);  // 204; 404; 409 not completed yet

  // cell -> scheduler: 200 (also when the task is already completed, or was resolved
  // recently); 404 unknown; 409 the task runs on another cell; 422 bad body.
  Outcome complete(const std::string& task_guid, const TaskCompletion& completion);

  // Auction runner
  bool wantsPlacement(const std::string& task_guid) const;  // still PENDING
  void placed(const std::string& task_guid, const std::string& cell_id);
  void rejected(const std::string& task_guid, const std::string& reason);

  // The callback hook's outcome: delivered -> the task is deleted; else COMPLETED again.
  void callbackDone(const std::string& task_guid, bool delivered);

  // Convergence: kicks stale PENDING tasks, fails old PENDING ones and RUNNING ones on missing
  // cells, resends undelivered callbacks, deletes old COMPLETED ones.
  void converge();
  // Bulk sync with one cell's /state fetched at `fetched_at_ns`: adopts tasks the scheduler does
  // not know (a restarted scheduler), takes completions the cell could not report, cancels
  // tasks the scheduler does not want there, and fails RUNNING tasks the cell no longer has.
  void reconcileCell(const CellState& state, int64_t fetched_at_ns);

 private:
  // COMPLETED with this outcome; queues the callback when the task has one.
  void completeLocked(Task& task, bool failed, const std::string& reason, const std::string& result,
                      int exit_code);
  void sendCallbackLocked(Task& task);
  void forgetLocked(const std::string& task_guid, const char* why);
  std::optional<CellPresence> presentCellLocked(const std::string& cell_id) const;
  void cancelOnCellLocked(const std::string& task_guid, const std::string& cell_id,
                          const std::string& rep_url);

  mutable std::mutex mu_;
  TaskConfig config_;
  TaskHooks hooks_;
  PresentCells present_cells_;
  Clock now_;
  std::map<std::string, Task> tasks_;
  std::map<std::string, int64_t> last_kick_ns_;      // PENDING tasks: last auction request
  std::map<std::string, int64_t> callback_sent_ns_;  // last callback attempt
  std::map<std::string, int64_t> forgotten_;         // resolved / expired guids -> when
};

}  // namespace foundry::sched
