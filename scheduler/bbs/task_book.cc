#include "scheduler/bbs/task_book.h"

#include <algorithm>
#include <chrono>
#include <set>

#include "common/log/log.h"

namespace foundry::sched {

namespace {

int64_t taskWallNowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

constexpr size_t kMaxFailureReason = 1024;
constexpr int64_t kForgetResolvedNs = 10LL * 60 * 1'000'000'000;

}  // namespace

TaskBook::TaskBook(TaskConfig config, TaskHooks hooks, PresentCells present_cells, Clock now)
    : config_(config),
      hooks_(std::move(hooks)),
      present_cells_(std::move(present_cells)),
      now_(now ? std::move(now) : Clock(taskWallNowNs)) {
  config_.kick_pending_ns = std::min(config_.kick_pending_ns, 2 * config_.convergence_interval_ns);
  config_.resend_callback_ns =
      std::min(config_.resend_callback_ns, 2 * config_.convergence_interval_ns);
}

// ---- controller -> scheduler ----------------------------------------------------------------

Outcome TaskBook::desire(const TaskDefinition& definition) {
  if (std::string why = validate(definition); !why.empty()) return {422, why};
  std::lock_guard lock(mu_);
  if (tasks_.count(definition.task_guid) || forgotten_.count(definition.task_guid)) {
    return {409, "task " + definition.task_guid + " already exists"};
  }
  Task task;
  task.definition = definition;
  task.created_at_ns = task.updated_at_ns = now_();
  tasks_[definition.task_guid] = task;
  last_kick_ns_[definition.task_guid] = task.created_at_ns;
  log::info("scheduler", "task-desired",
            {{"task_guid", definition.task_guid},
             {"domain", definition.domain},
             {"app_guid", definition.app_guid}});
  if (hooks_.auction) hooks_.auction({definition});
  return {201, ""};
}

std::optional<Task> TaskBook::task(const std::string& task_guid) const {
  std::lock_guard lock(mu_);
  auto it = tasks_.find(task_guid);
  if (it == tasks_.end()) return std::nullopt;
  return it->second;
}

std::vector<Task> TaskBook::tasks(const std::string& domain, const std::string& app_guid) const {
  std::lock_guard lock(mu_);
  std::vector<Task> out;
  for (const auto& [guid, task] : tasks_) {
    if (!domain.empty() && task.definition.domain != domain) continue;
    if (!app_guid.empty() && task.definition.app_guid != app_guid) continue;
    out.push_back(task);
  }
  return out;
}

Outcome TaskBook::cancel(const std::string& task_guid) {
  std::lock_guard lock(mu_);
  auto it = tasks_.find(task_guid);
  if (it == tasks_.end()) return {404, "task " + task_guid + " not found"};
  Task& task = it->second;
  if (task.state == TaskState::kCompleted || task.state == TaskState::kResolving) {
    return {409, "task " + task_guid + " is already " + std::string(toString(task.state))};
  }
  if (task.state == TaskState::kRunning) {
    auto cell = presentCellLocked(task.cell_id);
    cancelOnCellLocked(task_guid, task.cell_id, cell ? cell->rep_url : "");
  }
  log::info("scheduler", "task-cancelled",
            {{"task_guid", task_guid}, {"state", std::string(toString(task.state))}});
  completeLocked(task, true, kTaskCancelledReason, "", task.exit_code);
  return {200, ""};
}

Outcome TaskBook::resolve(const std::string& task_guid) {
  std::lock_guard lock(mu_);
  auto it = tasks_.find(task_guid);
  if (it == tasks_.end()) return {404, "task " + task_guid + " not found"};
  if (it->second.state != TaskState::kCompleted && it->second.state != TaskState::kResolving) {
    return {409, "task " + task_guid + " is " + std::string(toString(it->second.state)) +
                     ": only a COMPLETED task can be resolved"};
  }
  forgetLocked(task_guid, "resolved");
  return {204, ""};
}

// ---- cell -> scheduler ----------------------------------------------------------------------

Outcome TaskBook::complete(const std::string& task_guid, const TaskCompletion& completion) {
  if (completion.cell_id.empty()) return {422, "cell_id is required"};
  if (!completion.task_guid.empty() && completion.task_guid != task_guid) {
    return {422, "task_guid " + completion.task_guid + " does not match the URL"};
  }
  std::lock_guard lock(mu_);
  auto it = tasks_.find(task_guid);
  if (it == tasks_.end()) {
    if (forgotten_.count(task_guid)) return {200, ""};  // resolved already: nothing to record
    return {404, "task " + task_guid + " not found"};
  }
  Task& task = it->second;
  if (task.state == TaskState::kCompleted || task.state == TaskState::kResolving) {
    return {200, ""};  // cancelled, or reported twice
  }
  if (task.state == TaskState::kRunning && task.cell_id != completion.cell_id) {
    return {409, "task " + task_guid + " runs on cell " + task.cell_id};
  }
  // PENDING: the cell finished before the auction recorded the placement.
  task.cell_id = completion.cell_id;
  log::info("scheduler", "task-completed",
            {{"task_guid", task_guid},
             {"cell_id", completion.cell_id},
             {"failed", completion.failed ? "true" : "false"},
             {"failure_reason", completion.failure_reason}});
  completeLocked(task, completion.failed, completion.failure_reason, completion.result,
                 completion.exit_code);
  return {200, ""};
}

// ---- auction runner -------------------------------------------------------------------------

bool TaskBook::wantsPlacement(const std::string& task_guid) const {
  std::lock_guard lock(mu_);
  auto it = tasks_.find(task_guid);
  return it != tasks_.end() && it->second.state == TaskState::kPending;
}

void TaskBook::placed(const std::string& task_guid, const std::string& cell_id) {
  std::lock_guard lock(mu_);
  auto it = tasks_.find(task_guid);
  if (it == tasks_.end() || it->second.state != TaskState::kPending) {
    // Completed by this cell before this answer came: nothing to do. Resolved, cancelled, or
    // running elsewhere while the auction ran: this cell must not keep running it.
    const bool finished_here = it != tasks_.end() && it->second.cell_id == cell_id &&
                               it->second.failure_reason != kTaskCancelledReason;
    if (!finished_here) {
      auto cell = presentCellLocked(cell_id);
      cancelOnCellLocked(task_guid, cell_id, cell ? cell->rep_url : "");
    }
    return;
  }
  Task& task = it->second;
  task.state = TaskState::kRunning;
  task.cell_id = cell_id;
  task.rejection_reason.clear();
  task.updated_at_ns = now_();
  last_kick_ns_.erase(task_guid);
  log::info("scheduler", "task-running", {{"task_guid", task_guid}, {"cell_id", cell_id}});
}

void TaskBook::rejected(const std::string& task_guid, const std::string& reason) {
  std::lock_guard lock(mu_);
  auto it = tasks_.find(task_guid);
  if (it == tasks_.end() || it->second.state != TaskState::kPending) return;
  it->second.rejection_count += 1;
  it->second.rejection_reason = reason;
  it->second.updated_at_ns = now_();
  log::warn("scheduler", "task-auction-failed", {{"task_guid", task_guid}, {"error", reason}});
}

void TaskBook::callbackDone(const std::string& task_guid, bool delivered) {
  std::lock_guard lock(mu_);
  auto it = tasks_.find(task_guid);
  if (it == tasks_.end() || it->second.state != TaskState::kResolving) return;
  if (delivered) {
    forgetLocked(task_guid, "callback-delivered");
    return;
  }
  it->second.state = TaskState::kCompleted;  // convergence sends it again
}

// ---- convergence ----------------------------------------------------------------------------

void TaskBook::converge() {
  std::vector<TaskDefinition> kicks;
  std::lock_guard lock(mu_);
  const int64_t now = now_();
  std::set<std::string> present;
  for (const auto& cell : present_cells_ ? present_cells_() : std::vector<CellPresence>{}) {
    present.insert(cell.cell_id);
  }
  std::vector<std::string> expired;
  for (auto& [guid, task] : tasks_) {
    switch (task.state) {
      case TaskState::kPending:
        if (now - task.created_at_ns > config_.expire_pending_ns) {
          log::warn("scheduler", "task-expired-pending", {{"task_guid", guid}});
          completeLocked(task, true, "not started within time limit", "", -1);
        } else if (now - last_kick_ns_[guid] > config_.kick_pending_ns) {
          last_kick_ns_[guid] = now;
          kicks.push_back(task.definition);
        }
        break;
      case TaskState::kRunning:
        if (!present.count(task.cell_id)) {
          log::warn("scheduler", "task-on-missing-cell",
                    {{"task_guid", guid}, {"cell_id", task.cell_id}});
          completeLocked(task, true, kCellDisappearedReason, "", -1);
        }
        break;
      case TaskState::kCompleted:
        if (now - task.updated_at_ns > config_.expire_completed_ns) {
          expired.push_back(guid);
        } else if (!task.definition.completion_callback_url.empty() &&
                   now - callback_sent_ns_[guid] > config_.resend_callback_ns) {
          sendCallbackLocked(task);
        }
        break;
      case TaskState::kResolving:
        break;
    }
  }
  for (const auto& guid : expired) forgetLocked(guid, "expired");
  std::erase_if(forgotten_, [&](const auto& e) { return now - e.second > kForgetResolvedNs; });
  if (!kicks.empty() && hooks_.auction) hooks_.auction(std::move(kicks));
}

void TaskBook::reconcileCell(const CellState& state, int64_t fetched_at_ns) {
  std::lock_guard lock(mu_);
  auto cell = presentCellLocked(state.cell_id);
  if (!cell) return;
  std::set<std::string> on_cell;
  for (const auto& listed : state.tasks) {
    on_cell.insert(listed.task_guid);
    const bool done = listed.state == TaskState::kCompleted;
    auto it = tasks_.find(listed.task_guid);
    if (it == tasks_.end()) {
      if (forgotten_.count(listed.task_guid)) {
        // Resolved here already: a completed one the cell drops once it reports it; a running
        // one is not wanted.
        if (!done) cancelOnCellLocked(listed.task_guid, state.cell_id, cell->rep_url);
        continue;
      }
      // Unknown (this scheduler restarted since): adopt it as the cell describes it.
      TaskDefinition definition = listed.definition;
      definition.task_guid = listed.task_guid;
      if (!validate(definition).empty()) {
        if (!done) cancelOnCellLocked(listed.task_guid, state.cell_id, cell->rep_url);
        continue;
      }
      Task task;
      task.definition = definition;
      task.state = TaskState::kRunning;
      task.cell_id = state.cell_id;
      task.created_at_ns = task.updated_at_ns = now_();
      Task& adopted = tasks_[listed.task_guid] = task;
      log::info("scheduler", "task-adopted",
                {{"task_guid", listed.task_guid}, {"cell_id", state.cell_id}});
      if (done) {
        completeLocked(adopted, listed.failed, listed.failure_reason, listed.result,
                       listed.exit_code);
      }
      continue;
    }
    Task& task = it->second;
    if (task.state == TaskState::kPending) {
      // The /work answer was lost (or is on its way): the cell has it.
      task.state = TaskState::kRunning;
      task.cell_id = state.cell_id;
      task.updated_at_ns = now_();
      last_kick_ns_.erase(listed.task_guid);
    }
    if (task.cell_id != state.cell_id) {
      // Placed elsewhere (a lost /work answer and a second auction): only one may run it.
      if (!done) cancelOnCellLocked(listed.task_guid, state.cell_id, cell->rep_url);
      continue;
    }
    if (task.state == TaskState::kRunning && done) {
      completeLocked(task, listed.failed, listed.failure_reason, listed.result, listed.exit_code);
    } else if (task.state != TaskState::kRunning && !done) {
      // Cancelled, or given up on (its cell was missing for a while): kill it (again).
      cancelOnCellLocked(listed.task_guid, state.cell_id, cell->rep_url);
    }
  }
  // RUNNING here since before the fetch, and the cell does not list it: it is gone.
  constexpr int64_t kMarginNs = 1'000'000'000;
  for (auto& [guid, task] : tasks_) {
    if (task.state != TaskState::kRunning || task.cell_id != state.cell_id) continue;
    if (on_cell.count(guid) || task.updated_at_ns > fetched_at_ns - kMarginNs) continue;
    log::warn("scheduler", "task-lost", {{"task_guid", guid}, {"cell_id", state.cell_id}});
    completeLocked(task, true, "cell no longer has the task", "", -1);
  }
}

// ---- helpers --------------------------------------------------------------------------------

void TaskBook::completeLocked(Task& task, bool failed, const std::string& reason,
                              const std::string& result, int exit_code) {
  task.state = TaskState::kCompleted;
  task.failed = failed;
  task.failure_reason = failed ? reason.substr(0, kMaxFailureReason) : "";
  task.result = failed ? "" : result.substr(0, kMaxTaskResultBytes);
  task.exit_code = exit_code;
  task.updated_at_ns = now_();
  last_kick_ns_.erase(task.definition.task_guid);
  if (!task.definition.completion_callback_url.empty()) sendCallbackLocked(task);
}

void TaskBook::sendCallbackLocked(Task& task) {
  callback_sent_ns_[task.definition.task_guid] = now_();
  if (!hooks_.callback) return;
  task.state = TaskState::kResolving;
  hooks_.callback(task);
}

void TaskBook::forgetLocked(const std::string& task_guid, const char* why) {
  tasks_.erase(task_guid);
  last_kick_ns_.erase(task_guid);
  callback_sent_ns_.erase(task_guid);
  forgotten_[task_guid] = now_();
  log::info("scheduler", "task-deleted", {{"task_guid", task_guid}, {"reason", why}});
}

std::optional<CellPresence> TaskBook::presentCellLocked(const std::string& cell_id) const {
  if (!present_cells_) return std::nullopt;
  for (auto& cell : present_cells_()) {
    if (cell.cell_id == cell_id) return cell;
  }
  return std::nullopt;
}

void TaskBook::cancelOnCellLocked(const std::string& task_guid, const std::string& cell_id,
                                  const std::string& rep_url) {
  if (rep_url.empty()) {
    log::warn("scheduler", "task-cancel-without-cell",
              {{"task_guid", task_guid}, {"cell_id", cell_id}});
    return;
  }
  if (hooks_.cancel_on_cell) hooks_.cancel_on_cell({task_guid, cell_id, rep_url});
}

}  // namespace foundry::sched
