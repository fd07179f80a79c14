#pragma once
// The cell tests' fixture: the real `cell` binary against FakeScheduler, an evhttp server in the
// test that records presence/claim/start/crash/remove and serves droplets made with libarchive.
// Both sides share a --secrets folder: the fake scheduler answers unsigned calls (droplet
// downloads included) 401, so everything the cell gets done proves it signs.
#include <event2/buffer.h>
#include <event2/http.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/net/http_client.h"
#include "scheduler/model/lrp.h"
#include "staging/droplet/archive.h"
#include "tests/test_common/child_process.h"
#include "tests/test_common/event_loop_thread.h"
#include "tests/test_common/internal_auth.h"
#include "tests/test_common/nats_server.h"

#include <nats/nats.h>
#include "tests/test_common/ports.h"
#include "tests/test_common/files.h"


namespace foundry::test {


class FakeScheduler {
 public:
  struct Call {
    std::string kind;  // "presence", "claim", "start", "crash", "remove"
    nlohmann::json body;
  };

  explicit FakeScheduler(const TestSecrets& secrets);
  ~FakeScheduler();

  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  void addDroplet(const std::string& name, std::string bytes);
  std::string dropletUrl(const std::string& name) const { return url() + "/droplets/" + name; }
  void setStatus(const std::string& kind, int status);  // answer for claim/start/...

  // The first call of `kind` (for `instance_guid` when not empty), waiting up to `timeout`.
  std::optional<Call> waitFor(const std::string& kind, const std::string& instance_guid,
                              std::chrono::milliseconds timeout);
  std::vector<Call> calls(const std::string& kind);
  // Requests refused for a missing or bad token, and the callers of the accepted ones.
  int unauthorized();
  std::set<std::string> callers();

 private:
  static void onRequest(evhttp_request* req, void* arg);

  const TestSecrets& secrets_;
  EventLoopThread loop_;
  evhttp* http_ = nullptr;
  uint16_t port_ = 0;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<Call> calls_;
  int unauthorized_ = 0;
  std::set<std::string> callers_;
  std::map<std::string, std::string> droplets_;
  std::map<std::string, int> statuses_;
};

}  // namespace foundry::test

