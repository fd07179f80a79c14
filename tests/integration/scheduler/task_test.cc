// One-off Tasks end to end (scheduler/PROTOCOL.md "Tasks"): the real `scheduler` and real
// `cell` binaries (with the real `launcher`), a droplet and callback server in the test. A task
// runs and completes; a failing command is reported failed with its exit status; cancel kills
// a sleeping task on its cell; the result file comes back, and the completion callback with
// it; a task too big for every cell stays PENDING; a cell killed mid-task fails the task with
// Diego's reason; bad bodies get 400/422 naming the field; unsigned calls get 401.
// Cells run with --isolation none (as CellTest); TaskContainerTest runs a task in a container.
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/net/http_client.h"
#include "scheduler/model/task.h"
#include "staging/droplet/archive.h"
#include "tests/test_common/child_process.h"
#include "tests/test_common/event_loop_thread.h"
#include "tests/test_common/files.h"
#include "tests/test_common/internal_auth.h"
#include "tests/test_common/loopback_http_server.h"
#include "tests/test_common/nats_server.h"
#include "tests/test_common/ports.h"
#include "tests/test_common/registry_process.h"
#include "tests/test_common/test_images.h"

#include <nats/nats.h>

namespace foundry::test {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using namespace std::chrono_literals;

bool taskEventually(const std::function<bool()>& done, std::chrono::milliseconds limit) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    if (done()) return true;
    std::this_thread::sleep_for(50ms);
  }
  return done();
}

// Serves droplets (GET /droplets/<name>, signed calls only, as the controller's blobstore) and
// records completion callbacks (POST /callbacks/<anything>) with the caller that signed them.
class TaskBlobServer {
 public:
  explicit TaskBlobServer(const TestSecrets& secrets) : secrets_(secrets) {}
  std::string url() const { return server_.url(); }
  void addDroplet(const std::string& name, std::string bytes) {
    std::lock_guard lock(mu_);
    droplets_[name] = std::move(bytes);
  }
  void failCallbacks(int times) {
    std::lock_guard lock(mu_);
    fail_callbacks_ = times;
  }
  struct Callback {
    std::string path, caller, body;
  };
  std::vector<Callback> callbacks() {
    std::lock_guard lock(mu_);
    return callbacks_;
  }

 private:
  LoopbackReply handle(const LoopbackRequest& r) {
    std::string why, caller;
    if (!secrets_.verify(r.raw, &why, &caller)) return {401, ""};
    std::lock_guard lock(mu_);
    if (r.path.rfind("/droplets/", 0) == 0) {
      auto it = droplets_.find(r.path.substr(10));
      if (it != droplets_.end()) return {200, it->second};
    } else if (r.path.rfind("/callbacks/", 0) == 0) {
      callbacks_.push_back({r.path, caller, r.body});
      const int status = fail_callbacks_ > 0 ? 503 : 200;
      if (fail_callbacks_ > 0) --fail_callbacks_;
      return {status, ""};
    }
    return {404, ""};
  }

  const TestSecrets& secrets_;
  std::mutex mu_;
  std::map<std::string, std::string> droplets_;
  std::vector<Callback> callbacks_;
  int fail_callbacks_ = 0;
  LoopbackHttpServer server_{[this](const LoopbackRequest& r) { return handle(r); }};  // last
};

class SchedulerTaskTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char templ[] = "/tmp/task-test-XXXXXX";
    ASSERT_NE(mkdtemp(templ), nullptr);
    dir_ = templ;
    chmod(templ, 0711);  // containers' users walk through it
    scheduler_port_ = freeTcpPort();
    ASSERT_TRUE(startScheduler());
  }

  // (Re)starts the scheduler on scheduler_port_. NATS is not needed here: the scheduler
  // connects in the background and runs without it.
  bool startScheduler() {
    scheduler_ = std::make_unique<ChildProcess>(
        "scheduler", SCHEDULER_BINARY,
        std::vector<std::string>{"--listen", "127.0.0.1:" + std::to_string(scheduler_port_),
                                 "--nats", "nats://127.0.0.1:1", "--convergence-interval", "1",
                                 "--cell-ttl", "2", "--secrets", secrets_.dir(), "--log-level",
                                 "debug"},
        dir_);
    if (!scheduler_->start()) return false;
    bool up = waitHttpOk(schedulerUrl() + "/ping");
    EXPECT_TRUE(up) << scheduler_->logs();
    return up;
  }

  void TearDown() override {
    for (auto& [id, cell] : cells_) {
      cell->stop(15s);
      EXPECT_EQ(cell->logs().find("s3cr3t-registry-pw"), std::string::npos) << id;
    }
    cells_.clear();
    if (scheduler_) {
      // Whatever went wrong, never the docker password in the scheduler's log.
      EXPECT_EQ(scheduler_->logs().find("s3cr3t-registry-pw"), std::string::npos);
      if (HasFailure()) std::cerr << "scheduler log:\n" << scheduler_->logs().substr(0, 8000);
      scheduler_->stop();
    }
    for (pid_t pid : leftovers_) kill(pid, SIGKILL);
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  virtual std::vector<std::string> isolationArgs() const { return {"--isolation", "none"}; }

  std::string schedulerUrl() const {
    return "http://127.0.0.1:" + std::to_string(scheduler_port_);
  }

  // Starts a cell `id` with `memory_mb` (and `extra` flags).
  std::string startCell(const std::string& id, int memory_mb = 1024,
                        const std::vector<std::string>& extra = {}) {
    uint16_t port = freeTcpPort();
    uint16_t first = freeTcpPort();
    if (first > 65000) first = 40000;
    std::vector<std::string> args = {
        "--listen", "127.0.0.1:" + std::to_string(port), "--id", id,
        "--scheduler", schedulerUrl(), "--work-dir", dir_ + "/" + id,
        "--launcher", LAUNCHER_BINARY,
        "--ports", std::to_string(first) + "-" + std::to_string(first + 50),
        "--memory-mb", std::to_string(memory_mb), "--disk-mb", "8192",
        "--max-containers", "10", "--stop-grace-s", "2", "--secrets", secrets_.dir(),
        // The scheduler here takes a cell for missing after 2 s (--cell-ttl 2).
        "--presence-interval-ms", "500", "--log-level", "debug"};
    for (const auto& a : isolationArgs()) args.push_back(a);
    for (const auto& a : extra) args.push_back(a);
    auto cell = std::make_unique<ChildProcess>(id, CELL_BINARY, args, dir_);
    EXPECT_TRUE(cell->start());
    std::string url = "http://127.0.0.1:" + std::to_string(port);
    EXPECT_TRUE(waitHttpOk(url + "/ping")) << cell->logs();
    cells_[id] = std::move(cell);
    return url;
  }

  // A droplet (staging_info.yml, app/) served as <blobs>/droplets/<name>.tgz.
  std::string makeDroplet(const std::string& name) {
    fs::path root = fs::path(dir_) / ("droplet-" + name);
    fs::create_directories(root / "app");
    fs::create_directories(root / "tmp");
    std::ofstream(root / "app" / "hello.txt") << "hello from the droplet\n";
    std::ofstream(root / "staging_info.yml")
        << json{{"detected_buildpack", "test"}, {"start_command", "true"}}.dump();
    std::string tgz = dir_ + "/" + name + ".tgz";
    EXPECT_EQ(staging::createTarGz(root.string(), tgz), "");
    blobs_.addDroplet(name + ".tgz", readFile(tgz));
    return blobs_.url() + "/droplets/" + name + ".tgz";
  }

  sched::TaskDefinition taskDefinition(const std::string& guid, const std::string& command) {
    sched::TaskDefinition d;
    d.task_guid = guid;
    d.domain = "cf-tasks";
    d.app_guid = "app-1";
    d.app_name = "demo";
    d.log_source = "APP/TASK/" + guid;
    d.memory_mb = 64;
    d.disk_mb = 128;
    d.command = command;
    d.droplet_guid = "droplet-1";
    d.droplet_url = droplet_url_.empty() ? droplet_url_ = makeDroplet("d1") : droplet_url_;
    return d;
  }

  net::HttpResponse call(const std::string& method, const std::string& path,
                         const std::string& body = "") {
    return net::sendJson(method, schedulerUrl() + path, body, 10000,
                         secrets_.signer("controller"));
  }
  net::HttpResponse desire(const sched::TaskDefinition& d) {
    return call("POST", "/v1/tasks", json(d).dump());
  }
  json getTask(const std::string& guid) {
    auto r = net::getJson(schedulerUrl() + "/v1/tasks/" + guid, 10000,
                          secrets_.signer("controller"));
    if (r.status != 200) return nullptr;
    return json::parse(r.body, nullptr, false);
  }
  // The task once `done` holds for it (waiting up to `limit`); null when it never did.
  json waitTask(const std::string& guid, const std::function<bool(const json&)>& done,
                std::chrono::milliseconds limit = 20s) {
    json last;
    bool ok = taskEventually(
        [&] {
          last = getTask(guid);
          return !last.is_null() && !last.is_discarded() && done(last);
        },
        limit);
    if (!ok) ADD_FAILURE() << "task " << guid << " is " << last.dump();
    return ok ? last : json();
  }
  static bool completed(const json& t) { return t.value("state", "") == "COMPLETED"; }

  json cellState(const std::string& cell_url) {
    auto r = net::getJson(cell_url + "/state", 10000, secrets_.signer("scheduler"));
    return json::parse(r.body, nullptr, false);
  }
  std::string taskHome(const std::string& cell_id, const std::string& guid) const {
    return dir_ + "/" + cell_id + "/instances/task-" + guid + "/app";
  }
  // The pid the task wrote to $HOME/pid (the commands below do `echo $$ > $HOME/pid`).
  pid_t taskPid(const std::string& cell_id, const std::string& guid) {
    for (int i = 0; i < 200; ++i) {
      std::string text = readFile(taskHome(cell_id, guid) + "/pid");
      if (!text.empty() && text.back() == '\n') {
        leftovers_.push_back(std::stoi(text));
        return std::stoi(text);
      }
      std::this_thread::sleep_for(50ms);
    }
    return -1;
  }

  TestSecrets secrets_;
  TaskBlobServer blobs_{secrets_};
  std::string dir_;
  uint16_t scheduler_port_ = 0;
  std::unique_ptr<ChildProcess> scheduler_;
  std::map<std::string, std::unique_ptr<ChildProcess>> cells_;
  std::string droplet_url_;
  std::vector<pid_t> leftovers_;
};

