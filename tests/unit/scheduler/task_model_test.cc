// scheduler/model/task.h: the Task shapes' JSON both ways, the password never in a Task's
// JSON, and validation naming the bad field.
#include "scheduler/model/task.h"

#include <gtest/gtest.h>

#include "scheduler/model/lrp.h"

namespace foundry::sched {
namespace {

TaskDefinition sampleTaskDefinition() {
  TaskDefinition d;
  d.task_guid = "task-1";
  d.domain = "cf-tasks";
  d.app_guid = "app-1";
  d.app_name = "demo";
  d.log_source = "APP/TASK/migrate";
  d.memory_mb = 128;
  d.disk_mb = 256;
  d.command = "bin/rake db:migrate";
  d.environment = {{"A", "1"}};
  d.droplet_guid = "d1";
  d.droplet_url = "http://127.0.0.1:9022/internal/v1/droplets/d1/download";
  d.result_file = "/tmp/result.json";
  d.completion_callback_url = "http://127.0.0.1:9022/internal/v3/tasks/task-1/completed";
  d.annotation = "note";
  return d;
}

TEST(TaskModel, DefinitionRoundTripsAndMissingFieldsTakeDefaults) {
  TaskDefinition d = sampleTaskDefinition();
  nlohmann::json j = d;
  EXPECT_EQ(j["task_guid"], "task-1");
  EXPECT_EQ(j["log_source"], "APP/TASK/migrate");
  auto back = j.get<TaskDefinition>();
  EXPECT_EQ(nlohmann::json(back), j);

  auto partial = nlohmann::json{{"task_guid", "t"}, {"command", "true"}}.get<TaskDefinition>();
  EXPECT_EQ(partial.memory_mb, 256);
  EXPECT_EQ(partial.disk_mb, 1024);
  EXPECT_TRUE(partial.environment.empty());
  EXPECT_EQ(logSourceOf(partial), "APP/TASK");
}

TEST(TaskModel, WrongTypeThrows) {
  nlohmann::json j = sampleTaskDefinition();
  j["memory_mb"] = "lots";
  EXPECT_THROW(j.get<TaskDefinition>(), nlohmann::json::exception);
  nlohmann::json t = {{"state", "SLEEPING"}};
  EXPECT_THROW(t.get<Task>(), nlohmann::json::exception);
}

TEST(TaskModel, TaskJsonCarriesStateAndNeverThePassword) {
  Task task;
  task.definition = sampleTaskDefinition();
  task.definition.droplet_url.clear();
  task.definition.docker_image = "registry.example.com/team/job:1";
  task.definition.docker_username = "robot";
  task.definition.docker_password = auth::Secret("hunter2");
  task.state = TaskState::kCompleted;
  task.cell_id = "cell-1";
  task.failed = true;
  task.failure_reason = "APP/TASK/migrate: Exited with status 1";
  task.exit_code = 1;
  nlohmann::json j = task;
  EXPECT_EQ(j["task_guid"], "task-1");
  EXPECT_EQ(j["state"], "COMPLETED");
  EXPECT_EQ(j["failed"], true);
  EXPECT_EQ(j["exit_code"], 1);
  EXPECT_EQ(j["definition"]["docker_username"], "robot");
  EXPECT_EQ(j["definition"]["docker_password"], "");
  EXPECT_EQ(j.dump().find("hunter2"), std::string::npos);
  auto back = j.get<Task>();
  EXPECT_EQ(back.state, TaskState::kCompleted);
  EXPECT_EQ(back.failure_reason, task.failure_reason);

  // A cell's /state neither; a Work message (to the cell that pulls the image) does.
  CellTask listed{"task-1", TaskState::kRunning, 128, 256, task.definition};
  EXPECT_EQ(nlohmann::json(listed).dump().find("hunter2"), std::string::npos);
  Work work;
  work.tasks.push_back(task.definition);
  auto decoded = nlohmann::json(work).get<Work>();
  ASSERT_EQ(decoded.tasks.size(), 1u);
  EXPECT_EQ(decoded.tasks[0].docker_password.reveal(), "hunter2");
  EXPECT_EQ(decoded.tasks[0].docker_password.str(), "***");
}

TEST(TaskModel, StatesParse) {
  for (auto state : {TaskState::kPending, TaskState::kRunning, TaskState::kCompleted,
                     TaskState::kResolving}) {
    TaskState parsed{};
    ASSERT_TRUE(parseTaskState(toString(state), &parsed));
    EXPECT_EQ(parsed, state);
  }
  TaskState ignored{};
  EXPECT_FALSE(parseTaskState("pending", &ignored));
}

TEST(TaskModel, ValidationNamesTheField) {
  EXPECT_EQ(validate(sampleTaskDefinition()), "");
  auto bad = [](auto change) {
    TaskDefinition d = sampleTaskDefinition();
    change(d);
    return validate(d);
  };
  auto names = [](const std::string& message, const std::string& field) {
    return message.find(field) != std::string::npos;
  };
  EXPECT_TRUE(names(bad([](auto& d) { d.task_guid.clear(); }), "task_guid"));
  EXPECT_TRUE(names(bad([](auto& d) { d.task_guid = "a/b"; }), "task_guid"));
  EXPECT_TRUE(names(bad([](auto& d) { d.task_guid = std::string(129, 'a'); }), "task_guid"));
  EXPECT_TRUE(names(bad([](auto& d) { d.domain.clear(); }), "domain"));
  EXPECT_TRUE(names(bad([](auto& d) { d.app_guid.clear(); }), "app_guid"));
  EXPECT_TRUE(names(bad([](auto& d) { d.memory_mb = 0; }), "memory_mb"));
  EXPECT_TRUE(names(bad([](auto& d) { d.disk_mb = -1; }), "disk_mb"));
  EXPECT_TRUE(names(bad([](auto& d) { d.command.clear(); }), "command"));
  EXPECT_TRUE(names(bad([](auto& d) { d.droplet_url.clear(); }), "droplet_url"));
  EXPECT_TRUE(names(bad([](auto& d) { d.docker_image = "busybox"; }), "docker_image"));
  EXPECT_TRUE(names(bad([](auto& d) { d.docker_username = "u"; }), "docker_username"));
  EXPECT_TRUE(names(bad([](auto& d) { d.droplet_sha256 = "abc"; }), "droplet_sha256"));
  EXPECT_TRUE(names(bad([](auto& d) { d.environment["A=B"] = "x"; }), "environment"));
  EXPECT_TRUE(names(bad([](auto& d) { d.result_file = "result.json"; }), "result_file"));
  EXPECT_TRUE(names(bad([](auto& d) { d.result_file = "/etc/passwd"; }), "result_file"));
  EXPECT_TRUE(names(bad([](auto& d) { d.result_file = "/tmp/../etc/passwd"; }), "result_file"));
  EXPECT_TRUE(names(bad([](auto& d) { d.result_file = "/tmp/dir/"; }), "result_file"));
  EXPECT_TRUE(
      names(bad([](auto& d) { d.completion_callback_url = "ftp://x"; }), "completion_callback_url"));
  EXPECT_TRUE(names(bad([](auto& d) { d.log_source = "a\nb"; }), "log_source"));

  TaskDefinition docker = sampleTaskDefinition();
  docker.droplet_url.clear();
  docker.docker_image = "busybox";
  docker.docker_password = auth::Secret("pw");
  EXPECT_EQ(validate(docker), "");
  EXPECT_EQ(validate(withoutSecrets(docker)), "");
  EXPECT_TRUE(withoutSecrets(docker).docker_password.empty());
}

}  // namespace
}  // namespace foundry::sched
