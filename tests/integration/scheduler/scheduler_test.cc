// The real scheduler binary (SCHEDULER_BINARY) with a real nats-server and two fake cells
// (evhttp servers in the test answering /state, /work and stop): placement across cells,
// claim/start -> router.register, crash -> immediate re-auction, scale-down and DELETE ->
// router.unregister before the cell's stop, and 409 for instances the scheduler does not want.
// Every call is signed (--secrets): the fake cells answer unsigned calls 401, so placement
// working proves the scheduler signs; unsigned or badly signed calls to the scheduler get 401.
#include <event2/buffer.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <gtest/gtest.h>
#include <nats/nats.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <mutex>
#include <set>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "common/net/http_client.h"
#include "scheduler/model/lrp.h"
#include "tests/test_common/event_loop_thread.h"
#include "tests/test_common/internal_auth.h"
#include "tests/test_common/nats_server.h"
#include "tests/test_common/ports.h"

namespace foundry::test {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

// Polls `done` every 20 ms for up to `limit`.
bool eventually(const std::function<bool()>& done, std::chrono::milliseconds limit = 5000ms) {
  auto deadline = Clock::now() + limit;
  while (Clock::now() < deadline) {
    if (done()) return true;
    std::this_thread::sleep_for(20ms);
  }
  return done();
}

// A cell as the scheduler sees it: /state from the instances it was given, /work accepted,
// stop calls recorded (with their arrival time).
class FakeCell {
 public:
  FakeCell(EventLoopThread& loop, const TestSecrets& secrets, std::string id, std::string zone)
      : loop_(loop), secrets_(secrets), id_(std::move(id)), zone_(std::move(zone)) {
    loop_.run([this] {
      http_ = evhttp_new(loop_.base());
      evhttp_set_allowed_methods(http_, EVHTTP_REQ_GET | EVHTTP_REQ_POST | EVHTTP_REQ_PUT);
      evhttp_set_gencb(http_, onRequest, this);
      auto* handle = evhttp_bind_socket_with_handle(http_, "127.0.0.1", 0);
      sockaddr_in addr{};
      socklen_t len = sizeof addr;
      getsockname(evhttp_bound_socket_get_fd(handle), reinterpret_cast<sockaddr*>(&addr), &len);
      port_ = ntohs(addr.sin_port);
    });
  }
  ~FakeCell() {
    loop_.run([this] { evhttp_free(http_); });
  }

  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  const std::string& id() const { return id_; }
  sched::CellPresence presence() const { return {id_, url(), zone_, {}, {}, {4096, 8192, 100}}; }
  std::vector<sched::LrpStart> work() {
    std::lock_guard lock(mu_);
    return work_;
  }
  std::vector<std::pair<std::string, Clock::time_point>> stops() {
    std::lock_guard lock(mu_);
    return stops_;
  }
  // Calls refused for a missing or bad signature, and the callers of the accepted ones.
  int unauthorized() {
    std::lock_guard lock(mu_);
    return unauthorized_;
  }
  std::set<std::string> callers() {
    std::lock_guard lock(mu_);
    return callers_;
  }
  void forget(const std::string& instance_guid) {
    std::lock_guard lock(mu_);
    std::erase_if(lrps_, [&](const sched::CellLrp& l) { return l.instance_guid == instance_guid; });
  }

 private:
  static void onRequest(evhttp_request* req, void* arg) {
    static_cast<FakeCell*>(arg)->handle(req);
  }

