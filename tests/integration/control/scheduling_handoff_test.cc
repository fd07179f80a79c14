// The real controller binary handing its desired state to a fake scheduler served here
// (evhttp on an EventLoopThread): the PUT/DELETE/sync calls each API change causes and their
// bodies, stats built from the fake's actual LRPs, and a scheduler that never answers leaving
// the API fast while stats answer 503. The fake answers unsigned calls 401 (the controller and
// the fake share a --secrets folder), so every call it records proves the controller signs.
#include <arpa/inet.h>
#include <event2/buffer.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "control/api/api.h"
#include "control/store/sqlite_store.h"
#include "common/net/http_client.h"
#include "scheduler/model/lrp.h"
#include "tests/test_common/controller_login.h"
#include "tests/test_common/child_process.h"
#include "tests/test_common/event_loop_thread.h"
#include "tests/test_common/internal_auth.h"
#include "tests/test_common/ports.h"

namespace foundry::test {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using namespace std::chrono_literals;

struct Call {
  std::string method, path, query;
  json body;  // null when empty
};

// The scheduler's controller-facing API (PROTOCOL.md), in memory: keeps what is PUT (so the
// controller's GET /v1/desired_lrps?app_guid= sees it), replaces it on sync, answers
// actual_lrps from `actual`, and records every call.
class FakeScheduler {
 public:
  explicit FakeScheduler(const TestSecrets& secrets) : secrets_(secrets) {
    loop_.run([this] {
      http_ = evhttp_new(loop_.base());
      evhttp_set_allowed_methods(http_, EVHTTP_REQ_GET | EVHTTP_REQ_PUT | EVHTTP_REQ_DELETE);
      evhttp_set_gencb(http_, &FakeScheduler::onRequest, this);
      for (int attempt = 0; attempt < 5 && port_ == 0; ++attempt) {
        uint16_t port = freeTcpPort();
        if (evhttp_bind_socket(http_, "127.0.0.1", port) == 0) port_ = port;
      }
    });
  }
  ~FakeScheduler() {
    loop_.run([this] { evhttp_free(http_); });
  }

  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  uint16_t port() const { return port_; }

