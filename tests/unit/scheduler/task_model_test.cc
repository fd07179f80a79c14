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

// A staging-like task: no droplet, the package and the cache downloaded, droplet uploaded.
TaskDefinition stagingLikeDefinition() {
  TaskDefinition d = sampleTaskDefinition();
  d.domain = "cf-app-staging";
  d.droplet_guid.clear();
  d.droplet_url.clear();
  d.downloads = {{.artifact = "app package",
                  .url = "http://127.0.0.1:9022/internal/v1/packages/p1/download",
                  .sha256 = std::string(64, 'a'),
                  .to = "/tmp/app",
                  .extract = true},
                 {.artifact = "build cache",
                  .url = "http://127.0.0.1:9022/internal/v1/buildpack_cache/a1/download",
                  .to = "/tmp/cache.tgz",
                  .optional = true}};
  d.uploads = {{.artifact = "droplet",
                .from = "/tmp/droplet.tgz",
                .url = "http://127.0.0.1:9022/internal/v1/droplets/d2/upload"},
               {.from = "/tmp/output-cache.tgz",
                .url = "https://blobs.example.com/cache?x=1",
                .optional = true}};
  return d;
}

TEST(TaskModel, DownloadsAndUploadsRoundTripWithDefaults) {
  TaskDefinition d = stagingLikeDefinition();
  nlohmann::json j = d;
  EXPECT_EQ(j["downloads"][0]["to"], "/tmp/app");
  EXPECT_EQ(j["downloads"][0]["extract"], true);
  EXPECT_EQ(j["downloads"][1]["optional"], true);
  EXPECT_EQ(j["uploads"][0]["from"], "/tmp/droplet.tgz");
  EXPECT_EQ(j["uploads"][0]["artifact"], "droplet");
  EXPECT_EQ(nlohmann::json(j.get<TaskDefinition>()), j);

  auto partial = nlohmann::json::parse(R"({"downloads":[{"url":"http://x/a","to":"/tmp/a"}],
                                           "uploads":[{"from":"/tmp/b","url":"http://x/b"}]})")
                     .get<TaskDefinition>();
  ASSERT_EQ(partial.downloads.size(), 1u);
  EXPECT_FALSE(partial.downloads[0].extract);
  EXPECT_FALSE(partial.downloads[0].optional);
  EXPECT_EQ(partial.downloads[0].sha256, "");
  ASSERT_EQ(partial.uploads.size(), 1u);
  EXPECT_FALSE(partial.uploads[0].optional);
  // No transfers: the old shape, unchanged.
  EXPECT_TRUE(nlohmann::json(sampleTaskDefinition())["downloads"].empty());

  nlohmann::json wrong = j;
  wrong["downloads"][0]["extract"] = "yes";
  EXPECT_THROW(wrong.get<TaskDefinition>(), nlohmann::json::exception);
  wrong = j;
  wrong["uploads"] = "droplet";
  EXPECT_THROW(wrong.get<TaskDefinition>(), nlohmann::json::exception);
}

TEST(TaskModel, TransfersValidationNamesTheEntryAndField) {
  EXPECT_EQ(validate(stagingLikeDefinition()), "");
  auto bad = [](auto change) {
    TaskDefinition d = stagingLikeDefinition();
    change(d);
    return validate(d);
  };
  auto starts = [](const std::string& message, const std::string& prefix) {
    return message.rfind(prefix, 0) == 0;
  };
  EXPECT_TRUE(starts(bad([](auto& d) { d.downloads[1].to = "/tmp/../etc/x"; }),
                     "downloads[1].to may not hold . or .. segments"));
  EXPECT_TRUE(starts(bad([](auto& d) { d.downloads[0].to = "/etc/passwd"; }),
                     "downloads[0].to must be an absolute path under /home/vcap/ or /tmp/"));
  EXPECT_TRUE(starts(bad([](auto& d) { d.downloads[0].to = "tmp/app"; }), "downloads[0].to"));
  EXPECT_TRUE(starts(bad([](auto& d) { d.downloads[0].to = "/home/vcapx/a"; }),
                     "downloads[0].to"));
  EXPECT_TRUE(starts(bad([](auto& d) { d.downloads[0].to = "/tmp/"; }), "downloads[0].to"));
  EXPECT_TRUE(starts(bad([](auto& d) { d.downloads[0].to.clear(); }), "downloads[0].to"));
  EXPECT_TRUE(starts(bad([](auto& d) { d.downloads[0].url = "file:///etc/passwd"; }),
                     "downloads[0].url"));
  EXPECT_TRUE(starts(bad([](auto& d) { d.downloads[0].url = "http://x/a\nb"; }),
                     "downloads[0].url"));
  EXPECT_TRUE(starts(bad([](auto& d) { d.downloads[0].sha256 = "abc"; }),
                     "downloads[0].sha256 must be 64 hex digits"));
  EXPECT_TRUE(starts(bad([](auto& d) { d.downloads[0].sha256 = std::string(64, 'g'); }),
                     "downloads[0].sha256"));
  EXPECT_TRUE(starts(bad([](auto& d) { d.downloads[0].artifact = "a\x01"; }),
                     "downloads[0].artifact"));
  EXPECT_TRUE(starts(bad([](auto& d) { d.uploads[1].from = "/tmp/a/../../etc/shadow"; }),
                     "uploads[1].from may not hold . or .. segments"));
  EXPECT_TRUE(starts(bad([](auto& d) { d.uploads[0].from = "/var/x"; }), "uploads[0].from"));
  EXPECT_TRUE(starts(bad([](auto& d) { d.uploads[0].url = ""; }), "uploads[0].url"));
  EXPECT_TRUE(starts(bad([](auto& d) { d.downloads.resize(33, d.downloads[0]); }),
                     "downloads may hold at most 32"));
  EXPECT_TRUE(starts(bad([](auto& d) { d.uploads.resize(33, d.uploads[0]); }),
                     "uploads may hold at most 32"));
  // The result file keeps its own name in the shared path rules.
  EXPECT_TRUE(starts(bad([](auto& d) { d.result_file = "/tmp/./r"; }), "result_file"));
  EXPECT_EQ(taskPathProblem("x", "/home/vcap/app/a.txt"), "");
  EXPECT_EQ(taskPathProblem("x", "/tmp/a..b"), "");  // a name with dots is no segment
}

TEST(TaskModel, NeitherDropletNorImageOnlyWithDownloads) {
  // The plain stack: fine with downloads...
  EXPECT_EQ(validate(stagingLikeDefinition()), "");
  // ... not without.
  TaskDefinition none = stagingLikeDefinition();
  none.downloads.clear();
  EXPECT_NE(validate(none).find("droplet_url or docker_image is required"), std::string::npos);
  // Still never both.
  TaskDefinition both = stagingLikeDefinition();
  both.droplet_url = "http://127.0.0.1:9022/internal/v1/droplets/d1/download";
  both.docker_image = "busybox";
  EXPECT_NE(validate(both).find("exclude each other"), std::string::npos);
  // A droplet (or an image) with downloads is fine too.
  TaskDefinition with_droplet = stagingLikeDefinition();
  with_droplet.droplet_url = "http://127.0.0.1:9022/internal/v1/droplets/d1/download";
  EXPECT_EQ(validate(with_droplet), "");
}

}  // namespace
}  // namespace foundry::sched