  void handle(evhttp_request* req) {
    std::string path = evhttp_uri_get_path(evhttp_request_get_evhttp_uri(req));
    evbuffer* in = evhttp_request_get_input_buffer(req);
    std::string body(evbuffer_get_length(in), '\0');
    if (!body.empty()) evbuffer_copyout(in, body.data(), body.size());
    int status = 200;
    json answer = json::object();
    std::string why, caller;
    bool signed_ok = secrets_.verify(req, &why, &caller);
    {
      std::lock_guard lock(mu_);
      if (signed_ok) callers_.insert(caller);
      if (!signed_ok) {
        ++unauthorized_;
        status = 401;
        answer = {{"error", "unauthorized: " + why}};
      } else if (path == "/state") {
        sched::CellState state;
        state.cell_id = id_;
        state.zone = zone_;
        state.total = {4096, 8192, 100};
        state.available = state.total;
        for (const auto& l : lrps_) {
          state.available.memory_mb -= l.memory_mb;
          state.available.disk_mb -= l.disk_mb;
          state.available.containers -= 1;
        }
        state.lrps = lrps_;
        answer = state;
      } else if (path == "/work") {
        auto w = json::parse(body).get<sched::Work>();
        for (const auto& s : w.lrps) {
          work_.push_back(s);
          lrps_.push_back({s.desired.process_guid, s.index, s.instance_guid,
                           sched::LrpState::kClaimed, s.desired.memory_mb, s.desired.disk_mb, "",
                           0});
        }
        answer = sched::WorkResult{};
      } else if (path.ends_with("/stop")) {
        // /v1/lrps/{pg}/instances/{ig}/stop
        std::string rest = path.substr(0, path.size() - 5);
        std::string ig = rest.substr(rest.rfind('/') + 1);
        stops_.emplace_back(ig, Clock::now());
        std::erase_if(lrps_, [&](const sched::CellLrp& l) { return l.instance_guid == ig; });
        status = 202;
      } else {
        status = 404;
      }
    }
    evbuffer* out = evbuffer_new();
    std::string text = answer.dump();
    evbuffer_add(out, text.data(), text.size());
    evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type", "application/json");
    evhttp_send_reply(req, status, nullptr, out);
    evbuffer_free(out);
  }

  EventLoopThread& loop_;
  const TestSecrets& secrets_;
  std::string id_, zone_;
  evhttp* http_ = nullptr;
  uint16_t port_ = 0;
  std::mutex mu_;
  std::vector<sched::LrpStart> work_;
  std::vector<sched::CellLrp> lrps_;
  std::vector<std::pair<std::string, Clock::time_point>> stops_;
  int unauthorized_ = 0;
  std::set<std::string> callers_;
};

// Everything published on router.register / router.unregister, with arrival times.
class RouterSpy {
 public:
  explicit RouterSpy(const std::string& url) {
    if (natsConnection_ConnectTo(&conn_, url.c_str()) != NATS_OK) return;
    natsConnection_Subscribe(&reg_, conn_, "router.register", onMsg, this);
    natsConnection_Subscribe(&unreg_, conn_, "router.unregister", onMsg, this);
    natsConnection_Subscribe(&greet_, conn_, "router.greet", onGreet, this);
    natsConnection_Flush(conn_);
  }
  ~RouterSpy() {
    if (reg_) natsSubscription_Destroy(reg_);
    if (unreg_) natsSubscription_Destroy(unreg_);
    if (greet_) natsSubscription_Destroy(greet_);
    if (conn_) natsConnection_Destroy(conn_);
  }
  bool ok() const { return conn_ != nullptr; }
  // Answer router.greet like a router with this register interval (0: stay silent).
  void answerGreets(int interval_s) { greet_interval_s_ = interval_s; }
  int greets() const { return greets_; }
  void publish(const std::string& subject, const json& body) {
    natsConnection_PublishString(conn_, subject.c_str(), body.dump().c_str());
    natsConnection_Flush(conn_);
  }
  struct Message {
    std::string subject;
    json body;
    Clock::time_point at;
  };
  std::vector<Message> messages(const std::string& subject) {
    std::lock_guard lock(mu_);
    std::vector<Message> out;
    for (const auto& m : messages_) {
      if (m.subject == subject) out.push_back(m);
    }
    return out;
  }

