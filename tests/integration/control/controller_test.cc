// The real controller binary (CONTROLLER_BINARY) on a free loopback port with a temp data dir,
// driven over HTTP: the push-and-route slice of the V3 API end to end, errors and pagination
// on the wire, and the data surviving a clean restart and a SIGKILL.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "control/api/api.h"
#include "control/store/sqlite_store.h"
#include "tests/test_common/controller_login.h"
#include "tests/test_common/http_client.h"
#include "tests/test_common/ports.h"

namespace foundry::test {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using namespace std::chrono_literals;

// Runs `controller --listen 127.0.0.1:<free port> --data-dir <dir>/data --domain apps.internal`
// with its log in <dir>/controller.log. Killed with the test process (PR_SET_PDEATHSIG).
class ControllerProcess {
 public:
  ControllerProcess() {
    char tmpl[] = "/tmp/control-it-XXXXXX";
    if (mkdtemp(tmpl)) dir_ = tmpl;
  }
  ~ControllerProcess() {
    stop(SIGKILL);
    if (::testing::Test::HasFailure()) {
      std::cerr << "controller folder kept: " << dir_ << "\n" << logs().substr(0, 4000) << "\n";
    } else {
      fs::remove_all(dir_);
    }
  }

  std::string dataDir() const { return dir_ + "/data"; }
  uint16_t port() const { return port_; }

  // Starts on a fresh free port (the same port after a restart when `keep_port`), waits until
  // GET / answers 200. Retries a few times in case another process took the port.
  bool start(bool keep_port = false) {
    for (int attempt = 0; attempt < 5; ++attempt) {
      if (!keep_port || port_ == 0) port_ = freeTcpPort();
      // --scheduler "": no scheduler hand-off here (tests/integration/control/scheduling_*).
      std::vector<std::string> args = {"--listen", "127.0.0.1:" + std::to_string(port_),
                                       "--data-dir", dataDir(), "--domain", "apps.internal",
                                       "--scheduler", ""};
      for (auto& a : adminPasswordFlags(dir_)) args.push_back(a);
      if (spawn(args) &&
          waitReady()) {
        return true;
      }
      stop(SIGKILL);
      keep_port = false;
    }
    return false;
  }

  // Spawns with the given args; returns false if fork/exec failed.
  bool spawn(const std::vector<std::string>& args) {
    pid_ = fork();
    if (pid_ < 0) return false;
    if (pid_ == 0) {
      prctl(PR_SET_PDEATHSIG, SIGKILL);
      FILE* log = fopen((dir_ + "/controller.log").c_str(), "a");
      if (log) {
        dup2(fileno(log), 1);
        dup2(fileno(log), 2);
      }
      std::vector<char*> argv;
      argv.push_back(const_cast<char*>(CONTROLLER_BINARY));
      for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
      argv.push_back(nullptr);
      execv(CONTROLLER_BINARY, argv.data());
      _exit(127);
    }
    return true;
  }

  // Waits for the process to exit (up to `timeout`); its exit code, or -1 on timeout/signal.
  int waitExit(std::chrono::milliseconds timeout = 5s) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (pid_ > 0 && std::chrono::steady_clock::now() < deadline) {
      int status = 0;
      pid_t r = waitpid(pid_, &status, WNOHANG);
      if (r == pid_) {
        pid_ = -1;
        return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
      }
      std::this_thread::sleep_for(10ms);
    }
    return -1;
  }

  // Sends `sig` and reaps the process (SIGKILL after 5 s if it does not exit).
  int stop(int sig = SIGTERM) {
    if (pid_ <= 0) return -1;
    kill(pid_, sig);
    int code = waitExit(5s);
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
      pid_ = -1;
    }
    return code;
  }

  std::string logs() const {
    std::ifstream in(dir_ + "/controller.log");
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }

 private:
  bool waitReady() {
    auto deadline = std::chrono::steady_clock::now() + 10s;
    while (std::chrono::steady_clock::now() < deadline) {
      int status = 0;
      if (waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        return false;
      }
      auto r = httpGet(port_, "127.0.0.1", "/", {}, 500ms);
      if (r && r->status == 200) return true;
      std::this_thread::sleep_for(20ms);
    }
    return false;
  }

  std::string dir_;
  uint16_t port_ = 0;
  pid_t pid_ = -1;
};

struct Reply {
  int status = 0;
  json body;  // null when there was no body
  HttpResponse raw;
};

class ControllerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(controller_.start()) << controller_.logs();
    bearer_ = loginBearer("http://127.0.0.1:" + std::to_string(controller_.port()));
    ASSERT_FALSE(bearer_.empty()) << controller_.logs();
    space_ = get("/v3/spaces").body["resources"][0]["guid"];
    domain_ = get("/v3/domains?names=apps.internal").body["resources"][0]["guid"];
  }

  Reply call(const std::string& method, const std::string& target, const std::string& body = "") {
    HttpClient client(controller_.port());
    std::string raw = method + " " + target + " HTTP/1.1\r\nHost: 127.0.0.1:" +
                      std::to_string(controller_.port()) +
                      "\r\nAuthorization: " + bearer_ + "\r\nConnection: close\r\n";
    if (!body.empty() || method == "POST" || method == "PATCH") {
      raw += "Content-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) +
             "\r\n";
    }
    raw += "\r\n" + body;
    auto r = client.request(raw);
    Reply out;
    if (!r) {
      ADD_FAILURE() << method << " " << target << ": " << client.lastError();
      return out;
    }
    out.status = r->status;
    out.raw = *r;
    if (!r->body.empty()) {
      out.body = json::parse(r->body, nullptr, false);
      EXPECT_FALSE(out.body.is_discarded()) << r->body;
      EXPECT_EQ(r->header("Content-Type").value_or(""), "application/json; charset=utf-8");
    }
    return out;
  }
  Reply get(const std::string& target) { return call("GET", target); }
  Reply post(const std::string& target, const json& body) {
    return call("POST", target, body.dump());
  }

  std::string createApp(const std::string& name) {
    auto r = post("/v3/apps", {{"name", name},
                               {"relationships", {{"space", {{"data", {{"guid", space_}}}}}}}});
    EXPECT_EQ(r.status, 201) << r.body;
    return r.body.value("guid", "");
  }
  // Start needs a current droplet; staging is not what these tests cover, so the droplet
  // record is written straight into the running controller's database (WAL allows it).
  void giveDroplet(const std::string& app) {
    control::SqliteStore store(controller_.dataDir() + "/controller.db");
    control::Droplet d;
    d.guid = control::newGuid();
    d.app_guid = app;
    d.package_guid = control::newGuid();
    d.build_guid = control::newGuid();
    d.sha256 = std::string(64, '0');
    d.created_at = d.updated_at = control::nowIso8601();
    ASSERT_EQ(store.createDroplet(d), control::WriteResult::Ok);
    ASSERT_EQ(store.setCurrentDroplet(app, d.guid, d.created_at), control::WriteResult::Ok);
  }
  std::string createRoute(const std::string& host) {
    auto r = post("/v3/routes", {{"host", host},
                                 {"relationships",
                                  {{"space", {{"data", {{"guid", space_}}}}},
                                   {"domain", {{"data", {{"guid", domain_}}}}}}}});
    EXPECT_EQ(r.status, 201) << r.body;
    return r.body.value("guid", "");
  }
  // Polls the job at `location` until COMPLETE or FAILED (5 s at most); its final state.
  std::string waitJob(const std::string& location) {
    const std::string prefix = "http://127.0.0.1:" + std::to_string(controller_.port());
    EXPECT_EQ(location.rfind(prefix + "/v3/jobs/", 0), 0u) << location;
    const std::string path = location.substr(prefix.size());
    auto deadline = std::chrono::steady_clock::now() + 5s;
    std::string state;
    while (std::chrono::steady_clock::now() < deadline) {
      auto r = get(path);
      EXPECT_EQ(r.status, 200);
      state = r.body.value("state", "");
      if (state == "COMPLETE" || state == "FAILED") break;
      std::this_thread::sleep_for(10ms);
    }
    return state;
  }

  ControllerProcess controller_;
  std::string space_, domain_, bearer_;
};

TEST_F(ControllerTest, RootAdvertisesV3) {
  auto r = get("/");
  ASSERT_EQ(r.status, 200);
  const std::string base = "http://127.0.0.1:" + std::to_string(controller_.port());
  EXPECT_EQ(r.body["links"]["cloud_controller_v3"]["href"], base + "/v3");
  EXPECT_EQ(r.body["links"]["cloud_controller_v3"]["meta"]["version"], "3.100.0");
  EXPECT_EQ(get("/v3").body["links"]["apps"]["href"], base + "/v3/apps");
  EXPECT_EQ(get("/v3/organizations").body["pagination"]["total_results"], 1);
}