TEST_F(SchedulerTaskTest, RunsToCompletionAndIsResolved) {
  std::string cell_url = startCell("cell-a");
  // The droplet's files are there, the task gets the app's environment and no port.
  auto d = taskDefinition("ok-1", "cat hello.txt; test -z \"$PORT\" && test \"$GREETING\" = hi");
  d.environment = {{"GREETING", "hi"}};
  auto r = desire(d);
  ASSERT_EQ(r.status, 201) << r.body;
  json created = json::parse(r.body);
  EXPECT_EQ(created["task_guid"], "ok-1");
  EXPECT_EQ(created["state"], "PENDING");

  json done = waitTask("ok-1", completed);
  ASSERT_FALSE(done.is_null());
  EXPECT_FALSE(done["failed"].get<bool>()) << done.dump();
  EXPECT_EQ(done["failure_reason"], "");
  EXPECT_EQ(done["exit_code"], 0);
  EXPECT_EQ(done["cell_id"], "cell-a");
  EXPECT_EQ(done["definition"]["domain"], "cf-tasks");

  // Listed, filtered by domain and app.
  r = call("GET", "/v1/tasks?domain=cf-tasks&app_guid=app-1");
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(json::parse(r.body)["tasks"].size(), 1u);
  r = call("GET", "/v1/tasks?domain=cf-app-staging");
  EXPECT_EQ(json::parse(r.body)["tasks"].size(), 0u);

  // The cell freed the capacity and forgot the task once the scheduler took the report.
  ASSERT_TRUE(taskEventually(
      [&] {
        json s = cellState(cell_url);
        return s["tasks"].empty() && s["available"]["memory_mb"] == 1024;
      },
      5s))
      << cellState(cell_url).dump();
  EXPECT_FALSE(fs::exists(dir_ + "/cell-a/instances/task-ok-1"));

  // Resolve: forgotten; the guid cannot be desired again right away.
  EXPECT_EQ(call("DELETE", "/v1/tasks/ok-1").status, 204);
  EXPECT_EQ(call("GET", "/v1/tasks/ok-1").status, 404);
  EXPECT_EQ(desire(d).status, 409);
}