namespace foundry::cell {
using test::readFile;

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using test::FakeScheduler;

// The system python starts in a fraction of the time a version-manager shim takes.
inline std::string python() { return access("/usr/bin/python3", X_OK) == 0 ? "/usr/bin/python3" : "python3"; }

class CellTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char templ[] = "/tmp/cell-test-XXXXXX";
    ASSERT_NE(mkdtemp(templ), nullptr);
    dir_ = templ;
    chmod(templ, 0711);  // containers' users walk through it to the stack and their disks
  }

  void TearDown() override {
    if (cell_) {
      cell_->stop(15s);
      cell_.reset();
    }
    // Every call the cell made (presence, reports, droplet downloads) was signed, as the cell.
    EXPECT_EQ(scheduler_.unauthorized(), 0);
    for (const auto& caller : scheduler_.callers()) EXPECT_EQ(caller, "cell:cell-test");
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  // A droplet whose staging_info.yml names `start_command`; served as /droplets/<name>.
  // `files` go under app/ (name -> content).
  std::string makeDroplet(const std::string& name, const std::string& start_command,
                          const std::map<std::string, std::string>& files = {}) {
    fs::path root = fs::path(dir_) / ("droplet-" + name);
    fs::create_directories(root / "app");
    fs::create_directories(root / "tmp");
    fs::create_directories(root / "logs");
    std::ofstream(root / "app" / "index.html") << "hello from the droplet\n";
    for (const auto& [file, content] : files) std::ofstream(root / "app" / file) << content;
    std::ofstream(root / "staging_info.yml")
        << nlohmann::json{{"detected_buildpack", "test"}, {"start_command", start_command}}.dump();
    std::string tgz = dir_ + "/" + name + ".tgz";
    EXPECT_EQ(staging::createTarGz(root.string(), tgz), "");
    std::string bytes = readFile(tgz);
    scheduler_.addDroplet(name + ".tgz", bytes);
    return scheduler_.dropletUrl(name + ".tgz");
  }

  void startCell(std::vector<std::string> extra = {}) {
    cell_port_ = test::freeTcpPort();
    uint16_t first = test::freeTcpPort();
    if (first > 65000) first = 40000;
    std::vector<std::string> args = {
        "--listen", "127.0.0.1:" + std::to_string(cell_port_),
        "--id", "cell-test",
        "--scheduler", scheduler_.url(),
        "--work-dir", dir_ + "/work",
        "--launcher", LAUNCHER_BINARY,
        "--ports", std::to_string(first) + "-" + std::to_string(first + 100),
        "--memory-mb", "1024",
        "--disk-mb", "8192",
        "--max-containers", "10",
        "--stop-grace-s", "2",
        "--unhealthy-interval-ms", "100",
        "--secrets", secrets_.dir(),
        "--log-level", "debug"};
    std::vector<std::string> isolation = isolationArgs();
    args.insert(args.end(), isolation.begin(), isolation.end());
    args.insert(args.end(), extra.begin(), extra.end());
    cell_ = std::make_unique<test::ChildProcess>("cell", CELL_BINARY, args, dir_);
    ASSERT_TRUE(cell_->start());
    ASSERT_TRUE(test::waitHttpOk(repUrl() + "/ping")) << cell_->logs();
  }

  // CellTest checks the lifecycle on bare process groups, where the test can see the app's
  // pids; ContainerCellTest runs the same lifecycle in containers.
  virtual std::vector<std::string> isolationArgs() const { return {"--isolation", "none"}; }

  std::string repUrl() const { return "http://127.0.0.1:" + std::to_string(cell_port_); }

  sched::LrpStart lrp(const std::string& instance_guid, const std::string& droplet_url,
                      const std::string& health = "port") {
    sched::LrpStart start;
    start.index = 0;
    start.instance_guid = instance_guid;
    auto& d = start.desired;
    d.process_guid = "proc-" + instance_guid;
    d.app_guid = "app-" + instance_guid;
    d.app_name = "demo";
    d.memory_mb = 128;
    d.disk_mb = 256;
    d.droplet_guid = "droplet-of-" + instance_guid;
    d.droplet_url = droplet_url;
    d.health_check.type = health;
    d.health_check.timeout_s = 20;
    d.routes = {{"demo.apps.internal", "", "r1", 8080}};
    return start;
  }

  nlohmann::json postWork(const std::vector<sched::LrpStart>& lrps) {
    sched::Work work{lrps};
    net::HttpResponse r =
        net::sendJson("POST", repUrl() + "/work", nlohmann::json(work).dump(), 10000, sign());
    EXPECT_EQ(r.status, 200) << r.body;
    return nlohmann::json::parse(r.body, nullptr, false);
  }

  sched::CellState state() {
    net::HttpResponse r = net::getJson(repUrl() + "/state", 10000, sign());
    EXPECT_EQ(r.status, 200);
    return nlohmann::json::parse(r.body).get<sched::CellState>();
  }

  // The pid the app wrote to app/pid (the start commands below do `echo $$ > pid`).
  pid_t appPid(const std::string& instance_guid) {
    std::string path = dir_ + "/work/instances/" + instance_guid + "/app/pid";
    for (int i = 0; i < 100; ++i) {
      std::string text = readFile(path);
      if (!text.empty()) return std::stoi(text);
      std::this_thread::sleep_for(50ms);
    }
    return -1;
  }

  bool waitGroupGone(pid_t pgid, std::chrono::milliseconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      if (kill(-pgid, 0) != 0 && errno == ESRCH) return true;
      std::this_thread::sleep_for(20ms);
    }
    return false;
  }

  std::string serverCommand() {
    return "echo $$ > pid; exec " + python() + " -m http.server $PORT --bind 127.0.0.1";
  }

  // Signs as the scheduler does.
  net::Authorizer sign() const { return secrets_.signer("scheduler"); }

  std::string dir_;
  test::TestSecrets secrets_;
  FakeScheduler scheduler_{secrets_};
  std::unique_ptr<test::ChildProcess> cell_;
  uint16_t cell_port_ = 0;
};

}  // namespace foundry::cell