 private:
  static void onMsg(natsConnection*, natsSubscription*, natsMsg* msg, void* self) {
    auto* spy = static_cast<RouterSpy*>(self);
    std::string data(natsMsg_GetData(msg), natsMsg_GetDataLength(msg));
    std::string subject = natsMsg_GetSubject(msg);
    natsMsg_Destroy(msg);
    std::lock_guard lock(spy->mu_);
    spy->messages_.push_back({subject, json::parse(data, nullptr, false), Clock::now()});
  }
  static void onGreet(natsConnection* nc, natsSubscription*, natsMsg* msg, void* self) {
    auto* spy = static_cast<RouterSpy*>(self);
    ++spy->greets_;
    const char* reply = natsMsg_GetReply(msg);
    int interval = spy->greet_interval_s_;
    if (reply && interval > 0) {
      json answer = {{"id", "spy"},
                     {"hosts", {"127.0.0.1"}},
                     {"minimumRegisterIntervalInSeconds", interval},
                     {"pruneThresholdInSeconds", 120}};
      natsConnection_PublishString(nc, reply, answer.dump().c_str());
    }
    natsMsg_Destroy(msg);
  }
  natsConnection* conn_ = nullptr;
  natsSubscription* greet_ = nullptr;
  std::atomic<int> greet_interval_s_{0};
  std::atomic<int> greets_{0};
  natsSubscription* reg_ = nullptr;
  natsSubscription* unreg_ = nullptr;
  std::mutex mu_;
  std::vector<Message> messages_;
};

class SchedulerProcess {
 public:
  SchedulerProcess(std::string nats_url, std::string secrets_dir)
      : nats_url_(std::move(nats_url)), secrets_dir_(std::move(secrets_dir)) {
    log_path_ = "/tmp/scheduler-it-" + std::to_string(getpid()) + ".log";
  }
  ~SchedulerProcess() {
    stop();
    if (::testing::Test::HasFailure()) {
      std::ifstream in(log_path_);
      std::stringstream text;
      text << in.rdbuf();
      std::cerr << "scheduler log:\n" << text.str().substr(0, 6000) << "\n";
    }
    std::filesystem::remove(log_path_);
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }

  bool start() {
    for (int attempt = 0; attempt < 3; ++attempt) {
      port_ = freeTcpPort();
      pid_ = fork();
      if (pid_ == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        FILE* log = fopen(log_path_.c_str(), "a");
        if (log) dup2(fileno(log), 2);
        std::string listen = "127.0.0.1:" + std::to_string(port_);
        execl(SCHEDULER_BINARY, SCHEDULER_BINARY, "--listen", listen.c_str(), "--nats",
              nats_url_.c_str(), "--convergence-interval", "1", "--unregister-grace-ms", "300",
              "--secrets", secrets_dir_.c_str(), "--log-level", "debug", nullptr);
        _exit(127);
      }
      if (eventually([&] { return net::getJson(url() + "/ping", 500).status == 200; }, 5000ms)) {
        return true;
      }
      stop();
    }
    return false;
  }
  int stop() {
    if (pid_ <= 0) return -1;
    kill(pid_, SIGTERM);
    int status = 0;
    for (int i = 0; i < 250 && waitpid(pid_, &status, WNOHANG) == 0; ++i) {
      std::this_thread::sleep_for(20ms);
      if (i == 249) {
        kill(pid_, SIGKILL);
        waitpid(pid_, &status, 0);
      }
    }
    pid_ = -1;
    return status;
  }

  std::string log() const {
    std::ifstream in(log_path_);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
  }