TEST_F(SchedulerTaskTest, OutputIsPublishedWithTheTasksLogSource) {
  NatsServer nats;
  ASSERT_TRUE(nats.start()) << nats.lastError();
  natsConnection* conn = nullptr;
  natsSubscription* sub = nullptr;
  ASSERT_EQ(natsConnection_ConnectTo(&conn, nats.url().c_str()), NATS_OK);
  ASSERT_EQ(natsConnection_SubscribeSync(&sub, conn, "logs.app-1"), NATS_OK);
  ASSERT_EQ(natsConnection_FlushTimeout(conn, 2000), NATS_OK);
  startCell("cell-a", 1024, {"--nats", nats.url()});
  ASSERT_EQ(desire(taskDefinition("log-1", "echo hello-out; echo hello-err >&2")).status, 201);
  bool out = false, err = false, exited = false;
  auto deadline = std::chrono::steady_clock::now() + 15s;
  while (!(out && err && exited) && std::chrono::steady_clock::now() < deadline) {
    natsMsg* msg = nullptr;
    if (natsSubscription_NextMsg(&msg, sub, 200) != NATS_OK) continue;
    auto line = json::parse(std::string(natsMsg_GetData(msg), size_t(natsMsg_GetDataLength(msg))));
    natsMsg_Destroy(msg);
    const std::string source = line["source_type"], type = line["message_type"];
    const std::string text = line["message"];
    if (source == "APP/TASK/log-1" && type == "OUT" && text == "hello-out") out = true;
    if (source == "APP/TASK/log-1" && type == "ERR" && text == "hello-err") err = true;
    if (source == "CELL" && text == "Exit status 0") exited = true;
  }
  EXPECT_TRUE(out);
  EXPECT_TRUE(err);
  EXPECT_TRUE(exited);
  natsSubscription_Destroy(sub);
  natsConnection_Destroy(conn);
  json done = waitTask("log-1", completed);
  ASSERT_FALSE(done.is_null());
  EXPECT_FALSE(done["failed"].get<bool>());
  cells_["cell-a"]->stop(15s);  // before the NATS server goes
  cells_.clear();
}

TEST_F(SchedulerTaskTest, FailingCommandReportsFailedWithTheExitStatus) {
  startCell("cell-a");
  ASSERT_EQ(desire(taskDefinition("fail-1", "echo about to fail; exit 3")).status, 201);
  json done = waitTask("fail-1", completed);
  ASSERT_FALSE(done.is_null());
  EXPECT_TRUE(done["failed"].get<bool>());
  EXPECT_EQ(done["failure_reason"], "APP/TASK/fail-1: Exited with status 3");
  EXPECT_EQ(done["exit_code"], 3);
  EXPECT_EQ(done["result"], "");
  EXPECT_EQ(call("DELETE", "/v1/tasks/fail-1").status, 204);
}

TEST_F(SchedulerTaskTest, TaskOverItsMemoryLimitFailsWithTheOomReason) {
  startCell("cell-a");
  const std::string python =
      access("/usr/bin/python3", X_OK) == 0 ? "/usr/bin/python3" : "python3";
  auto d = taskDefinition(
      "hog-1", "exec " + python +
                   " -c \"import time; b = b'x' * (200 * 1024 * 1024); time.sleep(30)\"");
  d.memory_mb = 64;
  ASSERT_EQ(desire(d).status, 201);
  json done = waitTask("hog-1", completed);
  ASSERT_FALSE(done.is_null());
  EXPECT_TRUE(done["failed"].get<bool>());
  EXPECT_EQ(done["failure_reason"], "out of memory: exceeded 64 MB");
  EXPECT_EQ(done["exit_code"], 137);
}

TEST_F(SchedulerTaskTest, CancelKillsASleepingTask) {
  std::string cell_url = startCell("cell-a");
  ASSERT_EQ(desire(taskDefinition("sleep-1", "echo $$ > $HOME/pid; exec sleep 60")).status, 201);
  ASSERT_FALSE(waitTask("sleep-1", [](const json& t) { return t["state"] == "RUNNING"; }).is_null());
  pid_t pid = taskPid("cell-a", "sleep-1");
  ASSERT_GT(pid, 0);
  ASSERT_EQ(kill(pid, 0), 0);
  EXPECT_EQ(call("DELETE", "/v1/tasks/sleep-1").status, 409);  // not completed yet

  auto r = call("POST", "/v1/tasks/sleep-1/cancel");
  ASSERT_EQ(r.status, 200) << r.body;
  json cancelled = json::parse(r.body);
  EXPECT_EQ(cancelled["state"], "COMPLETED");
  EXPECT_TRUE(cancelled["failed"].get<bool>());
  EXPECT_EQ(cancelled["failure_reason"], "task was cancelled");

  // SIGTERM (sleep dies of it at once) reaches the process on the cell; the cell cleans up.
  EXPECT_TRUE(taskEventually([&] { return kill(pid, 0) != 0 && errno == ESRCH; }, 5s));
  EXPECT_TRUE(taskEventually([&] { return cellState(cell_url)["tasks"].empty(); }, 5s))
      << cellState(cell_url).dump();
  EXPECT_EQ(getTask("sleep-1")["failure_reason"], "task was cancelled");
  EXPECT_EQ(call("POST", "/v1/tasks/sleep-1/cancel").status, 409);
  EXPECT_EQ(call("POST", "/v1/tasks/nope/cancel").status, 404);
}

