// The real `foundry` binary (FOUNDRY_CLI_BINARY) against the real controller
// (CONTROLLER_BINARY) on a free loopback port: api, routes, domains, apps, delete and
// push --no-start, with the controller's state checked over HTTP after each command.
#include <fcntl.h>
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

#include "scheduler/model/http_client.h"
#include "tests/test_common/ports.h"

namespace foundry::test {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using namespace std::chrono_literals;

std::string readFile(const fs::path& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Runs `binary args...` with `env` added, in `cwd`, stdin from /dev/null, killed after
// `timeout`; returns the exit code (-1 on a signal or timeout).
int runProcess(const std::string& binary, const std::vector<std::string>& args,
               const std::vector<std::string>& env, const fs::path& cwd, const fs::path& out_file,
               const fs::path& err_file, std::chrono::milliseconds timeout) {
  pid_t pid = fork();
  if (pid < 0) return -1;
  if (pid == 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    int in = open("/dev/null", O_RDONLY);
    int out = open(out_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    int err = open(err_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (in < 0 || out < 0 || err < 0 || chdir(cwd.c_str()) != 0) _exit(126);
    dup2(in, 0);
    dup2(out, 1);
    dup2(err, 2);
    for (const auto& e : env) putenv(const_cast<char*>(e.c_str()));
    std::vector<char*> argv;
    argv.push_back(const_cast<char*>(binary.c_str()));
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    execv(binary.c_str(), argv.data());
    _exit(127);
  }
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    int status = 0;
    if (waitpid(pid, &status, WNOHANG) == pid) {
      return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      kill(pid, SIGKILL);
      waitpid(pid, nullptr, 0);
      return -1;
    }
    std::this_thread::sleep_for(5ms);
  }
}

struct CliRun {
  int code = -1;
  std::string out;
  std::string err;
  std::string all() const { return out + err; }
};

// A controller on a free port with a temp data dir, and a FOUNDRY_HOME for the CLI.
class FoundryCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/cli-it-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    fs::create_directories(dir_ / "home");
    ASSERT_TRUE(startController()) << readFile(dir_ / "controller.log");
  }
  void TearDown() override {
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
    if (HasFailure()) {
      std::cerr << "kept " << dir_ << "\n" << readFile(dir_ / "controller.log").substr(0, 3000);
    } else {
      fs::remove_all(dir_);
    }
  }

  // Staging flags, when this controller has staging (its usage names --stager) and the build
  // has a stager: push can then go as far as a STAGED build.
  std::vector<std::string> stagingArgs() {
    std::vector<std::string> args;
#if defined(STAGER_BINARY) && defined(FOUNDRY_SOURCE_DIR)
    int code = runProcess(CONTROLLER_BINARY, {"--help"}, {}, dir_, dir_ / "usage.out",
                          dir_ / "usage.err", 5s);
    std::string text = readFile(dir_ / "usage.out") + readFile(dir_ / "usage.err");
    if (code >= 0 && text.find("--stager") != std::string::npos && fs::exists(STAGER_BINARY)) {
      args = {"--stager", STAGER_BINARY, "--system-buildpacks",
              std::string(FOUNDRY_SOURCE_DIR) + "/staging/buildpacks"};
    }
#endif
    return args;
  }

  bool startController() {
    const std::vector<std::string> staging = stagingArgs();
    for (int attempt = 0; attempt < 5; ++attempt) {
      port_ = freeTcpPort();
      pid_ = fork();
      if (pid_ < 0) return false;
      if (pid_ == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        int log = open((dir_ / "controller.log").c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
        if (log >= 0) {
          dup2(log, 1);
          dup2(log, 2);
        }
        std::string listen = "127.0.0.1:" + std::to_string(port_);
        std::string data = (dir_ / "data").string();
        std::vector<std::string> args = {CONTROLLER_BINARY, "--listen", listen, "--data-dir",
                                         data, "--domain", "apps.internal"};
        args.insert(args.end(), staging.begin(), staging.end());
        std::vector<char*> argv;
        for (auto& a : args) argv.push_back(a.data());
        argv.push_back(nullptr);
        execv(CONTROLLER_BINARY, argv.data());
        _exit(127);
      }
      auto deadline = std::chrono::steady_clock::now() + 10s;
      while (std::chrono::steady_clock::now() < deadline) {
        int status = 0;
        if (waitpid(pid_, &status, WNOHANG) == pid_) {
          pid_ = -1;
          break;
        }
        if (net::getJson(base() + "/", 500).status == 200) return true;
        std::this_thread::sleep_for(20ms);
      }
      if (pid_ > 0) {
        kill(pid_, SIGKILL);
        waitpid(pid_, nullptr, 0);
        pid_ = -1;
      }
    }
    return false;
  }

  std::string base() const { return "http://127.0.0.1:" + std::to_string(port_); }

  CliRun foundry(const std::vector<std::string>& args, const fs::path& cwd = {},
                 std::chrono::milliseconds timeout = 60s) {
    CliRun run;
    fs::path out = dir_ / "cli.out";
    fs::path err = dir_ / "cli.err";
    run.code = runProcess(FOUNDRY_CLI_BINARY, args, {"FOUNDRY_HOME=" + (dir_ / "home").string()},
                          cwd.empty() ? dir_ : cwd, out, err, timeout);
    run.out = readFile(out);
    run.err = readFile(err);
    return run;
  }

  json get(const std::string& path) {
    auto r = net::getJson(base() + path);
    EXPECT_EQ(r.status, 200) << path << " " << r.body;
    json body = json::parse(r.body, nullptr, false);
    return body.is_discarded() ? json() : body;
  }
  json post(const std::string& path, const json& body) {
    auto r = net::sendJson("POST", base() + path, body.dump());
    EXPECT_TRUE(r.ok()) << path << " " << r.status << " " << r.body;
    return json::parse(r.body, nullptr, false);
  }
  std::string spaceGuid() { return get("/v3/spaces")["resources"][0]["guid"]; }
  std::string createApp(const std::string& name) {
    return post("/v3/apps", {{"name", name},
                             {"relationships", {{"space", {{"data", {{"guid", spaceGuid()}}}}}}}})
        .value("guid", "");
  }
  json routesFor(const std::string& host) { return get("/v3/routes?hosts=" + host)["resources"]; }

  void targetApi() {
    CliRun api = foundry({"api", base()});
    ASSERT_EQ(api.code, 0) << api.all();
  }

  fs::path dir_;
  uint16_t port_ = 0;
  pid_t pid_ = -1;
};

TEST_F(FoundryCliTest, HelpListsCommandsAndBadUsageFails) {
  CliRun help = foundry({"help"});
  EXPECT_EQ(help.code, 0);
  for (const char* command :
       {"api", "push", "apps", "app", "scale", "start", "stop", "restart", "restage", "delete",
        "logs", "routes", "create-route", "delete-route", "map-route", "unmap-route", "domains"}) {
    EXPECT_NE(help.out.find(std::string("   ") + command + " "), std::string::npos) << command;
  }
  CliRun push_help = foundry({"push", "--help"});
  EXPECT_EQ(push_help.code, 0);
  EXPECT_NE(push_help.out.find("--no-start"), std::string::npos) << push_help.all();
  CliRun bogus = foundry({"bogus"});
  EXPECT_EQ(bogus.code, 1);
  EXPECT_NE(bogus.err.find("'bogus' is not a registered command"), std::string::npos);
  CliRun missing_arg = foundry({"map-route", "only-app"});
  EXPECT_EQ(missing_arg.code, 1);
  EXPECT_NE(missing_arg.err.find("Incorrect Usage"), std::string::npos) << missing_arg.all();
}

TEST_F(FoundryCliTest, ApiSavesTheTargetAndCommandsNeedOne) {
  CliRun no_target = foundry({"apps"});
  EXPECT_EQ(no_target.code, 1);
  EXPECT_NE(no_target.out.find("FAILED"), std::string::npos);
  EXPECT_NE(no_target.err.find("No API endpoint set"), std::string::npos);

  CliRun api = foundry({"api", "127.0.0.1:" + std::to_string(port_)});  // no scheme: http
  ASSERT_EQ(api.code, 0) << api.all();
  EXPECT_NE(api.out.find("API version:    3.100.0"), std::string::npos) << api.out;
  EXPECT_NE(api.out.find("Targeted space default."), std::string::npos) << api.out;
  json config = json::parse(readFile(dir_ / "home" / "config.json"), nullptr, false);
  ASSERT_TRUE(config.is_object());
  EXPECT_EQ(config["api"], base());
  EXPECT_EQ(config["space_guid"], spaceGuid());
  EXPECT_EQ(config["organization_guid"], get("/v3/organizations")["resources"][0]["guid"]);

  CliRun show = foundry({"api"});
  EXPECT_EQ(show.code, 0);
  EXPECT_NE(show.out.find("API endpoint:   " + base()), std::string::npos) << show.out;

  // A URL that does not answer keeps the old target.
  CliRun dead = foundry({"api", "http://127.0.0.1:" + std::to_string(freeTcpPort())});
  EXPECT_EQ(dead.code, 1);
  EXPECT_NE(dead.out.find("FAILED"), std::string::npos);
  EXPECT_NE(readFile(dir_ / "home" / "config.json").find(base()), std::string::npos);

  // A corrupt config is reported, not a crash.
  std::ofstream(dir_ / "home" / "config.json") << "{not json";
  CliRun corrupt = foundry({"apps"});
  EXPECT_EQ(corrupt.code, 1);
  EXPECT_NE(corrupt.err.find("not valid JSON"), std::string::npos) << corrupt.all();
}

TEST_F(FoundryCliTest, RouteCommandsChangeTheControllersRoutes) {
  targetApi();
  std::string app = createApp("green");

  CliRun domains = foundry({"domains"});
  EXPECT_EQ(domains.code, 0);
  EXPECT_NE(domains.out.find("apps.internal   shared"), std::string::npos) << domains.out;

  CliRun create = foundry({"create-route", "apps.internal", "-n", "demo", "--path", "api"});
  ASSERT_EQ(create.code, 0) << create.all();
  json routes = routesFor("demo");
  ASSERT_EQ(routes.size(), 1u);
  EXPECT_EQ(routes[0]["path"], "/api");
  CliRun again = foundry({"create-route", "apps.internal", "-n", "demo", "--path", "/api"});
  EXPECT_EQ(again.code, 0);
  EXPECT_NE(again.err.find("already exists"), std::string::npos) << again.all();
  EXPECT_EQ(routesFor("demo").size(), 1u);

  CliRun map = foundry({"map-route", "green", "apps.internal", "-n", "demo", "--path", "/api"});
  ASSERT_EQ(map.code, 0) << map.all();
  json destinations = get("/v3/routes/" + routes[0]["guid"].get<std::string>() + "/destinations");
  ASSERT_EQ(destinations["destinations"].size(), 1u) << destinations;
  EXPECT_EQ(destinations["destinations"][0]["app"]["guid"], app);
  CliRun remap = foundry({"map-route", "green", "apps.internal", "-n", "demo", "--path", "/api"});
  EXPECT_EQ(remap.code, 0);
  EXPECT_NE(remap.out.find("already mapped"), std::string::npos) << remap.all();

  // map-route creates a missing route.
  CliRun map_new = foundry({"map-route", "green", "apps.internal", "-n", "fresh"});
  ASSERT_EQ(map_new.code, 0) << map_new.all();
  ASSERT_EQ(routesFor("fresh").size(), 1u);
  EXPECT_EQ(routesFor("fresh")[0]["destinations"].size(), 1u);

  CliRun list = foundry({"routes"});
  EXPECT_EQ(list.code, 0);
  EXPECT_NE(list.out.find("demo"), std::string::npos) << list.out;
  EXPECT_NE(list.out.find("/api"), std::string::npos) << list.out;
  EXPECT_NE(list.out.find("green"), std::string::npos) << list.out;

  CliRun apps = foundry({"apps"});
  EXPECT_EQ(apps.code, 0);
  EXPECT_NE(apps.out.find("green"), std::string::npos);
  EXPECT_NE(apps.out.find("demo.apps.internal/api"), std::string::npos) << apps.out;
  EXPECT_NE(apps.out.find("fresh.apps.internal"), std::string::npos) << apps.out;

  CliRun unmap = foundry({"unmap-route", "green", "apps.internal", "-n", "demo", "--path", "/api"});
  ASSERT_EQ(unmap.code, 0) << unmap.all();
  destinations = get("/v3/routes/" + routes[0]["guid"].get<std::string>() + "/destinations");
  EXPECT_TRUE(destinations["destinations"].empty()) << destinations;

  CliRun cancelled = foundry({"delete-route", "apps.internal", "-n", "demo", "--path", "/api"});
  EXPECT_EQ(cancelled.code, 0);  // no -f and stdin at EOF: not deleted
  EXPECT_EQ(routesFor("demo").size(), 1u);
  CliRun removed = foundry({"delete-route", "apps.internal", "-n", "demo", "--path", "/api", "-f"});
  ASSERT_EQ(removed.code, 0) << removed.all();
  EXPECT_TRUE(routesFor("demo").empty());
  CliRun gone = foundry({"delete-route", "apps.internal", "-n", "demo", "--path", "/api", "-f"});
  EXPECT_EQ(gone.code, 0);
  EXPECT_NE(gone.err.find("not found"), std::string::npos) << gone.all();
}

TEST_F(FoundryCliTest, ErrorsPrintFailedAndTheV3Detail) {
  targetApi();
  CliRun no_app = foundry({"map-route", "nope", "apps.internal", "-n", "x"});
  EXPECT_EQ(no_app.code, 1);
  EXPECT_NE(no_app.out.find("FAILED"), std::string::npos);
  EXPECT_NE(no_app.err.find("App 'nope' not found."), std::string::npos) << no_app.all();

  CliRun no_domain = foundry({"create-route", "nope.example", "-n", "x"});
  EXPECT_EQ(no_domain.code, 1);
  EXPECT_NE(no_domain.err.find("Domain 'nope.example' not found."), std::string::npos);

  // The controller's own validation text comes through.
  CliRun bad_host = foundry({"create-route", "apps.internal", "-n", "bad host!"});
  EXPECT_EQ(bad_host.code, 1);
  EXPECT_NE(bad_host.out.find("FAILED"), std::string::npos);
  EXPECT_FALSE(bad_host.err.empty());

  CliRun bad_memory = foundry({"push", "x", "-m", "256", "--no-start"});
  EXPECT_EQ(bad_memory.code, 1);
  EXPECT_NE(bad_memory.err.find("unit of measurement"), std::string::npos) << bad_memory.all();
  EXPECT_TRUE(get("/v3/apps?names=x")["resources"].empty());  // nothing was created

  createApp("scaled");
  CliRun bad_scale = foundry({"scale", "scaled", "-k", "4G"});
  EXPECT_EQ(bad_scale.code, 1);
  EXPECT_NE(bad_scale.out.find("FAILED"), std::string::npos);
}

TEST_F(FoundryCliTest, ScaleStopAndDeleteWithRoutes) {
  targetApi();
  std::string app = createApp("blue");
  CliRun scale = foundry({"scale", "blue", "-i", "3", "-m", "256M", "-k", "512M"});
  ASSERT_EQ(scale.code, 0) << scale.all();
  json web = get("/v3/apps/" + app + "/processes/web");
  EXPECT_EQ(web["instances"], 3);
  EXPECT_EQ(web["memory_in_mb"], 256);
  EXPECT_EQ(web["disk_in_mb"], 512);

  CliRun show = foundry({"app", "blue"});
  EXPECT_EQ(show.code, 0);
  EXPECT_NE(show.out.find("requested state:   stopped"), std::string::npos) << show.out;
  EXPECT_NE(show.out.find("memory usage:    256M"), std::string::npos) << show.out;

  CliRun stop = foundry({"stop", "blue"});
  EXPECT_EQ(stop.code, 0);
  EXPECT_NE(stop.out.find("already stopped"), std::string::npos) << stop.all();

  ASSERT_EQ(foundry({"map-route", "blue", "apps.internal", "-n", "blue"}).code, 0);
  CliRun keep = foundry({"delete", "blue"});  // no -f, stdin at EOF
  EXPECT_EQ(keep.code, 0);
  EXPECT_EQ(get("/v3/apps?names=blue")["resources"].size(), 1u);
  CliRun del = foundry({"delete", "blue", "-f", "-r"});
  ASSERT_EQ(del.code, 0) << del.all();
  EXPECT_TRUE(get("/v3/apps?names=blue")["resources"].empty());
  EXPECT_TRUE(routesFor("blue").empty());
  CliRun again = foundry({"delete", "blue", "-f"});
  EXPECT_EQ(again.code, 0);
  EXPECT_NE(again.err.find("does not exist"), std::string::npos) << again.all();
}

TEST_F(FoundryCliTest, PushNoStartOfNodeHello) {
  targetApi();
  fs::path source = fs::path(__FILE__).parent_path() / "../../../examples/node-hello";
  fs::path app_dir = dir_ / "node-hello";
  fs::copy(source, app_dir, fs::copy_options::recursive);
  std::ofstream(app_dir / ".cfignore") << "*.log\n";
  std::ofstream(app_dir / "debug.log") << "not uploaded\n";

  CliRun push =
      foundry({"push", "node-hello", "--no-start", "-p", app_dir.string(), "-i", "2", "-m", "256M",
               "-k", "512M", "-u", "http", "--endpoint", "/", "-t", "30", "-c", "node server.js"},
              dir_, 120s);
  // Whatever the controller supports, the app, its process settings and its default route
  // come first.
  json apps = get("/v3/apps?names=node-hello")["resources"];
  ASSERT_EQ(apps.size(), 1u) << push.all();
  std::string app = apps[0]["guid"];
  EXPECT_EQ(apps[0]["state"], "STOPPED");
  json web = get("/v3/apps/" + app + "/processes/web");
  EXPECT_EQ(web["instances"], 2);
  EXPECT_EQ(web["memory_in_mb"], 256);
  EXPECT_EQ(web["disk_in_mb"], 512);
  EXPECT_EQ(web["command"], "node server.js");
  EXPECT_EQ(web["health_check"]["type"], "http");
  EXPECT_EQ(web["health_check"]["data"]["endpoint"], "/");
  EXPECT_EQ(web["health_check"]["data"]["timeout"], 30);
  json routes = get("/v3/apps/" + app + "/routes")["resources"];
  ASSERT_EQ(routes.size(), 1u);
  EXPECT_EQ(routes[0]["host"], "node-hello");

  bool has_packages = net::getJson(base() + "/v3/packages").status != 404;
  if (!has_packages) {
    // This controller has no packages yet: push stops there and says so.
    EXPECT_EQ(push.code, 1) << push.all();
    EXPECT_NE(push.err.find("/v3/packages"), std::string::npos) << push.all();
    GTEST_SKIP() << "controller has no /v3/packages yet; checked up to routes";
  }
  json packages = get("/v3/packages?app_guids=" + app + "&states=READY")["resources"];
  ASSERT_EQ(packages.size(), 1u) << push.all();
  bool has_builds = push.err.find("/v3/builds is not served") == std::string::npos;
  if (!has_builds) {
    EXPECT_EQ(push.code, 1);
    GTEST_SKIP() << "controller has packages but no builds yet; checked up to package READY";
  }
  ASSERT_EQ(push.code, 0) << push.all();
  auto droplet = net::getJson(base() + "/v3/apps/" + app + "/droplets/current");
  EXPECT_EQ(droplet.status, 200) << droplet.body;
  EXPECT_EQ(get("/v3/apps/" + app)["state"], "STOPPED");
}

}  // namespace
}  // namespace foundry::test
