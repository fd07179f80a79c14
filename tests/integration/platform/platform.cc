#include <sys/stat.h>
#include "tests/integration/platform/platform.h"

#if defined(SCHEDULER_BINARY) && defined(CELL_BINARY) && defined(FOUNDRY_CLI_BINARY) && \
    defined(CONTROLLER_BINARY)

#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "common/net/http_client.h"
#include "tests/test_common/controller_login.h"
#include "tests/test_common/ports.h"

namespace foundry::test {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using nlohmann::json;

namespace {

std::string hostPort(uint16_t port) { return "127.0.0.1:" + std::to_string(port); }

std::string tail(const std::string& text, size_t lines) {
  size_t pos = text.size();
  for (size_t n = 0; n <= lines && pos > 0; ++n) {
    pos = text.rfind('\n', pos - 1);
    if (pos == std::string::npos) return text;
  }
  return text.substr(pos + 1);
}

// Runs argv with extra environment, capturing stdout+stderr; kills it at the timeout.
CliResult runCommand(const std::vector<std::string>& argv_in,
                     const std::vector<std::string>& env_extra, std::chrono::seconds timeout) {
  CliResult result;
  int out[2];
  if (pipe2(out, O_CLOEXEC) != 0) return result;
  pid_t parent = getpid();
  pid_t pid = fork();
  if (pid == 0) {
    setpgid(0, 0);
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(1);
    dup2(out[1], 1);
    dup2(out[1], 2);
    for (const auto& kv : env_extra) putenv(const_cast<char*>(kv.c_str()));
    std::vector<char*> argv;
    for (const auto& a : argv_in) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    execv(argv[0], argv.data());
    _exit(127);
  }
  close(out[1]);
  auto deadline = std::chrono::steady_clock::now() + timeout;
  char buf[4096];
  while (true) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left <= 0ms) {
      kill(-pid, SIGKILL);
      result.output += "\n[killed: timed out after " + std::to_string(timeout.count()) + " s]";
      break;
    }
    pollfd p{out[0], POLLIN, 0};
    if (poll(&p, 1, static_cast<int>(left.count())) <= 0) continue;
    ssize_t n = read(out[0], buf, sizeof buf);
    if (n <= 0) break;
    result.output.append(buf, static_cast<size_t>(n));
  }
  close(out[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return result;
}

}  // namespace

Platform::Platform(std::string router_yaml) : router_yaml_(std::move(router_yaml)) {
  char tmpl[] = "/tmp/foundry-platform.XXXXXX";
  dir_ = mkdtemp(tmpl);
  chmod(dir_.c_str(), 0711);  // the cells' containers walk through it to their disks
}

Platform::~Platform() {
  // Cells first: they stop their instances (process groups) before exiting.
  for (auto& cell : cells_) cell->stop(5s);
  if (scheduler_) scheduler_->stop();
  if (controller_) controller_->stop();
  if (router_) router_->stop();
  if (!::testing::Test::HasFailure()) {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  } else {
    fprintf(stderr, "platform folder kept: %s\n", dir_.c_str());
  }
}

std::string Platform::natsUrl() const {
  return "nats://127.0.0.1:" + std::to_string(nats_.port());
}

bool Platform::start() {
  if (!nats_.start()) return false;
  const std::string nats_url = "nats://127.0.0.1:" + std::to_string(nats_.port());

  RouterOptions router_options;
  router_options.nats_port = nats_.port();
  router_options.extra_yaml = router_yaml_;
  router_ = std::make_unique<RouterProcess>(router_options);
  if (!router_->start() || !router_->waitHealthy()) return false;

  // One --secrets folder for the three kinds of daemon: they trust each other's calls.
  const std::string secrets = dir_ + "/secrets";
  uint16_t scheduler_port = freeTcpPort();
  scheduler_url_ = "http://" + hostPort(scheduler_port);
  scheduler_ = std::make_unique<ChildProcess>(
      "scheduler", SCHEDULER_BINARY,
      std::vector<std::string>{"--listen", hostPort(scheduler_port), "--nats", nats_url,
                               "--convergence-interval", "1", "--secrets", secrets,
                               "--log-level", "debug"},
      dir_);
  if (!scheduler_->start() || !waitHttpOk(scheduler_url_ + "/ping", 60s)) return false;

  uint16_t controller_port = freeTcpPort();
  controller_url_ = "http://" + hostPort(controller_port);
  std::vector<std::string> controller_args = {
      "--listen", hostPort(controller_port), "--data-dir", dir_ + "/controller", "--domain",
      kDomain, "--scheduler", scheduler_url_, "--nats", nats_url, "--stager", STAGER_BINARY,
      "--secrets", secrets};
  for (auto& a : adminPasswordFlags(dir_)) controller_args.push_back(a);
  controller_ = std::make_unique<ChildProcess>("controller", CONTROLLER_BINARY, controller_args,
                                               dir_);
  // Generous: under ASan, with a second platform starting beside it, the controller's first
  // answer has taken over 15 s (its start then looked like a failure).
  if (!controller_->start() || !waitHttpOk(controller_url_ + "/v3", 60s)) return false;

  for (int i = 0; i < 2; ++i) {
    uint16_t cell_port = freeTcpPort();
    std::string id = "cell-z" + std::to_string(i + 1);
    // App ports below the kernel's ephemeral range (32768+), where test backends binding port 0
    // land, and apart per test process: ctest runs two platforms at once, and an instance that
    // never listens (the failing-health-check test) must not find another test's server on
    // its port.
    int base = 10000 + static_cast<int>(getpid() % 40) * 500 + i * 250;
    std::string ports = std::to_string(base) + "-" + std::to_string(base + 249);
    cells_.push_back(std::make_unique<ChildProcess>(
        id, CELL_BINARY,
        std::vector<std::string>{"--listen", hostPort(cell_port), "--id", id, "--zone",
                                 "z" + std::to_string(i + 1), "--scheduler", scheduler_url_,
                                 "--nats", nats_url, "--work-dir", dir_ + "/" + id, "--ports",
                                 ports, "--launcher", LAUNCHER_BINARY, "--memory-mb", "4096",
                                 "--disk-mb", "16384", "--stop-grace-s", "3",
                                 "--unhealthy-interval-ms", "200", "--secrets", secrets},
        dir_));
    fs::create_directories(dir_ + "/" + id);
    if (!cells_.back()->start() || !waitHttpOk("http://" + hostPort(cell_port) + "/ping")) {
      return false;
    }
  }
  // As an operator would: log in as admin (the only org and space are then targeted).
  bearer_ = loginBearer(controller_url_);
  auto login = cli({"login", "-a", controller_url_, "-u", "admin", "-p", kTestAdminPassword});
  return !bearer_.empty() && login.exit_code == 0;
}

std::string Platform::logs() const {
  std::stringstream out;
  auto add = [&](const std::string& name, const std::string& text) {
    out << "\n----- " << name << " (last 25 lines) -----\n" << tail(text, 25);
  };
  if (router_) add("router", router_->logs());
  if (controller_) add("controller", controller_->logs());
  if (scheduler_) add("scheduler", scheduler_->logs());
  for (const auto& cell : cells_) add(cell->name(), cell->logs());
  return out.str();
}

CliResult Platform::cli(const std::vector<std::string>& args, std::chrono::seconds timeout,
                        const std::vector<std::string>& env) {
  std::vector<std::string> argv{FOUNDRY_CLI_BINARY};
  argv.insert(argv.end(), args.begin(), args.end());
  std::vector<std::string> environment{"FOUNDRY_HOME=" + dir_ + "/cli-home", "NO_COLOR=1"};
  environment.insert(environment.end(), env.begin(), env.end());
  return runCommand(argv, environment, timeout);
}

std::string Platform::example(const std::string& name) const {
  return std::string(FOUNDRY_SOURCE_DIR) + "/examples/" + name;
}

std::optional<HttpResponse> Platform::get(const std::string& host, const std::string& path) {
  HttpClient client(router_->port());
  return client.get(host, path);
}

std::vector<std::string> Platform::bodies(const std::string& host, int n) {
  std::vector<std::string> out;
  for (int i = 0; i < n; ++i) {
    auto r = get(host);
    out.push_back(r ? std::to_string(r->status) + " " + r->body : "no answer");
  }
  return out;
}

json Platform::api(const std::string& path) {
  net::HttpRequest request;
  request.url = controller_url_ + path;
  request.timeout_ms = 5000;
  auto r = performAs(bearer_, request);
  if (!r.ok()) return json();
  return json::parse(r.body, nullptr, false);
}

Platform::ApiResult Platform::apiCall(const std::string& method, const std::string& path,
                                      const std::string& body, const std::string& content_type) {
  net::HttpRequest request;
  request.method = method;
  request.url = controller_url_ + path;
  request.body = body;
  if (!body.empty()) request.headers = {{"Content-Type", content_type}};
  request.timeout_ms = 10000;
  auto r = performAs(bearer_, request);
  json parsed = json::parse(r.body, nullptr, false);
  if (parsed.is_discarded()) parsed = nullptr;
  return {r.status, std::move(parsed), r.body};
}

std::string Platform::appGuid(const std::string& name) {
  auto apps = api("/v3/apps?names=" + name);
  if (!apps.is_object() || apps["resources"].empty()) return "";
  return apps["resources"][0]["guid"].get<std::string>();
}

json Platform::stats(const std::string& app_name) {
  std::string guid = appGuid(app_name);
  if (guid.empty()) return json::array();
  auto s = api("/v3/apps/" + guid + "/processes/web/stats");
  return s.is_object() ? s["resources"] : json::array();
}

bool Platform::waitRunning(const std::string& app_name, int count,
                           std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    auto resources = stats(app_name);
    int running = 0;
    for (const auto& item : resources) {
      if (item.value("state", "") == "RUNNING") ++running;
    }
    if (running == count && static_cast<int>(resources.size()) == count) return true;
    std::this_thread::sleep_for(200ms);
  }
  return false;
}

}  // namespace foundry::test

#endif