TEST_F(SchedulerTaskTest, CancelEscalatesToSigkillAfterTheGrace) {
  std::string cell_url = startCell("cell-a");  // --stop-grace-s 2
  ASSERT_EQ(desire(taskDefinition("stubborn-1", "trap '' TERM; echo $$ > $HOME/pid; exec sleep 60"))
                .status,
            201);
  ASSERT_FALSE(
      waitTask("stubborn-1", [](const json& t) { return t["state"] == "RUNNING"; }).is_null());
  pid_t pid = taskPid("cell-a", "stubborn-1");
  ASSERT_GT(pid, 0);
  ASSERT_EQ(call("POST", "/v1/tasks/stubborn-1/cancel").status, 200);
  std::this_thread::sleep_for(1s);
  EXPECT_EQ(kill(pid, 0), 0) << "SIGTERM is ignored: alive until the grace is over";
  EXPECT_TRUE(taskEventually([&] { return kill(pid, 0) != 0 && errno == ESRCH; }, 6s));
  EXPECT_TRUE(taskEventually([&] { return cellState(cell_url)["tasks"].empty(); }, 5s));
}

TEST_F(SchedulerTaskTest, ResultFileAndCompletionCallbackComeBack) {
  startCell("cell-a");
  auto d = taskDefinition("res-1", "printf '{\"answer\":42}' > $HOME/result.json");
  d.result_file = "/home/vcap/app/result.json";
  d.completion_callback_url = blobs_.url() + "/callbacks/res-1";
  d.annotation = "for the controller";
  blobs_.failCallbacks(1);  // the first attempt gets a 503 and is retried
  ASSERT_EQ(desire(d).status, 201);
  ASSERT_TRUE(taskEventually([&] { return blobs_.callbacks().size() >= 2; }, 20s))
      << scheduler_->logs();
  auto callback = blobs_.callbacks().back();
  EXPECT_EQ(callback.path, "/callbacks/res-1");
  EXPECT_EQ(callback.caller, "scheduler");
  json task = json::parse(callback.body);
  EXPECT_EQ(task["task_guid"], "res-1");
  EXPECT_EQ(task["state"], "RESOLVING");
  EXPECT_FALSE(task["failed"].get<bool>()) << task.dump();
  EXPECT_EQ(task["result"], "{\"answer\":42}");
  EXPECT_EQ(task["definition"]["annotation"], "for the controller");
  // Delivered: the scheduler deletes the task (Diego resolves it after a delivered callback).
  EXPECT_TRUE(taskEventually([&] { return call("GET", "/v1/tasks/res-1").status == 404; }, 5s));

  // A result file the task never wrote fails the task.
  auto missing = taskDefinition("res-2", "true");
  missing.result_file = "/tmp/nothing.json";
  ASSERT_EQ(desire(missing).status, 201);
  json done = waitTask("res-2", completed);
  ASSERT_FALSE(done.is_null());
  EXPECT_TRUE(done["failed"].get<bool>());
  EXPECT_NE(done["failure_reason"].get<std::string>().find("result file"), std::string::npos)
      << done.dump();
}

TEST_F(SchedulerTaskTest, TaskTooBigForEveryCellStaysPending) {
  startCell("cell-a", 512);
  auto d = taskDefinition("big-1", "true");
  d.memory_mb = 4096;
  ASSERT_EQ(desire(d).status, 201);
  // (A first auction may find no cell at all, when the cell's presence is not in yet:
  // "unable to communicate to compatible cells".)
  json pending = waitTask("big-1", [](const json& t) {
    return t["rejection_reason"] == "insufficient resources: memory";
  });
  ASSERT_FALSE(pending.is_null());
  EXPECT_EQ(pending["state"], "PENDING");
  // Convergence keeps retrying it (every 2 intervals here); it never runs.
  const int rejections = pending["rejection_count"];
  json later = waitTask(
      "big-1", [&](const json& t) { return t["rejection_count"] > rejections; }, 10s);
  ASSERT_FALSE(later.is_null());
  EXPECT_EQ(later["state"], "PENDING");
  EXPECT_EQ(later["cell_id"], "");
  // A cell with room arrives: it runs there.
  startCell("cell-big", 8192);
  json done = waitTask("big-1", completed, 20s);
  ASSERT_FALSE(done.is_null());
  EXPECT_EQ(done["cell_id"], "cell-big");
  EXPECT_FALSE(done["failed"].get<bool>());
}