 private:
  std::string nats_url_, secrets_dir_, log_path_;
  uint16_t port_ = 0;
  pid_t pid_ = -1;
};

json desired(const std::string& guid, int instances) {
  sched::DesiredLrp d;
  d.process_guid = guid;
  d.app_guid = "app-1";
  d.app_name = "demo";
  d.space_name = "dev";
  d.organization_name = "org";
  d.instances = instances;
  d.memory_mb = 256;
  d.disk_mb = 512;
  d.droplet_url = "http://127.0.0.1:9/droplet";
  d.routes = {{"demo.apps.internal", "", "route-1", 8080}};
  return d;
}

json report(const sched::LrpStart& s, const std::string& cell_id, int port = 0) {
  sched::InstanceReport r{
      s.desired.process_guid, s.index, s.instance_guid, cell_id, port ? "127.0.0.1" : "", port, ""};
  return r;
}

class SchedulerIntegration : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(nats.start()) << nats.lastError();
    spy = std::make_unique<RouterSpy>(nats.url());
    ASSERT_TRUE(spy->ok());
    scheduler = std::make_unique<SchedulerProcess>(nats.url(), secrets.dir());
    ASSERT_TRUE(scheduler->start());
    cell_a = std::make_unique<FakeCell>(loop, secrets, "cell-a", "z1");
    cell_b = std::make_unique<FakeCell>(loop, secrets, "cell-b", "z1");
    for (auto* cell : {cell_a.get(), cell_b.get()}) {
      auto r = send("PUT", scheduler->url() + "/v1/cells/" + cell->id(),
                             json(cell->presence()).dump());
      ASSERT_EQ(r.status, 200) << r.body;
    }
  }
  void TearDown() override {
    // Whatever the scheduler sent the cells was signed, as the scheduler.
    for (auto* cell : {cell_a.get(), cell_b.get()}) {
      if (!cell) continue;
      EXPECT_EQ(cell->unauthorized(), 0) << cell->id();
      for (const auto& caller : cell->callers()) EXPECT_EQ(caller, "scheduler");
    }
    scheduler.reset();  // stop it before the fake cells go away
    cell_a.reset();
    cell_b.reset();
  }

  // Calls signed as the controller / a cell would sign them.
  net::HttpResponse send(const std::string& method, const std::string& url,
                         const std::string& body) {
    return net::sendJson(method, url, body, 10000, secrets.signer("controller"));
  }
  net::HttpResponse get(const std::string& url) {
    return net::getJson(url, 10000, secrets.signer("controller"));
  }
  net::HttpResponse post(const std::string& path, const json& body) {
    return net::sendJson("POST", scheduler->url() + path, body.dump(), 10000,
                         secrets.signer("cell:test"));
  }

  TestSecrets secrets;
  NatsServer nats;
  EventLoopThread loop;
  std::unique_ptr<RouterSpy> spy;
  std::unique_ptr<SchedulerProcess> scheduler;
  std::unique_ptr<FakeCell> cell_a, cell_b;
};

