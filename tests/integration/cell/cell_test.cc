// The real `cell` binary against a fake scheduler (an evhttp server in this test that records
// presence/claim/start/crash/remove and serves droplets made here with libarchive):
// instances start and serve, crashes, stops, never-healthy checks and the memory limit are
// reported as PROTOCOL.md says. Both sides share a --secrets folder: the fake scheduler answers
// unsigned calls (droplet downloads included) 401, so everything the cell gets done proves it
// signs; the cell refuses unsigned or badly signed calls and runs nothing for them.
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include "tests/integration/cell/cell_fixture.h"

namespace foundry::cell {
namespace {


TEST_F(CellTest, PresenceIsPutAtStartWithTheCellsCapacity) {
  startCell({"--zone", "z2", "--placement-tags", "gpu,ssd"});
  auto presence = scheduler_.waitFor("presence", "", 5s);
  ASSERT_TRUE(presence) << cell_->logs();
  auto p = presence->body.get<sched::CellPresence>();
  EXPECT_EQ(p.cell_id, "cell-test");
  EXPECT_EQ(p.rep_url, repUrl());
  EXPECT_EQ(p.zone, "z2");
  EXPECT_EQ(p.placement_tags, (std::vector<std::string>{"gpu", "ssd"}));
  EXPECT_EQ(p.total.memory_mb, 1024);
  EXPECT_EQ(p.total.disk_mb, 8192);
  EXPECT_EQ(p.total.containers, 10);
  auto s = state();
  EXPECT_EQ(s.available.memory_mb, 1024);
  EXPECT_TRUE(s.lrps.empty());
}

TEST_F(CellTest, InstanceIsClaimedStartedServesAndItsCrashIsReported) {
  startCell();
  std::string url = makeDroplet("web", serverCommand());
  auto answer = postWork({lrp("ig-web", url)});
  EXPECT_TRUE(answer["failed"].empty()) << answer;

  auto claim = scheduler_.waitFor("claim", "ig-web", 5s);
  ASSERT_TRUE(claim) << cell_->logs();
  EXPECT_EQ(claim->body["process_guid"], "proc-ig-web");
  EXPECT_EQ(claim->body["cell_id"], "cell-test");
  auto start = scheduler_.waitFor("start", "ig-web", 15s);
  ASSERT_TRUE(start) << cell_->logs();
  int port = start->body["port"];
  EXPECT_GT(port, 0);
  EXPECT_EQ(start->body["address"], "127.0.0.1");

  net::HttpResponse page = net::getJson("http://127.0.0.1:" + std::to_string(port) + "/index.html");
  EXPECT_EQ(page.status, 200);
  EXPECT_EQ(page.body, "hello from the droplet\n");

  auto s = state();
  ASSERT_EQ(s.lrps.size(), 1u);
  EXPECT_EQ(s.lrps[0].state, sched::LrpState::kRunning);
  EXPECT_EQ(s.lrps[0].instance_guid, "ig-web");
  EXPECT_EQ(s.available.memory_mb, 1024 - 128);
  EXPECT_EQ(s.available.disk_mb, 8192 - 256);
  EXPECT_EQ(s.available.containers, 9);
  EXPECT_EQ(s.starting_container_count, 0);
  // The app's output lands in the instance's log files.
  std::string logs = dir_ + "/work/instances/ig-web/logs/";
  EXPECT_NE(readFile(logs + "stdout.log").find("Invoking start command."), std::string::npos);

  pid_t pid = appPid("ig-web");
  ASSERT_GT(pid, 0);
  ASSERT_EQ(kill(pid, SIGKILL), 0);
  auto crash = scheduler_.waitFor("crash", "ig-web", 5s);
  ASSERT_TRUE(crash) << cell_->logs();
  EXPECT_EQ(crash->body["crash_reason"], "APP/PROC/WEB: Exited with signal 9 (Killed)");
  EXPECT_TRUE(state().lrps.empty());
  EXPECT_EQ(state().available.memory_mb, 1024);
  EXPECT_FALSE(fs::exists(dir_ + "/work/instances/ig-web"));
}

TEST_F(CellTest, StopSendsRemoveAndTheWholeProcessGroupIsGone) {
  startCell();
  // A background child in the same group must go too.
  std::string url = makeDroplet("stop", "sleep 300 & " + serverCommand());
  postWork({lrp("ig-stop", url, "http")});
  ASSERT_TRUE(scheduler_.waitFor("start", "ig-stop", 15s)) << cell_->logs();
  pid_t pid = appPid("ig-stop");
  ASSERT_GT(pid, 0);
  EXPECT_EQ(getpgid(pid), pid) << "the instance leads its own process group";

  net::HttpResponse r =
      net::sendJson("POST", repUrl() + "/v1/lrps/proc-ig-stop/instances/ig-stop/stop", "", 10000,
                    sign());
  EXPECT_EQ(r.status, 202);
  auto removed = scheduler_.waitFor("remove", "ig-stop", 10s);
  ASSERT_TRUE(removed) << cell_->logs();
  EXPECT_EQ(removed->body["process_guid"], "proc-ig-stop");
  EXPECT_TRUE(waitGroupGone(pid, 2s));
  EXPECT_TRUE(scheduler_.calls("crash").empty());
  EXPECT_TRUE(state().lrps.empty());
  EXPECT_FALSE(fs::exists(dir_ + "/work/instances/ig-stop"));
  // Stopping what the cell does not hold is fine (idempotent).
  r = net::sendJson("POST", repUrl() + "/v1/lrps/proc-ig-stop/instances/ig-stop/stop", "", 10000,
                    sign());
  EXPECT_EQ(r.status, 202);
}

TEST_F(CellTest, HealthCheckThatNeverPassesCrashesWithNeverHealthy) {
  startCell();
  std::string url = makeDroplet("mute", "echo $$ > pid; exec sleep 300");
  auto start = lrp("ig-mute", url);
  start.desired.health_check.timeout_s = 2;
  auto begin = std::chrono::steady_clock::now();
  postWork({start});
  auto crash = scheduler_.waitFor("crash", "ig-mute", 8s);
  ASSERT_TRUE(crash) << cell_->logs();
  auto took = std::chrono::steady_clock::now() - begin;
  EXPECT_LT(took, 6s);
  std::string reason = crash->body["crash_reason"];
  EXPECT_EQ(reason.rfind("Instance never healthy after 2s: ", 0), 0u) << reason;
  EXPECT_NE(reason.find("TCP"), std::string::npos) << reason;
  EXPECT_TRUE(scheduler_.calls("start").empty());
}

TEST_F(CellTest, MemoryLimitKillsAnInstanceThatAllocatesTooMuch) {
  startCell();
  std::string url = makeDroplet(
      "hog", "echo $$ > pid; exec " + python() +
                 " -c \"import time; b = b'x' * (200 * 1024 * 1024); time.sleep(30)\"");
  auto start = lrp("ig-hog", url, "process");
  start.desired.memory_mb = 64;
  postWork({start});
  auto crash = scheduler_.waitFor("crash", "ig-hog", 15s);
  ASSERT_TRUE(crash) << cell_->logs();
  EXPECT_EQ(crash->body["crash_reason"], "out of memory: exceeded 64 MB");
  EXPECT_NE(cell_->logs().find("Exit status 137 (exceeded 64 MB memory limit)"), std::string::npos);
}

TEST_F(CellTest, ProcessHealthCheckStartsAtOnceAndAnExitIsACrashWithItsStatus) {
  startCell();
  std::string url = makeDroplet("exit3", "sleep 1; exit 3");
  postWork({lrp("ig-exit", url, "process")});
  ASSERT_TRUE(scheduler_.waitFor("start", "ig-exit", 5s)) << cell_->logs();
  auto crash = scheduler_.waitFor("crash", "ig-exit", 5s);
  ASSERT_TRUE(crash) << cell_->logs();
  EXPECT_EQ(crash->body["crash_reason"], "APP/PROC/WEB: Exited with status 3");
}

TEST_F(CellTest, WorkThatDoesNotFitComesBackFailed) {
  startCell();
  std::string url = makeDroplet("big", serverCommand());
  auto too_big = lrp("ig-big", url);
  too_big.desired.memory_mb = 2048;
  auto bad = lrp("", url);
  auto answer = postWork({too_big, bad});
  ASSERT_EQ(answer["failed"].size(), 2u) << answer;
  EXPECT_EQ(answer["failed"][0]["instance_guid"], "ig-big");
  EXPECT_TRUE(state().lrps.empty());
  net::HttpResponse r = net::sendJson("POST", repUrl() + "/work", "{not json", 10000, sign());
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(net::getJson(repUrl() + "/nope", 10000, sign()).status, 404);
}

TEST_F(CellTest, UnsignedOrBadlySignedCallsAreRefusedAndRunNothing) {
  startCell();
  const std::string marker = dir_ + "/ran";
  std::string url = makeDroplet("evil", "touch " + marker + "; exec sleep 60");
  sched::LrpStart start = lrp("ig-evil", url, "process");
  start.desired.start_command = "touch " + marker + "; exec sleep 60";
  const std::string body = nlohmann::json(sched::Work{{start}}).dump();

  net::HttpResponse r = net::sendJson("POST", repUrl() + "/work", body);
  EXPECT_EQ(r.status, 401) << r.body;
  EXPECT_NE(nlohmann::json::parse(r.body, nullptr, false).value("error", "").find("unauthorized"),
            std::string::npos)
      << r.body;
  auth::InternalCredentials stranger{auth::Secret(std::string(32, 'x'))};
  r = net::sendJson("POST", repUrl() + "/work", body, 10000, stranger.signer("scheduler"));
  EXPECT_EQ(r.status, 401) << r.body;
  // A genuine token for GET /state, replayed on POST /work.
  net::HttpRequest replay;
  replay.method = "POST";
  replay.url = repUrl() + "/work";
  replay.body = body;
  replay.headers = {{"Content-Type", "application/json"},
                    {"Authorization", secrets_.credentials().sign("scheduler", "GET", "/state")}};
  EXPECT_EQ(net::perform(replay).status, 401);
  EXPECT_EQ(net::getJson(repUrl() + "/state").status, 401);
  EXPECT_EQ(net::sendJson("POST", repUrl() + "/v1/lrps/p/instances/i/stop", "").status, 401);
  EXPECT_EQ(net::getJson(repUrl() + "/ping").status, 200);  // readiness stays open

  std::this_thread::sleep_for(1500ms);
  EXPECT_FALSE(fs::exists(marker));
  EXPECT_TRUE(scheduler_.calls("claim").empty());
  EXPECT_TRUE(state().lrps.empty());
  EXPECT_EQ(state().available.memory_mb, 1024);
  EXPECT_NE(cell_->logs().find("unauthorized"), std::string::npos);

  // The same work, signed, does run: the refusals above were about the token only.
  postWork({start});
  ASSERT_TRUE(scheduler_.waitFor("start", "ig-evil", 15s)) << cell_->logs();
  for (int i = 0; i < 250 && !fs::exists(marker); ++i) std::this_thread::sleep_for(20ms);
  EXPECT_TRUE(fs::exists(marker)) << cell_->logs();
}

TEST_F(CellTest, RefusesToStartWithoutSecrets) {
  test::ChildProcess cell("cell-no-secrets", CELL_BINARY,
                          {"--listen", "127.0.0.1:" + std::to_string(test::freeTcpPort()),
                           "--work-dir", dir_ + "/work2", "--launcher", LAUNCHER_BINARY},
                          dir_);
  ASSERT_TRUE(cell.start());
  for (int i = 0; i < 250 && cell.running(); ++i) std::this_thread::sleep_for(20ms);
  EXPECT_FALSE(cell.running()) << cell.logs();
  EXPECT_NE(cell.logs().find("--secrets DIR is required"), std::string::npos) << cell.logs();
}

TEST_F(CellTest, ClaimRefusedDropsTheInstance) {
  scheduler_.setStatus("claim", 409);
  startCell();
  std::string url = makeDroplet("refused", serverCommand());
  postWork({lrp("ig-refused", url)});
  ASSERT_TRUE(scheduler_.waitFor("claim", "ig-refused", 5s));
  auto deadline = std::chrono::steady_clock::now() + 5s;
  while (!state().lrps.empty() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(20ms);
  }
  EXPECT_TRUE(state().lrps.empty());
  EXPECT_EQ(state().available.memory_mb, 1024);
  EXPECT_TRUE(scheduler_.calls("start").empty());
  EXPECT_TRUE(scheduler_.calls("crash").empty());
}

TEST_F(CellTest, DropletWithTheWrongDigestCrashesWithAClearReason) {
  startCell();
  std::string url = makeDroplet("digest", serverCommand());
  auto start = lrp("ig-digest", url);
  start.desired.droplet_sha256 = std::string(64, '0');
  postWork({start});
  auto crash = scheduler_.waitFor("crash", "ig-digest", 5s);
  ASSERT_TRUE(crash) << cell_->logs();
  std::string reason = crash->body["crash_reason"];
  EXPECT_EQ(reason.rfind("Downloading droplet failed: droplet sha256 mismatch", 0), 0u) << reason;
}

TEST_F(CellTest, ShutdownStopsEveryInstance) {
  startCell();
  std::string url = makeDroplet("shut", serverCommand());
  postWork({lrp("ig-shut", url)});
  ASSERT_TRUE(scheduler_.waitFor("start", "ig-shut", 15s)) << cell_->logs();
  pid_t pid = appPid("ig-shut");
  ASSERT_GT(pid, 0);
  int status = cell_->stop(15s);
  // The cell's own words (a sanitizer report ends it with status 1) when it did not exit clean.
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status << "\n" << cell_->logs();
  EXPECT_TRUE(waitGroupGone(pid, 2s));
  EXPECT_TRUE(scheduler_.waitFor("remove", "ig-shut", 1s));
  cell_.reset();
}

TEST_F(CellTest, StartRefusedWithConflictStopsTheInstance) {
  scheduler_.setStatus("start", 409);
  startCell();
  std::string url = makeDroplet("conflict", serverCommand());
  postWork({lrp("ig-conflict", url)});
  ASSERT_TRUE(scheduler_.waitFor("start", "ig-conflict", 15s)) << cell_->logs();
  pid_t pid = appPid("ig-conflict");
  if (pid > 0) {
    EXPECT_TRUE(waitGroupGone(pid, 5s));
  }
  auto deadline = std::chrono::steady_clock::now() + 5s;
  while (!state().lrps.empty() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(20ms);
  }
  EXPECT_TRUE(state().lrps.empty());
  EXPECT_TRUE(scheduler_.calls("crash").empty());
  EXPECT_TRUE(scheduler_.calls("remove").empty());
}

TEST_F(CellTest, LogLinesArePublishedOnNatsWithAppAndCellSources) {
  test::NatsServer nats;
  ASSERT_TRUE(nats.start()) << nats.lastError();
  natsConnection* conn = nullptr;
  natsSubscription* sub = nullptr;
  ASSERT_EQ(natsConnection_ConnectTo(&conn, nats.url().c_str()), NATS_OK);
  ASSERT_EQ(natsConnection_SubscribeSync(&sub, conn, "logs.app-ig-logs"), NATS_OK);
  ASSERT_EQ(natsConnection_FlushTimeout(conn, 2000), NATS_OK);
  startCell({"--nats", nats.url()});
  std::string url = makeDroplet("logs", "echo hello-out; echo hello-err >&2; exec sleep 300");
  auto start = lrp("ig-logs", url, "process");
  start.index = 0;
  postWork({start});

  bool out = false, err = false, healthy = false, created = false;
  auto deadline = std::chrono::steady_clock::now() + 10s;
  while (!(out && err && healthy && created) && std::chrono::steady_clock::now() < deadline) {
    natsMsg* msg = nullptr;
    if (natsSubscription_NextMsg(&msg, sub, 200) != NATS_OK) continue;
    auto line = nlohmann::json::parse(
        std::string(natsMsg_GetData(msg), size_t(natsMsg_GetDataLength(msg))));
    natsMsg_Destroy(msg);
    EXPECT_EQ(line["app_guid"], "app-ig-logs");
    EXPECT_EQ(line["instance_index"], "0");
    EXPECT_GT(line["timestamp_ns"].get<int64_t>(), 0);
    const std::string source = line["source_type"], type = line["message_type"];
    const std::string text = line["message"];
    if (source == "APP/PROC/WEB" && type == "OUT" && text == "hello-out") out = true;
    if (source == "APP/PROC/WEB" && type == "ERR" && text == "hello-err") err = true;
    if (source == "CELL" && text == "Container became healthy") healthy = true;
    if (source == "CELL" && text == "Creating container for app demo, container successfully created") {
      created = true;
    }
  }
  EXPECT_TRUE(out);
  EXPECT_TRUE(err);
  EXPECT_TRUE(healthy);
  EXPECT_TRUE(created);
  natsSubscription_Destroy(sub);
  natsConnection_Destroy(conn);
  cell_->stop(15s);
  cell_.reset();
}

}  // namespace
}  // namespace foundry::cell