TEST_F(SchedulerTaskTest, CellKilledMidTaskFailsTheTask) {
  startCell("cell-a");
  ASSERT_EQ(desire(taskDefinition("orphan-1", "echo $$ > $HOME/pid; exec sleep 60")).status, 201);
  ASSERT_FALSE(
      waitTask("orphan-1", [](const json& t) { return t["state"] == "RUNNING"; }).is_null());
  ASSERT_GT(taskPid("cell-a", "orphan-1"), 0);
  // While its cell keeps its presence up, the task keeps running (past --cell-ttl).
  std::this_thread::sleep_for(3s);
  EXPECT_EQ(getTask("orphan-1")["state"], "RUNNING");
  cells_["cell-a"]->signal(SIGKILL);
  // --cell-ttl 2 and a convergence pass every second.
  json done = waitTask("orphan-1", completed, 15s);
  ASSERT_FALSE(done.is_null());
  EXPECT_TRUE(done["failed"].get<bool>());
  EXPECT_EQ(done["failure_reason"], "cell disappeared before task completion");
  EXPECT_EQ(done["cell_id"], "cell-a");
}

TEST_F(SchedulerTaskTest, RestartedSchedulerRebuildsItsTasksFromTheCells) {
  startCell("cell-a");
  ASSERT_EQ(desire(taskDefinition("long-1", "sleep 4; echo done")).status, 201);
  ASSERT_EQ(desire(taskDefinition("quick-1", "echo $$ > $HOME/pid; exec sleep 60")).status, 201);
  for (const char* guid : {"long-1", "quick-1"}) {
    ASSERT_FALSE(waitTask(guid, [](const json& t) { return t["state"] == "RUNNING"; }).is_null());
  }
  ASSERT_GT(taskPid("cell-a", "quick-1"), 0);
  // The scheduler goes away with everything it knew; the tasks go on on the cell.
  scheduler_->stop();
  ASSERT_TRUE(startScheduler());
  EXPECT_EQ(call("GET", "/v1/tasks/long-1").status, 404);
  // Bulk sync (after the cell's next presence) adopts both as RUNNING on cell-a ...
  json adopted = waitTask("quick-1", [](const json& t) { return t["state"] == "RUNNING"; }, 15s);
  ASSERT_FALSE(adopted.is_null());
  EXPECT_EQ(adopted["cell_id"], "cell-a");
  EXPECT_EQ(adopted["definition"]["command"], "echo $$ > $HOME/pid; exec sleep 60");
  // ... and one completes as usual; the other can be cancelled on its cell.
  json done = waitTask("long-1", completed, 20s);
  ASSERT_FALSE(done.is_null());
  EXPECT_FALSE(done["failed"].get<bool>()) << done.dump();
  EXPECT_EQ(done["cell_id"], "cell-a");
  ASSERT_EQ(call("POST", "/v1/tasks/quick-1/cancel").status, 200);
  pid_t pid = taskPid("cell-a", "quick-1");
  EXPECT_TRUE(taskEventually([&] { return pid <= 0 || (kill(pid, 0) != 0 && errno == ESRCH); }, 5s));
}

