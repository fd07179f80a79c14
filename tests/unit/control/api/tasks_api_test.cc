// One-off tasks through Api::handle with the scheduler faked at the SchedulingHooks: what
// `cf run-task`, `cf tasks` and `cf terminate-task` send (create, list by sequence id, cancel),
// the scheduler's completion callback, the sync that catches lost reports, quotas, and who
// may see a task's command.
#include <gtest/gtest.h>

#include <map>

#include "control/api/api.h"
#include "tests/unit/control/api_harness.h"

namespace foundry::control {
namespace {

using nlohmann::json;

class TasksApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    space_ = h_.api().defaultSpaceGuid();
    org_ = call(tokens_->admin, "GET", "/v3/organizations").body["resources"][0]["guid"];
    std::string guid;
    dev_ = tokens_->newUser("dev", &guid);
    role(guid, "organization_user", "organization", org_);
    role(guid, "space_developer", "space", space_);
    auditor_ = tokens_->newUser("auditor", &guid);
    role(guid, "organization_user", "organization", org_);
    role(guid, "space_auditor", "space", space_);
    outsider_ = tokens_->newUser("outsider", &guid);
    hooks();
    app_ = call(dev_, "POST", "/v3/apps",
                {{"name", "web"}, {"relationships", {{"space", {{"data", {{"guid", space_}}}}}}}})
               .body["guid"];
    // A staged droplet, made current.
    Droplet d;
    d.guid = "droplet-1";
    d.app_guid = app_;
    d.package_guid = "p";
    d.build_guid = "b";
    d.sha256 = std::string(64, 'a');
    d.created_at = d.updated_at = nowIso8601();
    ASSERT_EQ(h_.store().createDroplet(d), WriteResult::Ok);
    ASSERT_EQ(h_.store().setCurrentDroplet(app_, d.guid, nowIso8601()), WriteResult::Ok);
  }
  void hooks() {
    SchedulingHooks hooks;
    hooks.app_changed = [](const std::string&, bool) {};
    hooks.desire_task = [this](const AppTask& t) {
      desired_.push_back(t);
      return desire_error_;
    };
    hooks.cancel_task = [this](const std::string& guid) {
      cancelled_.push_back(guid);
      return std::string();
    };
    hooks.task_state = [this](const std::string& guid) {
      auto it = scheduler_.find(guid);
      if (unreachable_) return TaskLookup{};
      if (it == scheduler_.end()) return TaskLookup{TaskLookup::Outcome::kMissing};
      return it->second;
    };
    h_.api().setSchedulingHooks(hooks);
  }
  void role(const std::string& user, const std::string& type, const std::string& kind,
            const std::string& where) {
    json r = {{"type", type},
              {"relationships",
               {{"user", {{"data", {{"guid", user}}}}}, {kind, {{"data", {{"guid", where}}}}}}}};
    ASSERT_EQ(call(tokens_->admin, "POST", "/v3/roles", r).status, 201);
  }
  ApiResponse call(const std::string& auth, const std::string& method, const std::string& target,
                   const json& body = nullptr) {
    return h_.call(auth, method, target, body);
  }
  json runTask(const json& body, int status = 202) {
    ApiResponse r = call(dev_, "POST", "/v3/apps/" + app_ + "/tasks", body);
    EXPECT_EQ(r.status, status) << r.body;
    return r.body;
  }
  // The scheduler's completion callback (signed in production; the server checks that).
  ApiResponse complete(const std::string& guid, const json& task) {
    return call("", "POST", "/internal/v4/tasks/" + guid + "/completed", task);
  }

  test_support::ApiHarness h_{"tasks"};
  test_support::TestTokens* tokens_ = &h_.tokens();
  std::string space_, org_, dev_, auditor_, outsider_, app_;
  std::vector<AppTask> desired_;
  std::vector<std::string> cancelled_;
  std::map<std::string, TaskLookup> scheduler_;
  std::string desire_error_;
  bool unreachable_ = false;
};