  // Calls refused for a missing or bad token; the callers of the accepted ones.
  int unauthorized() {
    std::lock_guard<std::mutex> lock(mu_);
    return unauthorized_;
  }
  std::set<std::string> callers() {
    std::lock_guard<std::mutex> lock(mu_);
    return callers_;
  }
  void setActual(const std::string& process_guid, std::vector<sched::ActualLrp> lrps) {
    std::lock_guard<std::mutex> lock(mu_);
    actual_[process_guid] = std::move(lrps);
  }
  std::vector<Call> calls() {
    std::lock_guard<std::mutex> lock(mu_);
    return calls_;
  }
  // The calls other than reads and syncs, in order.
  std::vector<Call> writes() {
    std::vector<Call> out;
    for (auto& c : calls()) {
      if (c.method != "GET" && c.path != "/v1/sync") out.push_back(c);
    }
    return out;
  }
  // Waits (bounded) until `pred` holds for the recorded calls.
  bool waitFor(const std::function<bool(const std::vector<Call>&)>& pred,
               std::chrono::milliseconds timeout = 5s) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      if (pred(calls())) return true;
      std::this_thread::sleep_for(20ms);
    }
    return pred(calls());
  }
  // Waits for the n-th write (0-based) and returns it (an empty Call on timeout).
  Call waitWrite(size_t n) {
    waitFor([&](const std::vector<Call>&) { return writes().size() > n; });
    auto w = writes();
    return w.size() > n ? w[n] : Call{};
  }

 private:
  static void onRequest(evhttp_request* req, void* arg) {
    static_cast<FakeScheduler*>(arg)->handle(req);
  }

  void handle(evhttp_request* req) {
    Call call;
    switch (evhttp_request_get_command(req)) {
      case EVHTTP_REQ_GET: call.method = "GET"; break;
      case EVHTTP_REQ_PUT: call.method = "PUT"; break;
      case EVHTTP_REQ_DELETE: call.method = "DELETE"; break;
      default: call.method = "OTHER";
    }
    const evhttp_uri* uri = evhttp_request_get_evhttp_uri(req);
    call.path = evhttp_uri_get_path(uri) ? evhttp_uri_get_path(uri) : "";
    call.query = evhttp_uri_get_query(uri) ? evhttp_uri_get_query(uri) : "";
    evbuffer* in = evhttp_request_get_input_buffer(req);
    std::string body(evbuffer_get_length(in), '\0');
    evbuffer_copyout(in, body.data(), body.size());
    if (!body.empty()) call.body = json::parse(body, nullptr, false);

    int status = 200;
    json answer = json::object();
    std::string why, caller;
    if (!secrets_.verify(req, &why, &caller)) {
      {
        std::lock_guard<std::mutex> lock(mu_);
        ++unauthorized_;
      }
      return reply(req, 401, {{"error", "unauthorized: " + why}});
    }
    {
      std::lock_guard<std::mutex> lock(mu_);
      calls_.push_back(call);
      callers_.insert(caller);
      const std::string prefix = "/v1/desired_lrps/";
      if (call.method == "PUT" && call.path.rfind(prefix, 0) == 0) {
        std::string guid = call.path.substr(prefix.size());
        status = desired_.count(guid) ? 200 : 201;
        desired_[guid] = call.body;
      } else if (call.method == "DELETE" && call.path.rfind(prefix, 0) == 0) {
        desired_.erase(call.path.substr(prefix.size()));
        status = 204;
      } else if (call.method == "GET" && call.path == "/v1/desired_lrps") {
        std::string app = call.query.rfind("app_guid=", 0) == 0 ? call.query.substr(9) : "";
        json list = json::array();
        for (const auto& [guid, lrp] : desired_) {
          if (app.empty() || lrp.value("app_guid", "") == app) list.push_back(lrp);
        }
        answer = {{"desired_lrps", list}};
      } else if (call.method == "PUT" && call.path == "/v1/sync") {
        desired_.clear();
        for (const auto& lrp : call.body.at("desired_lrps")) {
          desired_[lrp.value("process_guid", "")] = lrp;
        }
      } else if (call.method == "GET" && call.path == "/v1/actual_lrps") {
        std::string guid = call.query.substr(call.query.find('=') + 1);
        answer = {{"actual_lrps", json(actual_[guid])}};
      } else {
        status = 404;
      }
    }
    reply(req, status, answer);
  }

  static void reply(evhttp_request* req, int status, const json& answer) {
    evbuffer* out = evbuffer_new();
    if (status != 204) {
      std::string text = answer.dump();
      evbuffer_add(out, text.data(), text.size());
    }
    evhttp_send_reply(req, status, nullptr, out);
    evbuffer_free(out);
  }

  const TestSecrets& secrets_;
  EventLoopThread loop_;
  evhttp* http_ = nullptr;
  uint16_t port_ = 0;
  std::mutex mu_;
  std::vector<Call> calls_;
  int unauthorized_ = 0;
  std::set<std::string> callers_;
  std::map<std::string, json> desired_;
  std::map<std::string, std::vector<sched::ActualLrp>> actual_;
};

class SchedulingHandoffTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/control-sched-it-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override {
    controller_.reset();
    if (HasFailure()) {
      std::cerr << "kept " << dir_ << "\n";
    } else {
      fs::remove_all(dir_);
    }
  }

  void startController(const std::string& scheduler_url) {
    port_ = freeTcpPort();
    base_ = "http://127.0.0.1:" + std::to_string(port_);
    std::vector<std::string> args = {"--listen", "127.0.0.1:" + std::to_string(port_),
                                     "--data-dir", dir_ + "/data", "--scheduler", scheduler_url,
                                     "--sync-interval", "1", "--secrets", secrets_.dir()};
    for (auto& a : adminPasswordFlags(dir_)) args.push_back(a);
    controller_ = std::make_unique<ChildProcess>("controller", CONTROLLER_BINARY, args, dir_);
    ASSERT_TRUE(controller_->start());
    ASSERT_TRUE(waitHttpOk(base_ + "/v3")) << controller_->logs();
    bearer_ = loginBearer(base_);
    ASSERT_FALSE(bearer_.empty()) << controller_->logs();
    space_ = get("/v3/spaces")["resources"][0]["guid"];
    domain_ = get("/v3/domains")["resources"][0]["guid"];
  }

  net::HttpResponse call(const std::string& method, const std::string& path,
                         const json& body = nullptr) {
    net::HttpRequest r;
    r.method = method;
    r.url = base_ + path;
    if (!body.is_null()) {
      r.body = body.dump();
      r.headers = {{"Content-Type", "application/json"}};
    }
    r.timeout_ms = 10000;
    return performAs(bearer_, r);
  }
  json get(const std::string& path) { return json::parse(call("GET", path).body, nullptr, false); }

  std::string createApp(const std::string& name) {
    auto r = call("POST", "/v3/apps",
                  {{"name", name},
                   {"environment_variables", {{"GREETING", "hello"}}},
                   {"relationships", {{"space", {{"data", {{"guid", space_}}}}}}}});
    EXPECT_EQ(r.status, 201) << r.body;
    return json::parse(r.body).value("guid", "");
  }
  // A staged droplet written into the running controller's database (staging is not what this
  // test covers); returns its guid.
  std::string giveDroplet(const std::string& app) {
    control::SqliteStore store(dir_ + "/data/controller.db");
    control::Droplet d;
    d.guid = control::newGuid();
    d.app_guid = app;
    d.package_guid = control::newGuid();
    d.build_guid = control::newGuid();
    d.sha256 = std::string(64, 'a');
    d.created_at = d.updated_at = control::nowIso8601();
    EXPECT_EQ(store.createDroplet(d), control::WriteResult::Ok);
    EXPECT_EQ(store.setCurrentDroplet(app, d.guid, d.created_at), control::WriteResult::Ok);
    return d.guid;
  }
  json web(const std::string& app) { return get("/v3/apps/" + app + "/processes/web"); }

  std::string dir_;
  uint16_t port_ = 0;
  std::string base_, space_, domain_, bearer_;
  TestSecrets secrets_;
  std::unique_ptr<ChildProcess> controller_;
};