TEST_F(SchedulerIntegration, PlacesRoutesRestartsAndRetires) {
  auto r =
      send("PUT", scheduler->url() + "/v1/desired_lrps/web-1", desired("web-1", 2).dump());
  ASSERT_EQ(r.status, 201) << r.body;

  // Anti-affinity: one instance on each cell.
  ASSERT_TRUE(eventually([&] { return cell_a->work().size() == 1 && cell_b->work().size() == 1; }))
      << cell_a->work().size() << " / " << cell_b->work().size();
  auto on_a = cell_a->work()[0], on_b = cell_b->work()[0];
  EXPECT_NE(on_a.index, on_b.index);
  EXPECT_EQ(on_a.desired.process_guid, "web-1");

  // A cell claiming an instance the scheduler never gave out is told to stop it.
  auto stranger = on_a;
  stranger.instance_guid = "00000000-0000-4000-8000-000000000000";
  EXPECT_EQ(post("/v1/actual_lrps/claim", report(stranger, "cell-a")).status, 409);

  // claim + start -> RUNNING and router.register with gorouter's fields.
  ASSERT_EQ(post("/v1/actual_lrps/claim", report(on_a, "cell-a")).status, 200);
  ASSERT_EQ(post("/v1/actual_lrps/start", report(on_a, "cell-a", 61001)).status, 200);
  ASSERT_TRUE(eventually([&] { return !spy->messages("router.register").empty(); }));
  json reg = spy->messages("router.register")[0].body;
  EXPECT_EQ(reg["host"], "127.0.0.1");
  EXPECT_EQ(reg["port"], 61001);
  EXPECT_EQ(reg["uris"], json::array({"demo.apps.internal"}));
  EXPECT_EQ(reg["app"], "app-1");
  EXPECT_EQ(reg["private_instance_id"], on_a.instance_guid);
  EXPECT_EQ(reg["private_instance_index"], std::to_string(on_a.index));
  EXPECT_EQ(reg["server_cert_domain_san"], on_a.instance_guid);
  EXPECT_EQ(reg["availability_zone"], "z1");
  EXPECT_EQ(reg["tags"]["component"], "route-emitter");
  EXPECT_EQ(reg["tags"]["app_name"], "demo");
  EXPECT_EQ(reg["tags"]["space_name"], "dev");
  EXPECT_EQ(reg["tags"]["organization_name"], "org");
  EXPECT_TRUE(reg["endpoint_updated_at_ns"].is_number_integer());

  r = get(scheduler->url() + "/v1/actual_lrps?process_guid=web-1");
  ASSERT_EQ(r.status, 200);
  auto actuals = json::parse(r.body)["actual_lrps"];
  ASSERT_EQ(actuals.size(), 2u);
  EXPECT_EQ(actuals[on_a.index]["state"], "RUNNING");
  EXPECT_EQ(actuals[on_a.index]["port"], 61001);

  // The instance on cell b crashes while starting: crash_count 1 -> a new auction at once.
  ASSERT_EQ(post("/v1/actual_lrps/claim", report(on_b, "cell-b")).status, 200);
  cell_b->forget(on_b.instance_guid);
  auto crash = report(on_b, "cell-b");
  crash["crash_reason"] = "Exit status 1";
  ASSERT_EQ(post("/v1/actual_lrps/crash", crash).status, 200);
  ASSERT_TRUE(
      eventually([&] { return cell_a->work().size() + cell_b->work().size() == 3; }, 3000ms));
  sched::LrpStart again = cell_b->work().size() == 2 ? cell_b->work()[1] : cell_a->work()[1];
  EXPECT_EQ(again.index, on_b.index);
  EXPECT_NE(again.instance_guid, on_b.instance_guid);
  r = get(scheduler->url() + "/v1/actual_lrps?process_guid=web-1");
  EXPECT_EQ(json::parse(r.body)["actual_lrps"][on_b.index]["crash_count"], 1);
  // The old attempt is not wanted any more.
  EXPECT_EQ(post("/v1/actual_lrps/start", report(on_b, "cell-b", 61002)).status, 409);

  // DELETE: router.unregister first, then (after the grace) the stop call on cell a.
  r = send("DELETE", scheduler->url() + "/v1/desired_lrps/web-1", "");
  EXPECT_EQ(r.status, 204);
  ASSERT_TRUE(eventually([&] { return !cell_a->stops().empty(); }));
  auto unregs = spy->messages("router.unregister");
  ASSERT_EQ(unregs.size(), 1u);
  EXPECT_EQ(unregs[0].body["private_instance_id"], on_a.instance_guid);
  EXPECT_EQ(unregs[0].body["port"], 61001);
  EXPECT_EQ(cell_a->stops()[0].first, on_a.instance_guid);
  EXPECT_GE(cell_a->stops()[0].second - unregs[0].at, 250ms);
  r = get(scheduler->url() + "/v1/actual_lrps?process_guid=web-1");
  EXPECT_EQ(json::parse(r.body)["actual_lrps"].size(), 0u);
  EXPECT_EQ(post("/v1/actual_lrps/remove", report(on_a, "cell-a")).status, 200);
}