TEST_F(SchedulerTaskTest, InvalidBodiesAreRefusedNamingTheField) {
  auto d = taskDefinition("bad-1", "true");
  auto r = call("POST", "/v1/tasks", "{not json");
  EXPECT_EQ(r.status, 400);
  EXPECT_TRUE(json::parse(r.body).contains("error"));
  r = call("POST", "/v1/tasks", "[1,2]");
  EXPECT_EQ(r.status, 400);

  auto expect422 = [&](json body, const std::string& field) {
    auto answer = call("POST", "/v1/tasks", body.dump());
    EXPECT_EQ(answer.status, 422) << body.dump() << " -> " << answer.body;
    std::string error = json::parse(answer.body, nullptr, false).value("error", "");
    EXPECT_NE(error.find(field), std::string::npos) << error;
  };
  json wrong_type = d;
  wrong_type["memory_mb"] = "lots";
  expect422(wrong_type, "memory_mb");
  json wrong_env = d;
  wrong_env["environment"] = json::array({1});
  expect422(wrong_env, "environment");
  json no_command = d;
  no_command["command"] = "";
  expect422(no_command, "command");
  json zero_disk = d;
  zero_disk["disk_mb"] = 0;
  expect422(zero_disk, "disk_mb");
  json both = d;
  both["docker_image"] = "busybox";
  expect422(both, "docker_image");
  json escape = d;
  escape["result_file"] = "/tmp/../etc/shadow";
  expect422(escape, "result_file");
  json bad_guid = d;
  bad_guid["task_guid"] = "a b";
  expect422(bad_guid, "task_guid");

  ASSERT_EQ(desire(d).status, 201);
  r = desire(d);
  EXPECT_EQ(r.status, 409) << r.body;
  EXPECT_EQ(call("GET", "/v1/tasks/unknown").status, 404);
  EXPECT_EQ(call("DELETE", "/v1/tasks/unknown").status, 404);
  EXPECT_EQ(call("PUT", "/v1/tasks/bad-1").status, 405);
  // A completion with a field of the wrong type, from a cell.
  r = net::sendJson("POST", schedulerUrl() + "/v1/tasks/bad-1/complete",
                    json{{"cell_id", "c"}, {"failed", "yes"}}.dump(), 10000,
                    secrets_.signer("cell:c"));
  EXPECT_EQ(r.status, 422);
  EXPECT_NE(r.body.find("failed"), std::string::npos) << r.body;
  // A docker task's password is accepted but never shown.
  auto docker = taskDefinition("docker-1", "true");
  docker.droplet_url.clear();
  docker.docker_image = "127.0.0.1:1/team/job:1";
  docker.docker_username = "robot";
  docker.docker_password = auth::Secret("s3cr3t-registry-pw");
  r = desire(docker);
  ASSERT_EQ(r.status, 201) << r.body;
  EXPECT_EQ(r.body.find("s3cr3t-registry-pw"), std::string::npos);
  EXPECT_EQ(call("GET", "/v1/tasks").body.find("s3cr3t-registry-pw"), std::string::npos);
  // On a cell without containers it fails with the reason instances get (TearDown checks that
  // neither log holds the password).
  std::string cell_url = startCell("cell-a");
  json done = waitTask("docker-1", completed);
  ASSERT_FALSE(done.is_null());
  EXPECT_EQ(done["failure_reason"], "Docker images need a cell with --isolation container");
  EXPECT_EQ(cellState(cell_url).dump().find("s3cr3t-registry-pw"), std::string::npos);
}

TEST_F(SchedulerTaskTest, UnsignedCallsAreRefused) {
  auto d = taskDefinition("evil-1", "touch /tmp/pwned-by-task");
  std::string url = schedulerUrl() + "/v1/tasks";
  auto r = net::sendJson("POST", url, json(d).dump());
  EXPECT_EQ(r.status, 401) << r.body;
  EXPECT_EQ(r.header("www-authenticate"), "FoundryInternal");
  auth::InternalCredentials stranger{auth::Secret(std::string(32, 'x'))};
  EXPECT_EQ(net::sendJson("POST", url, json(d).dump(), 10000, stranger.signer("controller")).status,
            401);
  EXPECT_EQ(net::getJson(url).status, 401);
  EXPECT_EQ(net::getJson(url + "/evil-1").status, 401);
  EXPECT_EQ(net::sendJson("POST", url + "/evil-1/cancel", "").status, 401);
  EXPECT_EQ(net::sendJson("DELETE", url + "/evil-1", "").status, 401);
  EXPECT_EQ(net::sendJson("POST", url + "/evil-1/complete",
                          json{{"cell_id", "c"}, {"failed", false}}.dump())
                .status,
            401);
  // The cell's cancel too.
  std::string cell_url = startCell("cell-a");
  EXPECT_EQ(net::sendJson("POST", cell_url + "/v1/tasks/evil-1/cancel", "").status, 401);
  EXPECT_EQ(call("GET", "/v1/tasks/evil-1").status, 404);  // nothing was desired
}

// The same lifecycle with the cell's default isolation: a runc container (root and runc needed,
// as for ContainerCellTest).
class TaskContainerTest : public SchedulerTaskTest {
 protected:
  std::vector<std::string> isolationArgs() const override {
    return {"--isolation", "container", "--pids-limit", "64"};
  }
};