TEST_F(SchedulingHandoffTest, ChangesBecomeLrpCallsAndStatsReadActualLrps) {
  FakeScheduler scheduler{secrets_};
  ASSERT_NE(scheduler.port(), 0);
  startController(scheduler.url());
  // The sync at start, with nothing started yet.
  ASSERT_TRUE(scheduler.waitFor([](const std::vector<Call>& calls) {
    for (const auto& c : calls) {
      if (c.path == "/v1/sync") return c.body["desired_lrps"].empty();
    }
    return false;
  })) << controller_->logs();

  const std::string app = createApp("demo");
  const std::string droplet = giveDroplet(app);
  json process = web(app);
  const std::string process_guid =
      process["guid"].get<std::string>() + "-" + process["version"].get<std::string>();

  // start -> PUT the LRP, whole.
  ASSERT_EQ(call("POST", "/v3/apps/" + app + "/actions/start").status, 200);
  Call put = scheduler.waitWrite(0);
  ASSERT_EQ(put.method, "PUT") << controller_->logs();
  EXPECT_EQ(put.path, "/v1/desired_lrps/" + process_guid);
  sched::DesiredLrp lrp = put.body.get<sched::DesiredLrp>();
  EXPECT_EQ(lrp.process_guid, process_guid);
  EXPECT_EQ(lrp.app_guid, app);
  EXPECT_EQ(lrp.app_name, "demo");
  EXPECT_EQ(lrp.process_type, "web");
  EXPECT_EQ(lrp.space_guid, space_);
  EXPECT_EQ(lrp.space_name, "default");
  EXPECT_EQ(lrp.organization_name, "default");
  EXPECT_EQ(lrp.instances, 1);
  EXPECT_EQ(lrp.memory_mb, 1024);
  EXPECT_EQ(lrp.droplet_guid, droplet);
  EXPECT_EQ(lrp.droplet_url, base_ + "/internal/v1/droplets/" + droplet + "/download");
  EXPECT_EQ(lrp.droplet_sha256, std::string(64, 'a'));
  EXPECT_EQ(lrp.start_command, "");
  EXPECT_EQ(lrp.environment.at("GREETING"), "hello");
  EXPECT_EQ(lrp.health_check.type, "port");
  EXPECT_TRUE(lrp.routes.empty());

  // scale -> PUT with the new instance count, same LRP.
  ASSERT_EQ(call("POST", "/v3/processes/" + process["guid"].get<std::string>() + "/actions/scale",
                 {{"instances", 3}})
                .status,
            202);
  put = scheduler.waitWrite(1);
  EXPECT_EQ(put.path, "/v1/desired_lrps/" + process_guid);
  EXPECT_EQ(put.body["instances"], 3);

  // map a route -> PUT with it; unmap -> PUT without it.
  auto route = call("POST", "/v3/routes",
                    {{"host", "demo"},
                     {"path", "/api"},
                     {"relationships",
                      {{"space", {{"data", {{"guid", space_}}}}},
                       {"domain", {{"data", {{"guid", domain_}}}}}}}});
  ASSERT_EQ(route.status, 201) << route.body;
  const std::string route_guid = json::parse(route.body)["guid"];
  auto mapped = call("POST", "/v3/routes/" + route_guid + "/destinations",
                     {{"destinations", {{{"app", {{"guid", app}}}}}}});
  ASSERT_EQ(mapped.status, 200) << mapped.body;
  put = scheduler.waitWrite(2);
  ASSERT_EQ(put.method, "PUT");
  EXPECT_EQ(put.body["routes"],
            json::parse(R"([{"hostname":"demo.apps.internal","path":"/api","route_guid":")" +
                        route_guid +
                        R"(","port":8080,"route_service_url":"","options":{},"weight":0}])"));
  const std::string dest = json::parse(mapped.body)["destinations"][0]["guid"];
  ASSERT_EQ(call("DELETE", "/v3/routes/" + route_guid + "/destinations/" + dest).status, 204);
  put = scheduler.waitWrite(3);
  EXPECT_EQ(put.method, "PUT");
  EXPECT_TRUE(put.body["routes"].empty());
  EXPECT_EQ(put.body["instances"], 3);

  // The periodic sync carries the started app's LRP.
  size_t seen = scheduler.calls().size();
  EXPECT_TRUE(scheduler.waitFor([&](const std::vector<Call>& calls) {
    for (size_t i = seen; i < calls.size(); ++i) {
      const auto& c = calls[i];
      if (c.path == "/v1/sync" && c.body["desired_lrps"].size() == 1 &&
          c.body["desired_lrps"][0]["process_guid"] == process_guid) {
        return true;
      }
    }
    return false;
  }));

  // stats from the scheduler's actual LRPs.
  std::vector<sched::ActualLrp> actual(3);
  actual[0].process_guid = process_guid;
  actual[0].state = sched::LrpState::kRunning;
  actual[0].address = "127.0.0.1";
  actual[0].port = 61005;
  actual[0].since_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                           (std::chrono::system_clock::now() - 30s).time_since_epoch())
                           .count();
  actual[1].index = 1;
  actual[1].state = sched::LrpState::kCrashed;
  actual[1].crash_reason = "Exited with status 1";
  actual[2].index = 2;
  actual[2].state = sched::LrpState::kUnclaimed;
  actual[2].placement_error = "insufficient resources: memory";
  scheduler.setActual(process_guid, actual);
  auto stats = call("GET", "/v3/processes/" + process["guid"].get<std::string>() + "/stats");
  ASSERT_EQ(stats.status, 200) << stats.body;
  json items = json::parse(stats.body)["resources"];
  ASSERT_EQ(items.size(), 3u);
  EXPECT_EQ(items[0]["state"], "RUNNING");
  EXPECT_EQ(items[0]["host"], "127.0.0.1");
  EXPECT_EQ(items[0]["instance_ports"][0]["external"], 61005);
  EXPECT_GE(items[0]["uptime"].get<int>(), 29);
  EXPECT_EQ(items[0]["mem_quota"], 1024LL * 1024 * 1024);
  EXPECT_EQ(items[1]["state"], "CRASHED");
  EXPECT_EQ(items[1]["details"], "Exited with status 1");
  EXPECT_EQ(items[2]["state"], "STARTING");
  EXPECT_EQ(items[2]["details"], "insufficient resources: memory");
  auto by_type = call("GET", "/v3/apps/" + app + "/processes/web/stats");
  EXPECT_EQ(json::parse(by_type.body)["resources"], items);

  // restart -> DELETE, then PUT the LRP whole again.
  ASSERT_EQ(call("POST", "/v3/apps/" + app + "/actions/restart").status, 200);
  Call del = scheduler.waitWrite(4);
  put = scheduler.waitWrite(5);
  EXPECT_EQ(del.method, "DELETE");
  EXPECT_EQ(del.path, "/v1/desired_lrps/" + process_guid);
  EXPECT_EQ(put.method, "PUT");
  EXPECT_EQ(put.path, "/v1/desired_lrps/" + process_guid);

  // stop -> DELETE; stats are all DOWN without the scheduler.
  ASSERT_EQ(call("POST", "/v3/apps/" + app + "/actions/stop").status, 200);
  del = scheduler.waitWrite(6);
  EXPECT_EQ(del.method, "DELETE");
  EXPECT_EQ(del.path, "/v1/desired_lrps/" + process_guid);
  stats = call("GET", "/v3/processes/" + process["guid"].get<std::string>() + "/stats");
  ASSERT_EQ(stats.status, 200);
  const json down = json::parse(stats.body);  // named: a range-for over a temporary's member dangles
  for (const auto& item : down["resources"]) {
    EXPECT_EQ(item["state"], "DOWN");
  }
  EXPECT_EQ(scheduler.writes().size(), 7u);
  // Every call (sync, PUT, DELETE, the stats reads) came signed, as the controller.
  EXPECT_EQ(scheduler.unauthorized(), 0);
  EXPECT_EQ(scheduler.callers(), std::set<std::string>{"controller"});
}