TEST_F(SchedulerIntegration, ScaleDownStopsAtOnceAndErrorsAreJson) {
  ASSERT_EQ(
      send("PUT", scheduler->url() + "/v1/desired_lrps/api-1", desired("api-1", 2).dump())
          .status,
      201);
  ASSERT_TRUE(eventually([&] { return cell_a->work().size() + cell_b->work().size() == 2; }));
  std::vector<std::pair<sched::LrpStart, std::string>> placed;
  for (auto& s : cell_a->work()) placed.emplace_back(s, "cell-a");
  for (auto& s : cell_b->work()) placed.emplace_back(s, "cell-b");
  for (auto& [s, cell] : placed) {
    ASSERT_EQ(post("/v1/actual_lrps/claim", report(s, cell)).status, 200);
    ASSERT_EQ(post("/v1/actual_lrps/start", report(s, cell, 61010 + s.index)).status, 200);
  }
  auto r =
      send("PUT", scheduler->url() + "/v1/desired_lrps/api-1", desired("api-1", 1).dump());
  ASSERT_EQ(r.status, 200) << r.body;
  ASSERT_TRUE(eventually([&] { return cell_a->stops().size() + cell_b->stops().size() == 1; }));
  auto& [gone, gone_cell] = placed[0].first.index == 1 ? placed[0] : placed[1];
  auto& stops = gone_cell == "cell-a" ? *cell_a : *cell_b;
  EXPECT_EQ(stops.stops()[0].first, gone.instance_guid);
  auto unregs = spy->messages("router.unregister");
  ASSERT_EQ(unregs.size(), 1u);
  EXPECT_EQ(unregs[0].body["private_instance_index"], "1");

  // Errors: immutable field, bad JSON, unknown path.
  json changed = desired("api-1", 1);
  changed["memory_mb"] = 512;
  r = send("PUT", scheduler->url() + "/v1/desired_lrps/api-1", changed.dump());
  EXPECT_EQ(r.status, 422);
  EXPECT_NE(json::parse(r.body)["error"].get<std::string>().find("memory_mb"), std::string::npos);
  r = send("PUT", scheduler->url() + "/v1/desired_lrps/api-1", "{not json");
  EXPECT_EQ(r.status, 400);
  EXPECT_TRUE(json::parse(r.body).contains("error"));
  EXPECT_EQ(get(scheduler->url() + "/v1/nothing").status, 404);
  r = get(scheduler->url() + "/v1/desired_lrps?app_guid=app-1");
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(json::parse(r.body)["desired_lrps"][0]["instances"], 1);
}