TEST_F(TasksApiTest, RunTaskDesiresItOnTheSchedulerAndTheCallbackEndsIt) {
  json t = runTask({{"command", "rake db:migrate"}, {"name", "migrate"}, {"memory_in_mb", 256}});
  EXPECT_EQ(t["state"], "RUNNING");
  EXPECT_EQ(t["sequence_id"], 1);
  EXPECT_EQ(t["name"], "migrate");
  EXPECT_EQ(t["command"], "rake db:migrate");
  EXPECT_EQ(t["memory_in_mb"], 256);
  EXPECT_EQ(t["disk_in_mb"], 1024);
  EXPECT_EQ(t["droplet_guid"], "droplet-1");
  EXPECT_EQ(t["result"]["failure_reason"], nullptr);
  EXPECT_EQ(t["links"]["cancel"]["method"], "POST");
  ASSERT_EQ(desired_.size(), 1u);
  EXPECT_EQ(desired_[0].guid, t["guid"]);
  EXPECT_EQ(desired_[0].command, "rake db:migrate");

  // A second task gets the next sequence id and a random 8-hex-digit name.
  json second = runTask({{"command", "echo hi"}});
  EXPECT_EQ(second["sequence_id"], 2);
  EXPECT_EQ(second["name"].get<std::string>().size(), 8u);

  const std::string guid = t["guid"];
  ASSERT_EQ(complete(guid, {{"failed", false}, {"result", ""}}).status, 200);
  json done = call(dev_, "GET", "/v3/tasks/" + guid).body;
  EXPECT_EQ(done["state"], "SUCCEEDED");
  ASSERT_EQ(complete(second["guid"], {{"failed", true},
                                      {"failure_reason", "APP/TASK/x: Exited with status 3"}})
                .status,
            200);
  json failed = call(dev_, "GET", "/v3/tasks/" + second["guid"].get<std::string>()).body;
  EXPECT_EQ(failed["state"], "FAILED");
  EXPECT_EQ(failed["result"]["failure_reason"], "APP/TASK/x: Exited with status 3");
  // A repeated report changes nothing.
  complete(guid, {{"failed", true}, {"failure_reason", "late"}});
  EXPECT_EQ(call(dev_, "GET", "/v3/tasks/" + guid).body["state"], "SUCCEEDED");
  EXPECT_EQ(complete("no-such-task", {{"failed", false}}).status, 404);
}

TEST_F(TasksApiTest, ListsByAppAndSequenceIdAndHidesCommands) {
  json t1 = runTask({{"command", "echo one"}, {"name", "one"}});
  runTask({{"command", "echo two"}, {"name", "two"}});
  // cf tasks: newest first, commands hidden in lists.
  json list = call(dev_, "GET", "/v3/apps/" + app_ + "/tasks?order_by=-created_at").body;
  ASSERT_EQ(list["resources"].size(), 2u) << list;
  EXPECT_EQ(list["resources"][0]["name"], "two");
  EXPECT_EQ(list["resources"][0]["command"], "[PRIVATE DATA HIDDEN IN LISTS]");
  // cf terminate-task APP 1 looks the task up by its sequence id.
  json by_seq = call(dev_, "GET", "/v3/apps/" + app_ + "/tasks?sequence_ids=1").body;
  ASSERT_EQ(by_seq["resources"].size(), 1u);
  EXPECT_EQ(by_seq["resources"][0]["guid"], t1["guid"]);
  EXPECT_EQ(call(dev_, "GET", "/v3/tasks?names=two").body["resources"].size(), 1u);
  // An auditor sees the task but not its command; an outsider sees nothing.
  json seen = call(auditor_, "GET", "/v3/tasks/" + t1["guid"].get<std::string>()).body;
  EXPECT_EQ(seen["command"], "[PRIVATE DATA HIDDEN]");
  EXPECT_EQ(call(dev_, "GET", "/v3/tasks/" + t1["guid"].get<std::string>()).body["command"],
            "echo one");
  EXPECT_EQ(call(outsider_, "GET", "/v3/tasks/" + t1["guid"].get<std::string>()).status, 404);
  EXPECT_EQ(call(outsider_, "GET", "/v3/tasks").body["resources"].size(), 0u);
  EXPECT_EQ(call(outsider_, "POST", "/v3/apps/" + app_ + "/tasks", {{"command", "id"}}).status,
            404);
  // Auditors may not run or cancel tasks.
  EXPECT_EQ(call(auditor_, "POST", "/v3/apps/" + app_ + "/tasks", {{"command", "id"}}).status,
            403);
  EXPECT_EQ(call(auditor_, "POST",
                 "/v3/tasks/" + t1["guid"].get<std::string>() + "/actions/cancel")
                .status,
            403);
  EXPECT_EQ(desired_.size(), 2u);
}

