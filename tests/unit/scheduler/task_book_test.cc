// TaskBook: the Task state machine as the API, the auction and the cells drive it, cancel,
// resolve, callbacks, convergence (missing cells, kicks, expiry) and bulk sync (adoption after
// a scheduler restart), with a fake clock and recording hooks; and the task auction.
#include "scheduler/bbs/task_book.h"

#include <gtest/gtest.h>

#include "scheduler/auction/placement.h"

namespace foundry::sched {
namespace {

constexpr int64_t kTaskSecond = 1'000'000'000;

TaskDefinition taskDef(const std::string& guid, int memory_mb = 128) {
  TaskDefinition d;
  d.task_guid = guid;
  d.domain = "cf-tasks";
  d.app_guid = "app-1";
  d.memory_mb = memory_mb;
  d.disk_mb = 256;
  d.command = "echo hi";
  d.droplet_url = "http://127.0.0.1:9022/d";
  return d;
}

class TaskBookTest : public ::testing::Test {
 protected:
  TaskBookTest() {
    TaskHooks hooks;
    hooks.auction = [this](std::vector<TaskDefinition> t) {
      for (auto& x : t) auctions.push_back(x.task_guid);
    };
    hooks.cancel_on_cell = [this](const TaskCancelOrder& o) { cancels.push_back(o); };
    hooks.callback = [this](const Task& t) { callbacks.push_back(t); };
    TaskConfig config;
    config.convergence_interval_ns = 1 * kTaskSecond;  // kicks after 2 s
    book = std::make_unique<TaskBook>(
        config, hooks, [this] { return cells; }, [this] { return now; });
  }

  CellState cellState(std::vector<CellTask> tasks) {
    CellState s;
    s.cell_id = "cell-1";
    s.tasks = std::move(tasks);
    return s;
  }