TEST_F(ControllerTest, PushAndRouteFlow) {
  // The calls cf push + cf map-route make for this slice (no bits/staging yet).
  const std::string app = createApp("demo");
  auto found = get("/v3/apps?names=demo&space_guids=" + space_);
  ASSERT_EQ(found.status, 200);
  ASSERT_EQ(found.body["resources"].size(), 1u);
  EXPECT_EQ(found.body["resources"][0]["guid"], app);

  auto procs = get("/v3/apps/" + app + "/processes");
  ASSERT_EQ(procs.body["resources"].size(), 1u);
  const std::string web = procs.body["resources"][0]["guid"];
  auto scaled = post("/v3/processes/" + web + "/actions/scale",
                     {{"instances", 2}, {"memory_in_mb", 128}});
  EXPECT_EQ(scaled.status, 202) << scaled.body;
  EXPECT_EQ(scaled.body["instances"], 2);
  auto hc = call("PATCH", "/v3/processes/" + web,
                 R"({"health_check":{"type":"http","data":{"endpoint":"/healthz"}}})");
  EXPECT_EQ(hc.status, 200) << hc.body;
  EXPECT_EQ(hc.body["health_check"]["data"]["endpoint"], "/healthz");

  auto routes = get("/v3/routes?domain_guids=" + domain_ + "&hosts=demo&paths=");
  ASSERT_EQ(routes.body["pagination"]["total_results"], 0);
  const std::string route = createRoute("demo");
  auto mapped = get("/v3/routes/" + route + "/destinations?app_guids=" + app);
  EXPECT_TRUE(mapped.body["destinations"].empty());
  auto added = post("/v3/routes/" + route + "/destinations",
                    {{"destinations", {{{"app", {{"guid", app}}}}}}});
  ASSERT_EQ(added.status, 200) << added.body;
  EXPECT_EQ(get("/v3/routes/" + route).body["url"], "demo.apps.internal");

  giveDroplet(app);
  auto started = post("/v3/apps/" + app + "/actions/restart", json::object());
  EXPECT_EQ(started.status, 200);
  EXPECT_EQ(started.body["state"], "STARTED");

  // Unmap, then delete route and app through their jobs.
  const std::string dest = added.body["destinations"][0]["guid"];
  auto unmapped = call("DELETE", "/v3/routes/" + route + "/destinations/" + dest);
  EXPECT_EQ(unmapped.status, 204);
  EXPECT_TRUE(unmapped.raw.body.empty());
  auto del_route = call("DELETE", "/v3/routes/" + route);
  ASSERT_EQ(del_route.status, 202);
  EXPECT_EQ(del_route.raw.header("Content-Type").value_or(""), "application/json; charset=utf-8");
  EXPECT_EQ(waitJob(del_route.raw.header("Location").value_or("")), "COMPLETE");
  auto del_app = call("DELETE", "/v3/apps/" + app);
  ASSERT_EQ(del_app.status, 202);
  EXPECT_EQ(waitJob(del_app.raw.header("Location").value_or("")), "COMPLETE");
  EXPECT_EQ(get("/v3/apps/" + app).status, 404);
  EXPECT_EQ(get("/v3/processes/" + web).status, 404);
  EXPECT_EQ(get("/v3/routes/" + route).status, 404);
}

TEST_F(ControllerTest, ErrorsOnTheWire) {
  auto nf = get("/v3/apps/00000000-0000-4000-8000-000000000000");
  EXPECT_EQ(nf.status, 404);
  EXPECT_EQ(nf.body["errors"][0]["title"], "CF-ResourceNotFound");
  EXPECT_EQ(nf.body["errors"][0]["code"], 10010);
  auto unknown = get("/v2/info");
  EXPECT_EQ(unknown.status, 404);
  EXPECT_EQ(unknown.body["errors"][0]["detail"], "Unknown request");
  auto bad_json = call("POST", "/v3/apps", "{\"name\":");
  EXPECT_EQ(bad_json.status, 400);
  EXPECT_EQ(bad_json.body["errors"][0]["title"], "CF-MessageParseError");
  auto missing = post("/v3/apps", {{"name", "x"}});
  EXPECT_EQ(missing.status, 422);
  EXPECT_EQ(missing.body["errors"][0]["title"], "CF-UnprocessableEntity");
  // A detail echoing a query key that is not UTF-8 still goes out (as U+FFFD).
  auto not_utf8 = get("/v3/apps?%FF%FE=1");
  EXPECT_EQ(not_utf8.status, 400);
  EXPECT_EQ(not_utf8.body["errors"][0]["title"], "CF-BadQueryParameter");
  EXPECT_EQ(get("/").status, 200);  // still up
  auto bad_page = get("/v3/apps?per_page=9999");
  EXPECT_EQ(bad_page.status, 400);
  EXPECT_EQ(bad_page.body["errors"][0]["title"], "CF-BadQueryParameter");
  createApp("twin");
  auto dup = post("/v3/apps", {{"name", "twin"},
                               {"relationships", {{"space", {{"data", {{"guid", space_}}}}}}}});
  EXPECT_EQ(dup.status, 422);
  EXPECT_EQ(dup.body["errors"][0]["detail"], "App with the name 'twin' already exists.");
}