TEST_F(TasksApiTest, CancelGoesToTheSchedulerAndEndsAsFailed) {
  json t = runTask({{"command", "sleep 600"}});
  const std::string guid = t["guid"];
  ApiResponse r = call(dev_, "POST", "/v3/tasks/" + guid + "/actions/cancel");
  ASSERT_EQ(r.status, 202) << r.body;
  EXPECT_EQ(r.body["state"], "CANCELING");
  EXPECT_EQ(cancelled_, std::vector<std::string>{guid});
  complete(guid, {{"failed", true}, {"failure_reason", "task was cancelled"}});
  json done = call(dev_, "GET", "/v3/tasks/" + guid).body;
  EXPECT_EQ(done["state"], "FAILED");
  EXPECT_EQ(done["result"]["failure_reason"], "task was cancelled");
  r = call(dev_, "POST", "/v3/tasks/" + guid + "/actions/cancel");
  EXPECT_EQ(r.status, 422);
  EXPECT_EQ(r.body["errors"][0]["title"], "CF-InvalidTaskState");
}

TEST_F(TasksApiTest, BadRequestsAndQuotas) {
  auto detail = [](const json& b) { return b["errors"][0]["detail"].get<std::string>(); };
  EXPECT_EQ(detail(runTask(json::object(), 422)), "Command can't be blank");
  EXPECT_EQ(detail(runTask({{"command", "x"}, {"memory_in_mb", 0}}, 422)),
            "Memory in mb must be between 1 and 65536");
  runTask({{"command", "x"}, {"bogus", 1}}, 422);
  runTask({{"command", "x"}, {"droplet_guid", "not-this-apps"}}, 422);
  // An app without a droplet.
  std::string bare = call(dev_, "POST", "/v3/apps",
                          {{"name", "bare"},
                           {"relationships", {{"space", {{"data", {{"guid", space_}}}}}}}})
                         .body["guid"];
  ApiResponse r = call(dev_, "POST", "/v3/apps/" + bare + "/tasks", {{"command", "x"}});
  EXPECT_EQ(r.status, 422);
  EXPECT_EQ(detail(r.body), "Task must have a droplet. Assign a current droplet to the app.");
  EXPECT_TRUE(desired_.empty());

  // Quotas: per_app_tasks and the memory of running tasks.
  json quota = call(tokens_->admin, "POST", "/v3/organization_quotas",
                    {{"name", "tight"},
                     {"apps", {{"total_memory_in_mb", 1000}, {"per_app_tasks", 2}}},
                     {"relationships",
                      {{"organizations", {{"data", json::array({{{"guid", org_}}})}}}}}})
                   .body;
  ASSERT_TRUE(quota.contains("guid")) << quota;
  runTask({{"command", "a"}, {"memory_in_mb", 400}});
  EXPECT_EQ(detail(runTask({{"command", "b"}, {"memory_in_mb", 700}}, 422)),
            "memory quota_exceeded");
  runTask({{"command", "c"}, {"memory_in_mb", 100}});
  EXPECT_EQ(detail(runTask({{"command", "d"}, {"memory_in_mb", 10}}, 422)),
            "app_task_limit quota_exceeded");
}

TEST_F(TasksApiTest, SchedulerRefusalAndLostReportsEndTheTask) {
  desire_error_ = "scheduler unreachable";
  json refused = runTask({{"command", "x"}});
  EXPECT_EQ(refused["state"], "FAILED");
  EXPECT_EQ(refused["result"]["failure_reason"],
            "Unable to request task to be run: scheduler unreachable");
  desire_error_.clear();

  json done = runTask({{"command", "x"}});
  json lost = runTask({{"command", "y"}});
  json running = runTask({{"command", "z"}});
  TaskLookup completed{TaskLookup::Outcome::kFound, true, true, "APP/TASK/t: Exited with status 1", ""};
  scheduler_[done["guid"]] = completed;
  scheduler_[running["guid"]] = TaskLookup{TaskLookup::Outcome::kFound};
  unreachable_ = true;
  EXPECT_EQ(h_.api().syncTasks(), 0);  // nothing decided while the scheduler does not answer
  unreachable_ = false;
  EXPECT_EQ(h_.api().syncTasks(), 2);
  auto state = [&](const json& t) {
    return call(dev_, "GET", "/v3/tasks/" + t["guid"].get<std::string>()).body;
  };
  EXPECT_EQ(state(done)["state"], "FAILED");
  EXPECT_EQ(state(done)["result"]["failure_reason"], "APP/TASK/t: Exited with status 1");
  EXPECT_EQ(state(lost)["state"], "FAILED");
  EXPECT_EQ(state(lost)["result"]["failure_reason"], "task was lost by the scheduler");
  EXPECT_EQ(state(running)["state"], "RUNNING");
}

}  // namespace
}  // namespace foundry::control