  int64_t now = 1000 * kTaskSecond;
  std::vector<CellPresence> cells = {
      {"cell-1", "http://127.0.0.1:1", "z1", {}, {}, {4096, 8192, 100}}};
  std::vector<std::string> auctions;
  std::vector<TaskCancelOrder> cancels;
  std::vector<Task> callbacks;
  std::unique_ptr<TaskBook> book;
};

TEST_F(TaskBookTest, DesireRunCompleteResolve) {
  EXPECT_EQ(book->desire(taskDef("t1")).status, 201);
  EXPECT_EQ(book->desire(taskDef("t1")).status, 409);
  TaskDefinition bad = taskDef("t2");
  bad.memory_mb = 0;
  Outcome invalid = book->desire(bad);
  EXPECT_EQ(invalid.status, 422);
  EXPECT_NE(invalid.error.find("memory_mb"), std::string::npos);
  ASSERT_EQ(auctions, std::vector<std::string>{"t1"});
  EXPECT_EQ(book->task("t1")->state, TaskState::kPending);
  EXPECT_TRUE(book->wantsPlacement("t1"));

  book->placed("t1", "cell-1");
  EXPECT_EQ(book->task("t1")->state, TaskState::kRunning);
  EXPECT_EQ(book->task("t1")->cell_id, "cell-1");
  EXPECT_FALSE(book->wantsPlacement("t1"));
  EXPECT_EQ(book->resolve("t1").status, 409);  // not completed yet

  // Another cell cannot complete it; this one can.
  EXPECT_EQ(book->complete("t1", {"t1", "cell-2", false, "", "", 0}).status, 409);
  EXPECT_EQ(book->complete("t1", {"t1", "cell-1", false, "", "42", 0}).status, 200);
  auto done = book->task("t1");
  EXPECT_EQ(done->state, TaskState::kCompleted);
  EXPECT_FALSE(done->failed);
  EXPECT_EQ(done->result, "42");
  EXPECT_EQ(done->exit_code, 0);
  EXPECT_EQ(book->complete("t1", {"t1", "cell-1", true, "again", "", 1}).status, 200);
  EXPECT_FALSE(book->task("t1")->failed);  // the first completion stands
  EXPECT_EQ(book->cancel("t1").status, 409);

  EXPECT_EQ(book->resolve("t1").status, 204);
  EXPECT_FALSE(book->task("t1"));
  EXPECT_EQ(book->resolve("t1").status, 404);
  // A late report of a resolved task is taken quietly; the guid stays taken for a while.
  EXPECT_EQ(book->complete("t1", {"t1", "cell-1", false, "", "", 0}).status, 200);
  EXPECT_EQ(book->desire(taskDef("t1")).status, 409);
  EXPECT_EQ(book->complete("nope", {"nope", "cell-1", false, "", "", 0}).status, 404);
  EXPECT_TRUE(callbacks.empty());
}

TEST_F(TaskBookTest, FailedCompletionKeepsNoResult) {
  ASSERT_EQ(book->desire(taskDef("t1")).status, 201);
  book->placed("t1", "cell-1");
  ASSERT_EQ(book->complete("t1", {"t1", "cell-1", true, "APP/TASK: Exited with status 1", "x", 1})
                .status,
            200);
  auto task = book->task("t1");
  EXPECT_TRUE(task->failed);
  EXPECT_EQ(task->failure_reason, "APP/TASK: Exited with status 1");
  EXPECT_EQ(task->result, "");
  EXPECT_EQ(task->exit_code, 1);
}

TEST_F(TaskBookTest, CancelPendingAndRunning) {
  ASSERT_EQ(book->desire(taskDef("p")).status, 201);
  ASSERT_EQ(book->cancel("p").status, 200);
  EXPECT_EQ(book->task("p")->state, TaskState::kCompleted);
  EXPECT_TRUE(book->task("p")->failed);
  EXPECT_EQ(book->task("p")->failure_reason, kTaskCancelledReason);
  EXPECT_TRUE(cancels.empty());
  // The auction placed it anyway (it was under way): the cell is told to cancel it.
  book->placed("p", "cell-1");
  ASSERT_EQ(cancels.size(), 1u);
  EXPECT_EQ(cancels[0].task_guid, "p");
  EXPECT_EQ(book->task("p")->state, TaskState::kCompleted);

  ASSERT_EQ(book->desire(taskDef("r")).status, 201);
  book->placed("r", "cell-1");
  ASSERT_EQ(book->cancel("r").status, 200);
  ASSERT_EQ(cancels.size(), 2u);
  EXPECT_EQ(cancels[1].task_guid, "r");
  EXPECT_EQ(cancels[1].rep_url, "http://127.0.0.1:1");
  EXPECT_EQ(book->task("r")->failure_reason, kTaskCancelledReason);
  // The cell's own report of the kill does not overwrite the reason.
  EXPECT_EQ(book->complete("r", {"r", "cell-1", true, "APP/TASK: Exited with signal 15", "", 143})
                .status,
            200);
  EXPECT_EQ(book->task("r")->failure_reason, kTaskCancelledReason);
  EXPECT_EQ(book->cancel("missing").status, 404);
}

TEST_F(TaskBookTest, RejectedStaysPendingAndConvergenceKicksIt) {
  ASSERT_EQ(book->desire(taskDef("big", 100000)).status, 201);
  book->rejected("big", "insufficient resources: memory");
  auto task = book->task("big");
  EXPECT_EQ(task->state, TaskState::kPending);
  EXPECT_EQ(task->rejection_count, 1);
  EXPECT_EQ(task->rejection_reason, "insufficient resources: memory");
  auctions.clear();
  now += kTaskSecond;
  book->converge();
  EXPECT_TRUE(auctions.empty());  // not stale yet
  now += 2 * kTaskSecond;
  book->converge();
  EXPECT_EQ(auctions, std::vector<std::string>{"big"});
  // Never placed for 30 minutes: failed.
  now += 31LL * 60 * kTaskSecond;
  book->converge();
  EXPECT_EQ(book->task("big")->state, TaskState::kCompleted);
  EXPECT_TRUE(book->task("big")->failed);
}

TEST_F(TaskBookTest, RunningOnAMissingCellFailsWithDiegosReason) {
  ASSERT_EQ(book->desire(taskDef("t1")).status, 201);
  book->placed("t1", "cell-1");
  book->converge();
  EXPECT_EQ(book->task("t1")->state, TaskState::kRunning);
  cells.clear();
  book->converge();
  auto task = book->task("t1");
  EXPECT_EQ(task->state, TaskState::kCompleted);
  EXPECT_TRUE(task->failed);
  EXPECT_EQ(task->failure_reason, "cell disappeared before task completion");
}

TEST_F(TaskBookTest, CallbackDeliveredDeletesUndeliveredIsResent) {
  TaskDefinition d = taskDef("cb");
  d.completion_callback_url = "http://127.0.0.1:9/done";
  d.docker_image = "busybox";
  d.droplet_url.clear();
  d.docker_password = auth::Secret("pw");
  ASSERT_EQ(book->desire(d).status, 201);
  book->placed("cb", "cell-1");
  ASSERT_EQ(book->complete("cb", {"cb", "cell-1", false, "", "ok", 0}).status, 200);
  ASSERT_EQ(callbacks.size(), 1u);
  EXPECT_EQ(callbacks[0].state, TaskState::kResolving);
  EXPECT_EQ(callbacks[0].result, "ok");
  EXPECT_EQ(nlohmann::json(callbacks[0]).dump().find("\"pw\""), std::string::npos);
  EXPECT_EQ(book->task("cb")->state, TaskState::kResolving);

  book->callbackDone("cb", false);
  EXPECT_EQ(book->task("cb")->state, TaskState::kCompleted);
  book->converge();
  EXPECT_EQ(callbacks.size(), 1u);  // not due yet
  now += 3 * kTaskSecond;
  book->converge();
  ASSERT_EQ(callbacks.size(), 2u);
  book->callbackDone("cb", true);
  EXPECT_FALSE(book->task("cb"));
}

TEST_F(TaskBookTest, CompletedTasksExpireAfterTwoMinutes) {
  ASSERT_EQ(book->desire(taskDef("t1")).status, 201);
  book->placed("t1", "cell-1");
  ASSERT_EQ(book->complete("t1", {"t1", "cell-1", false, "", "", 0}).status, 200);
  now += 119 * kTaskSecond;
  book->converge();
  EXPECT_TRUE(book->task("t1"));
  now += 2 * kTaskSecond;
  book->converge();
  EXPECT_FALSE(book->task("t1"));
}

TEST_F(TaskBookTest, BulkSyncAdoptsCompletesCancelsAndLoses) {
  // A restarted scheduler learns a running and a completed task from the cell.
  CellTask running{"run-1", TaskState::kRunning, 128, 256, taskDef("run-1")};
  CellTask finished{"fin-1", TaskState::kCompleted, 128, 256, taskDef("fin-1")};
  finished.failed = true;
  finished.failure_reason = "APP/TASK: Exited with status 2";
  finished.exit_code = 2;
  book->reconcileCell(cellState({running, finished}), now);
  EXPECT_EQ(book->task("run-1")->state, TaskState::kRunning);
  EXPECT_EQ(book->task("run-1")->cell_id, "cell-1");
  EXPECT_EQ(book->task("fin-1")->state, TaskState::kCompleted);
  EXPECT_EQ(book->task("fin-1")->failure_reason, "APP/TASK: Exited with status 2");

  // A PENDING task the cell already runs (the /work answer was lost) becomes RUNNING there.
  ASSERT_EQ(book->desire(taskDef("lost-answer")).status, 201);
  book->reconcileCell(
      cellState({running, {"lost-answer", TaskState::kRunning, 128, 256, taskDef("lost-answer")}}),
      now);
  EXPECT_EQ(book->task("lost-answer")->state, TaskState::kRunning);

  // A resolved task still running there is cancelled.
  ASSERT_EQ(book->resolve("fin-1").status, 204);
  book->reconcileCell(cellState({{"fin-1", TaskState::kRunning, 128, 256, taskDef("fin-1")}}), now);
  ASSERT_FALSE(cancels.empty());
  EXPECT_EQ(cancels.back().task_guid, "fin-1");

  // RUNNING here since well before the fetch, but no longer listed: failed.
  now += 5 * kTaskSecond;
  book->reconcileCell(cellState({running}), now);
  auto gone = book->task("lost-answer");
  EXPECT_EQ(gone->state, TaskState::kCompleted);
  EXPECT_TRUE(gone->failed);
  EXPECT_EQ(book->task("run-1")->state, TaskState::kRunning);
}

TEST(TaskPlacement, TasksAfterFirstIndicesAndSpreadByTaskCount) {
  CellState a, b;
  a.cell_id = "a";
  b.cell_id = "b";
  a.zone = b.zone = "z1";
  a.total = b.total = {1024, 4096, 10};
  a.available = b.available = a.total;
  std::vector<TaskDefinition> tasks = {taskDef("t1", 100), taskDef("t2", 100),
                                       taskDef("huge", 4096)};
  Placement p = placeAll({a, b}, {}, tasks);
  ASSERT_EQ(p.task_work["a"].size(), 1u);
  ASSERT_EQ(p.task_work["b"].size(), 1u);
  ASSERT_EQ(p.failed_tasks.size(), 1u);
  EXPECT_EQ(p.failed_tasks[0].task.task_guid, "huge");
  EXPECT_EQ(p.failed_tasks[0].error, "insufficient resources: memory");

  // Placement tags apply to tasks as to LRPs; no cell at all: the communication error.
  TaskDefinition tagged = taskDef("tagged");
  tagged.placement_tags = {"gpu"};
  p = placeAll({a}, {}, {tagged});
  ASSERT_EQ(p.failed_tasks.size(), 1u);
  EXPECT_EQ(p.failed_tasks[0].error, "found no compatible cell with placement tag \"gpu\"");
  p = placeAll({}, {}, {taskDef("t")});
  EXPECT_EQ(p.failed_tasks[0].error, kCellCommunicationError);

  // Index 0 of an LRP goes before the tasks, index 1 after: with room for two, the task wins
  // over the second instance.
  CellState small = a;
  small.total = small.available = {300, 4096, 10};
  LrpStart i0, i1;
  i0.desired.process_guid = i1.desired.process_guid = "web";
  i0.desired.memory_mb = i1.desired.memory_mb = 100;
  i0.desired.disk_mb = i1.desired.disk_mb = 100;
  i0.index = 0;
  i1.index = 1;
  p = placeAll({small}, {i1, i0}, {taskDef("t", 150)});
  ASSERT_EQ(p.work["a"].size(), 1u);
  EXPECT_EQ(p.work["a"][0].index, 0);
  ASSERT_EQ(p.task_work["a"].size(), 1u);
  ASSERT_EQ(p.failed.size(), 1u);
  EXPECT_EQ(p.failed[0].start.index, 1);
}

}  // namespace
}  // namespace foundry::sched