TEST_F(TaskContainerTest, RunsInAContainerResultFileAndFailures) {
  std::string cell_url = startCell("cell-c");
  // As vcap (uid 2000 inside), in /home/vcap/app, the result written to the container's /tmp.
  auto d = taskDefinition(
      "ctr-1", "printf '{\"uid\":%s,\"pwd\":\"%s\"}' $(id -u) $(pwd) > /tmp/result.json");
  d.result_file = "/tmp/result.json";
  ASSERT_EQ(desire(d).status, 201);
  json done = waitTask("ctr-1", completed, 30s);
  ASSERT_FALSE(done.is_null());
  EXPECT_FALSE(done["failed"].get<bool>()) << done.dump();
  EXPECT_EQ(done["result"], R"({"uid":2000,"pwd":"/home/vcap/app"})");

  // A symlink planted as the result file does not lead the cell (root) to the host's files.
  auto planted = taskDefinition("ctr-2", "ln -s /etc/hostname /tmp/result.json");
  planted.result_file = "/tmp/result.json";
  ASSERT_EQ(desire(planted).status, 201);
  done = waitTask("ctr-2", completed, 30s);
  ASSERT_FALSE(done.is_null());
  EXPECT_TRUE(done["failed"].get<bool>());
  EXPECT_EQ(done["result"], "");
  EXPECT_NE(done["failure_reason"].get<std::string>().find("failed to read result file"),
            std::string::npos)
      << done.dump();

  ASSERT_EQ(desire(taskDefinition("ctr-3", "exit 7")).status, 201);
  done = waitTask("ctr-3", completed, 30s);
  ASSERT_FALSE(done.is_null());
  EXPECT_EQ(done["failure_reason"], "APP/TASK/ctr-3: Exited with status 7");
  EXPECT_EQ(done["exit_code"], 7);
  // Nothing left: no container, no mount, no capacity held.
  EXPECT_TRUE(taskEventually(
      [&] {
        json s = cellState(cell_url);
        return s["tasks"].empty() && s["available"]["memory_mb"] == 1024;
      },
      10s));
  EXPECT_EQ(readFile("/proc/self/mountinfo").find(dir_ + "/cell-c/instances/task-"),
            std::string::npos);
}

TEST_F(TaskContainerTest, DockerImageTaskPullsWithItsCredentialsNeverShown) {
  RegistryProcess registry({"alice", "s3cr3t-registry-pw"});
  ASSERT_TRUE(registry.start()) << registry.lastError();
  std::string layout;
  ASSERT_EQ(buildTestImageLayout(dir_ + "/image", &layout), "");
  const std::string image = registry.address() + "/test/job:v1";
  ASSERT_EQ(pushTestImage(layout, "v1", image, {.creds = "alice:s3cr3t-registry-pw"}), "");
  startCell("cell-c");
  auto docker = [&](const std::string& guid, const std::string& password) {
    auto d = taskDefinition(guid, "busybox id -u > /tmp/result.txt; echo \"$FOO\" >> /tmp/result.txt");
    d.droplet_guid.clear();
    d.droplet_url.clear();
    d.docker_image = image;
    d.docker_username = "alice";
    d.docker_password = auth::Secret(password);
    d.result_file = "/tmp/result.txt";
    d.completion_callback_url = blobs_.url() + "/callbacks/" + guid;
    return d;
  };
  ASSERT_EQ(desire(docker("img-1", "s3cr3t-registry-pw")).status, 201);
  ASSERT_TRUE(taskEventually([&] { return !blobs_.callbacks().empty(); }, 60s))
      << cells_["cell-c"]->logs().substr(0, 6000);
  auto callback = blobs_.callbacks()[0];
  json task = json::parse(callback.body);
  EXPECT_FALSE(task["failed"].get<bool>()) << task.dump();
  EXPECT_EQ(task["result"], "1000\nbar\n");  // the image's USER and ENV
  EXPECT_EQ(task["definition"]["docker_username"], "alice");
  EXPECT_EQ(callback.body.find("s3cr3t-registry-pw"), std::string::npos);

  // A wrong password: the pull fails, the reason names the image, never a password.
  ASSERT_EQ(desire(docker("img-2", "wrong-pw-for-registry")).status, 201);
  ASSERT_TRUE(taskEventually([&] { return blobs_.callbacks().size() >= 2; }, 60s));
  task = json::parse(blobs_.callbacks()[1].body);
  EXPECT_TRUE(task["failed"].get<bool>());
  const std::string reason = task["failure_reason"];
  EXPECT_EQ(reason.rfind("Pulling image " + image + " failed: unauthorized", 0), 0u) << reason;
  EXPECT_EQ(blobs_.callbacks()[1].body.find("wrong-pw-for-registry"), std::string::npos);
  EXPECT_EQ(cells_["cell-c"]->logs().find("wrong-pw-for-registry"), std::string::npos);
  EXPECT_EQ(scheduler_->logs().find("wrong-pw-for-registry"), std::string::npos);
}

}  // namespace
}  // namespace foundry::test
