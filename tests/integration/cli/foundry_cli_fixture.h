#pragma once
// The fixture of the `foundry` CLI tests: the real binary (FOUNDRY_CLI_BINARY) run against the
// real controller (CONTROLLER_BINARY) on a free loopback port with a temp data dir and
// FOUNDRY_HOME, plus direct API calls as admin to check the controller's state. Shared by
// foundry_cli_test.cc and services_cli_test.cc.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "common/net/http_client.h"
#include "tests/test_common/controller_login.h"
#include "tests/test_common/ports.h"
#include "tests/test_common/files.h"

namespace foundry::test {

namespace fs = std::filesystem;
using nlohmann::json;
using namespace std::chrono_literals;

// Runs `binary args...` with `env` added, in `cwd`, stdin from /dev/null, killed after
// `timeout`; returns the exit code (-1 on a signal or timeout).
inline int runProcess(const std::string& binary, const std::vector<std::string>& args,
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

// examples/node-hello of the source tree (__FILE__ may be relative to the build dir).
inline fs::path nodeHello() {
#ifdef FOUNDRY_SOURCE_DIR
  return fs::path(FOUNDRY_SOURCE_DIR) / "examples" / "node-hello";
#else
  return fs::path(__FILE__).parent_path() / "../../../examples/node-hello";
#endif
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
    stopController();
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
      // The stager in the controller's own process: these tests run no cells.
      args = {"--staging", "local", "--stager", STAGER_BINARY, "--system-buildpacks",
              std::string(FOUNDRY_SOURCE_DIR) + "/staging/buildpacks"};
    }
#endif
    return args;
  }

  void stopController() {
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
      pid_ = -1;
    }
    admin_bearer_.clear();
  }

  // `extra`: more controller flags (e.g. --access-token-ttl 2). The admin's password is
  // kTestAdminPassword.
  bool startController(const std::vector<std::string>& extra = {}) {
    const std::vector<std::string> staging = stagingArgs();
    const std::vector<std::string> admin = adminPasswordFlags(dir_.string());
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
        args.insert(args.end(), admin.begin(), admin.end());
        args.insert(args.end(), extra.begin(), extra.end());
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

  // Direct API calls, as admin.
  net::HttpResponse adminCall(const std::string& method, const std::string& path,
                              const std::string& body = "") {
    if (admin_bearer_.empty()) admin_bearer_ = loginBearer(base());
    net::HttpRequest r;
    r.method = method;
    r.url = base() + path;
    r.body = body;
    if (!body.empty()) r.headers.emplace_back("Content-Type", "application/json");
    return performAs(admin_bearer_, r);
  }
  json get(const std::string& path) {
    auto r = adminCall("GET", path);
    EXPECT_EQ(r.status, 200) << path << " " << r.body;
    json body = json::parse(r.body, nullptr, false);
    return body.is_discarded() ? json() : body;
  }
  json post(const std::string& path, const json& body) {
    auto r = adminCall("POST", path, body.dump());
    EXPECT_TRUE(r.ok()) << path << " " << r.status << " " << r.body;
    return json::parse(r.body, nullptr, false);
  }
  json config() { return json::parse(readFile(dir_ / "home" / "config.json"), nullptr, false); }
  std::string spaceGuid() { return get("/v3/spaces")["resources"][0]["guid"]; }
  std::string createApp(const std::string& name) {
    return post("/v3/apps", {{"name", name},
                             {"relationships", {{"space", {{"data", {{"guid", spaceGuid()}}}}}}}})
        .value("guid", "");
  }
  json routesFor(const std::string& host) { return get("/v3/routes?hosts=" + host)["resources"]; }

  // `login` as admin; the controller's only org and space ("default") get targeted.
  void targetApi() {
    CliRun login = foundry({"login", "-a", base(), "-u", "admin", "-p", kTestAdminPassword});
    ASSERT_EQ(login.code, 0) << login.all();
    ASSERT_NE(login.out.find("space:          default"), std::string::npos) << login.out;
  }

  fs::path dir_;
  uint16_t port_ = 0;
  pid_t pid_ = -1;
  std::string admin_bearer_;
};

}  // namespace foundry::test