TEST_F(ControllerTest, PaginationOnTheWire) {
  for (int i = 0; i < 7; ++i) createApp("app-" + std::to_string(i));
  const std::string base = "http://127.0.0.1:" + std::to_string(controller_.port());
  std::string next = "/v3/apps?per_page=3&order_by=-name";
  std::vector<std::string> names;
  int pages = 0;
  while (!next.empty() && pages < 10) {
    auto r = get(next);
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.body["pagination"]["total_results"], 7);
    EXPECT_EQ(r.body["pagination"]["total_pages"], 3);
    for (const auto& a : r.body["resources"]) names.push_back(a["name"]);
    const json& n = r.body["pagination"]["next"];
    next = n.is_null() ? "" : n["href"].get<std::string>().substr(base.size());
    ++pages;
  }
  EXPECT_EQ(pages, 3);
  ASSERT_EQ(names.size(), 7u);
  EXPECT_EQ(names.front(), "app-6");
  EXPECT_EQ(names.back(), "app-0");
}

TEST_F(ControllerTest, DataSurvivesRestartAndKill) {
  const std::string app = createApp("durable");
  const std::string web = get("/v3/apps/" + app + "/processes").body["resources"][0]["guid"];
  ASSERT_EQ(post("/v3/processes/" + web + "/actions/scale", {{"instances", 4}}).status, 202);
  giveDroplet(app);
  ASSERT_EQ(post("/v3/apps/" + app + "/actions/start", json::object()).status, 200);
  const std::string route = createRoute("durable");
  ASSERT_EQ(post("/v3/routes/" + route + "/destinations",
                 {{"destinations", {{{"app", {{"guid", app}}}}}}})
                .status,
            200);
  const json before_app = get("/v3/apps/" + app).body;
  const json before_route = get("/v3/routes/" + route).body;
  const std::string org = get("/v3/organizations").body["resources"][0]["guid"];

  // Clean stop (SIGTERM), start again on the same port so links compare equal.
  EXPECT_EQ(controller_.stop(SIGTERM), 0);
  ASSERT_TRUE(controller_.start(/*keep_port=*/true)) << controller_.logs();
  EXPECT_EQ(get("/v3/apps/" + app).body, before_app);
  EXPECT_EQ(get("/v3/routes/" + route).body, before_route);
  EXPECT_EQ(get("/v3/processes/" + web).body["instances"], 4);
  // Bootstrap found the default org/space/domain: no duplicates, same GUIDs.
  EXPECT_EQ(get("/v3/organizations").body["pagination"]["total_results"], 1);
  EXPECT_EQ(get("/v3/organizations").body["resources"][0]["guid"], org);
  EXPECT_EQ(get("/v3/spaces").body["resources"][0]["guid"], space_);
  EXPECT_EQ(get("/v3/domains").body["resources"][0]["guid"], domain_);

  // A write acknowledged right before a SIGKILL is there after the next start.
  ASSERT_EQ(call("PATCH", "/v3/apps/" + app, R"({"name":"durable-2"})").status, 200);
  controller_.stop(SIGKILL);
  ASSERT_TRUE(controller_.start(/*keep_port=*/true)) << controller_.logs();
  EXPECT_EQ(get("/v3/apps/" + app).body["name"], "durable-2");
  EXPECT_EQ(get("/v3/routes/" + route).body["destinations"].size(), 1u);
}

TEST(ControllerFlags, BadFlagsExitWithUsage) {
  ControllerProcess p;
  ASSERT_TRUE(p.spawn({"--listen", "127.0.0.1:1"}));  // no --data-dir
  EXPECT_EQ(p.waitExit(), 2);
  ASSERT_TRUE(p.spawn({"--bogus", "x"}));
  EXPECT_EQ(p.waitExit(), 2);
}

}  // namespace
}  // namespace foundry::test