TEST_F(SchedulingHandoffTest, SilentSchedulerLeavesTheApiFastAndStatsUnavailable) {
  // A socket that listens but never accepts: connections are made, requests never answered.
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(listen(fd, 64), 0);
  ASSERT_EQ(getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len), 0);
  startController("http://127.0.0.1:" + std::to_string(ntohs(addr.sin_port)));

  const std::string app = createApp("stuck");
  giveDroplet(app);
  // The reconciler waits on the silent scheduler (5 s per call); the API does not.
  for (const char* action : {"start", "stop", "start", "restart"}) {
    auto begin = std::chrono::steady_clock::now();
    auto r = call("POST", "/v3/apps/" + app + "/actions/" + action);
    EXPECT_EQ(r.status, 200) << action << " " << r.body;
    EXPECT_LT(std::chrono::steady_clock::now() - begin, 1500ms) << action;
  }
  auto stats = call("GET", "/v3/apps/" + app + "/processes/web/stats");
  EXPECT_EQ(stats.status, 503);
  json error = json::parse(stats.body, nullptr, false)["errors"][0];
  EXPECT_EQ(error["code"], 200002);
  EXPECT_EQ(error["title"], "CF-StatsUnavailable");
  EXPECT_EQ(error["detail"], "Stats server temporarily unavailable.");
  controller_.reset();  // before the socket closes
  close(fd);
}

TEST_F(SchedulingHandoffTest, BadFlagsAreRefused) {
  for (const auto& args : std::vector<std::vector<std::string>>{
           {"--sync-interval", "0"}, {"--sync-interval", "x"}, {"--scheduler", "ftp://x"}}) {
    std::vector<std::string> full = {"--data-dir", dir_ + "/data"};
    full.insert(full.end(), args.begin(), args.end());
    ChildProcess bad("bad", CONTROLLER_BINARY, full, dir_);
    ASSERT_TRUE(bad.start());
    auto deadline = std::chrono::steady_clock::now() + 5s;
    while (bad.running() && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(20ms);
    }
    EXPECT_FALSE(bad.running()) << args[0];
    EXPECT_NE(bad.logs().find("usage"), std::string::npos) << bad.logs();
  }
}

}  // namespace
}  // namespace foundry::test