TEST_F(SchedulerIntegration, UnsignedOrBadlySignedCallsAreRefusedAndScheduleNothing) {
  const std::string url = scheduler->url() + "/v1/desired_lrps/evil-1";
  json evil = desired("evil-1", 2);
  evil["start_command"] = "touch /tmp/pwned";

  // No token.
  auto r = net::sendJson("PUT", url, evil.dump());
  EXPECT_EQ(r.status, 401) << r.body;
  EXPECT_NE(json::parse(r.body, nullptr, false).value("error", "").find("unauthorized"),
            std::string::npos)
      << r.body;
  EXPECT_EQ(r.header("www-authenticate"), "FoundryInternal");
  // Signed with another key.
  auth::InternalCredentials stranger{auth::Secret(std::string(32, 'x'))};
  r = net::sendJson("PUT", url, evil.dump(), 10000, stranger.signer("controller"));
  EXPECT_EQ(r.status, 401) << r.body;
  // A valid token, but made for another request (a read), replayed on the PUT.
  std::string read_token =
      secrets.credentials().sign("controller", "GET", "/v1/desired_lrps/evil-1");
  net::HttpRequest replay;
  replay.method = "PUT";
  replay.url = url;
  replay.body = evil.dump();
  replay.headers = {{"Content-Type", "application/json"}, {"Authorization", read_token}};
  EXPECT_EQ(net::perform(replay).status, 401);
  // A token from 10 minutes ago.
  replay.headers[1].second =
      secrets.credentials().sign("controller", "PUT", "/v1/desired_lrps/evil-1",
                                 auth::InternalCredentials::nowSeconds() - 600);
  EXPECT_EQ(net::perform(replay).status, 401);
  // A made-up signature.
  replay.headers[1].second = "FoundryInternal caller=controller,ts=1,sig=AAAA";
  EXPECT_EQ(net::perform(replay).status, 401);
  // Reads, syncs and cell reports are refused the same way; /ping stays open.
  EXPECT_EQ(net::getJson(scheduler->url() + "/v1/desired_lrps").status, 401);
  EXPECT_EQ(net::sendJson("PUT", scheduler->url() + "/v1/sync",
                          json{{"desired_lrps", json::array({evil})}}.dump())
                .status,
            401);
  EXPECT_EQ(net::sendJson("PUT", scheduler->url() + "/v1/cells/cell-evil",
                          json(cell_a->presence()).dump())
                .status,
            401);
  EXPECT_EQ(net::getJson(scheduler->url() + "/ping").status, 200);

  // Nothing was desired, nothing reaches a cell through several convergence passes.
  std::this_thread::sleep_for(2500ms);
  EXPECT_TRUE(cell_a->work().empty());
  EXPECT_TRUE(cell_b->work().empty());
  r = get(scheduler->url() + "/v1/desired_lrps");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_TRUE(json::parse(r.body)["desired_lrps"].empty()) << r.body;
  // Refusals are logged without the token.
  std::string log = scheduler->log();
  EXPECT_NE(log.find("unauthorized"), std::string::npos);
  EXPECT_EQ(log.find(read_token.substr(read_token.find("sig="))), std::string::npos);
}

TEST_F(SchedulerIntegration, GreetAnswerAndRouterStartDriveReRegistration) {
  // SetUp's scheduler greeted nobody (the spy was silent); this one is answered: 1 s interval.
  scheduler.reset();
  spy->answerGreets(1);
  scheduler = std::make_unique<SchedulerProcess>(nats.url(), secrets.dir());
  ASSERT_TRUE(scheduler->start());
  ASSERT_TRUE(eventually([&] { return spy->greets() > 0; }));
  ASSERT_EQ(
      send("PUT", scheduler->url() + "/v1/cells/cell-a", json(cell_a->presence()).dump())
          .status,
      200);
  ASSERT_EQ(send("PUT", scheduler->url() + "/v1/desired_lrps/tick-1",
                          desired("tick-1", 1).dump())
                .status,
            201);
  ASSERT_TRUE(eventually([&] { return cell_a->work().size() == 1; }));
  auto s = cell_a->work()[0];
  ASSERT_EQ(post("/v1/actual_lrps/claim", report(s, "cell-a")).status, 200);
  ASSERT_EQ(post("/v1/actual_lrps/start", report(s, "cell-a", 61020)).status, 200);
  // Registered at once, then again on every 1 s tick.
  ASSERT_TRUE(eventually([&] { return spy->messages("router.register").size() >= 3; }, 4000ms))
      << spy->messages("router.register").size();
  for (const auto& m : spy->messages("router.register")) {
    EXPECT_EQ(m.body["private_instance_id"], s.instance_guid);
  }

  // A router.start with a 3 s interval: re-emitted within the 20 % jitter (0.6 s), then quiet
  // until the next 3 s tick.
  spy->publish("router.start", {{"id", "r2"}, {"minimumRegisterIntervalInSeconds", 3}});
  auto mark = Clock::now();
  size_t before = spy->messages("router.register").size();
  ASSERT_TRUE(eventually([&] { return spy->messages("router.register").size() > before; }, 1500ms));
  std::this_thread::sleep_until(mark + 1200ms);
  size_t after_start = spy->messages("router.register").size();
  std::this_thread::sleep_until(mark + 2200ms);
  EXPECT_EQ(spy->messages("router.register").size(), after_start);
}

}  // namespace
}  // namespace foundry::test
