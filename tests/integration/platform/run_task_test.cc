// `foundry run-task`, `tasks` and `terminate-task` end to end: the controller desires the task
// on the scheduler, a cell runs it once in the app's droplet (in a container), its output
// reaches the app's logs with source APP/TASK/<name>, and the scheduler's callback ends it as
// SUCCEEDED, FAILED with the exit status, or FAILED as cancelled.
#include <gtest/gtest.h>

#include <thread>

#include "tests/integration/platform/platform.h"

namespace foundry::test {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

class RunTaskTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(platform_.start()) << platform_.logs(); }

  // The task with `sequence_id` once its state is one of `states` (null on timeout).
  json waitTask(const std::string& app_guid, int sequence_id, std::vector<std::string> states,
                std::chrono::seconds timeout = 60s) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    json last;
    while (std::chrono::steady_clock::now() < deadline) {
      json list = platform_.api("/v3/apps/" + app_guid +
                                "/tasks?sequence_ids=" + std::to_string(sequence_id));
      if (list.is_object() && !list["resources"].empty()) {
        last = list["resources"][0];
        for (const auto& s : states) {
          if (last.value("state", "") == s) return last;
        }
      }
      std::this_thread::sleep_for(200ms);
    }
    ADD_FAILURE() << "task " << sequence_id << " never reached the state: " << last.dump();
    return json();
  }

  Platform platform_;
};

TEST_F(RunTaskTest, TasksRunOnceInTheDropletAndEndAsTheirCommandDid) {
  CliResult push =
      platform_.cli({"push", "worker", "-p", platform_.example("node-hello"), "-m", "128M"});
  ASSERT_EQ(push.exit_code, 0) << push.output << platform_.logs();
  const std::string app = platform_.appGuid("worker");

  // 1: succeeds, writing a line of its own to the logs.
  CliResult run = platform_.cli({"run-task", "worker", "--command",
                                 "echo task-says-hello from $HOME && test -f $HOME/server.js",
                                 "--name", "greet", "-m", "64M"});
  ASSERT_EQ(run.exit_code, 0) << run.output;
  EXPECT_NE(run.output.find("task id:"), std::string::npos) << run.output;
  json done = waitTask(app, 1, {"SUCCEEDED", "FAILED"});
  EXPECT_EQ(done.value("state", ""), "SUCCEEDED") << done.dump() << platform_.logs();
  EXPECT_EQ(done["name"], "greet");
  CliResult logs = platform_.cli({"logs", "worker", "--recent"});
  const std::string& log_text = logs.output;
  EXPECT_NE(log_text.find("task-says-hello from /home/vcap/app"), std::string::npos) << log_text;
  EXPECT_NE(log_text.find("APP/TASK/greet"), std::string::npos) << log_text;

  // 2: exits 3.
  run = platform_.cli({"run-task", "worker", "--command", "exit 3", "--name", "fail"});
  ASSERT_EQ(run.exit_code, 0) << run.output;
  json failed = waitTask(app, 2, {"SUCCEEDED", "FAILED"});
  EXPECT_EQ(failed.value("state", ""), "FAILED") << failed.dump();
  EXPECT_EQ(failed["result"]["failure_reason"], "APP/TASK/fail: Exited with status 3")
      << failed.dump();

  // 3: runs until terminated.
  run = platform_.cli({"run-task", "worker", "--command", "sleep 600", "--name", "sleeper"});
  ASSERT_EQ(run.exit_code, 0) << run.output;
  std::this_thread::sleep_for(1s);
  CliResult terminate = platform_.cli({"terminate-task", "worker", "3"});
  ASSERT_EQ(terminate.exit_code, 0) << terminate.output;
  json cancelled = waitTask(app, 3, {"SUCCEEDED", "FAILED"});
  EXPECT_EQ(cancelled.value("state", ""), "FAILED") << cancelled.dump();
  EXPECT_EQ(cancelled["result"]["failure_reason"], "task was cancelled") << cancelled.dump();

  CliResult list = platform_.cli({"tasks", "worker"});
  ASSERT_EQ(list.exit_code, 0) << list.output;
  EXPECT_NE(list.output.find("sleeper"), std::string::npos) << list.output;
  EXPECT_NE(list.output.find("SUCCEEDED"), std::string::npos) << list.output;
  CliResult unknown = platform_.cli({"terminate-task", "worker", "42"});
  EXPECT_NE(unknown.exit_code, 0);
  EXPECT_NE(unknown.output.find("Task sequence ID 42 not found."), std::string::npos)
      << unknown.output;
  // The app itself kept serving all along.
  auto r = platform_.get("worker.apps.internal");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
}

}  // namespace
}  // namespace foundry::test
