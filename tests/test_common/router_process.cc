#include "tests/test_common/router_process.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>
#include <yaml-cpp/yaml.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "tests/test_common/http_client.h"
#include "tests/test_common/nats_server.h"
#include "tests/test_common/ports.h"

#ifndef ROUTER_BINARY
#error "ROUTER_BINARY must be defined (tests/CMakeLists.txt sets it)"
#endif

namespace foundry::test {
namespace {

// Merges `over` into `base`: maps key by key (recursively), every other value replaces.
void mergeYaml(YAML::Node base, const YAML::Node& over) {
  for (const auto& item : over) {
    const std::string key = item.first.as<std::string>();
    YAML::Node existing = base[key];
    if (item.second.IsMap() && existing.IsMap()) {
      mergeYaml(existing, item.second);
    } else {
      base[key] = item.second;
    }
  }
}

// {"a": {"b": <value>}} for the dotted key "a.b".
YAML::Node nestDotted(const std::vector<std::string>& parts, size_t i, const std::string& value) {
  if (i == parts.size()) {
    return YAML::Load(value);
  }
  YAML::Node map(YAML::NodeType::Map);
  map[parts[i]] = nestDotted(parts, i + 1, value);
  return map;
}

std::vector<std::string> splitDots(const std::string& key) {
  std::vector<std::string> parts;
  std::stringstream in(key);
  std::string part;
  while (std::getline(in, part, '.')) {
    parts.push_back(part);
  }
  return parts;
}

std::string base64(std::string_view in) {
  static constexpr char kTable[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    uint32_t v = (uint8_t(in[i]) << 16) | (uint8_t(in[i + 1]) << 8) | uint8_t(in[i + 2]);
    out += {kTable[v >> 18], kTable[(v >> 12) & 63], kTable[(v >> 6) & 63], kTable[v & 63]};
  }
  if (i + 1 == in.size()) {
    uint32_t v = uint8_t(in[i]) << 16;
    out += {kTable[v >> 18], kTable[(v >> 12) & 63], '=', '='};
  } else if (i + 2 == in.size()) {
    uint32_t v = (uint8_t(in[i]) << 16) | (uint8_t(in[i + 1]) << 8);
    out += {kTable[v >> 18], kTable[(v >> 12) & 63], kTable[(v >> 6) & 63], '='};
  }
  return out;
}

template <typename Pred>
bool pollUntil(std::chrono::milliseconds timeout, Pred pred) {
  Deadline deadline = deadlineIn(timeout);
  for (;;) {
    if (pred()) {
      return true;
    }
    if (Clock::now() >= deadline) {
      return false;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

uint16_t orFreePort(uint16_t port) { return port != 0 ? port : freeTcpPort(); }

}  // namespace

std::string routerConfigYaml(const RouterOptions& o) {
  YAML::Node root(YAML::NodeType::Map);
  root["port"] = o.port;
  root["status"]["port"] = o.status_port;
  root["status"]["user"] = o.user;
  root["status"]["pass"] = o.pass;
  root["status"]["routes"]["port"] = o.routes_port;
  YAML::Node host(YAML::NodeType::Map);
  host["hostname"] = "127.0.0.1";
  host["port"] = o.nats_port;
  root["nats"]["hosts"].push_back(host);
  root["start_response_delay_interval"] = o.start_response_delay;
  root["logging"]["level"] = o.log_level;
  root["workers"] = o.workers;
  // The suites run once per data-plane backend: ctest sets this for the epoll pass (the
  // default, auto, is io_uring on these machines). A test's own extra_yaml still wins.
  if (const char* backend = std::getenv("FOUNDRY_ROUTER_EVENT_BACKEND")) {
    root["event_backend"] = backend;
  }
  if (!o.extra_yaml.empty()) {
    mergeYaml(root, YAML::Load(o.extra_yaml));
  }
  for (const auto& [key, value] : o.set) {
    mergeYaml(root, nestDotted(splitDots(key), 0, value));
  }
  YAML::Emitter out;
  out << root;
  return std::string(out.c_str()) + "\n";
}

RouterProcess::RouterProcess(RouterOptions options) : options_(std::move(options)) {}

RouterProcess::RouterProcess(const NatsServer& nats, RouterOptions options)
    : options_(std::move(options)) {
  options_.nats_port = nats.port();
}

RouterProcess::~RouterProcess() {
  stop();
  if (sanitizerReported()) {
    ADD_FAILURE() << "the router's log holds a sanitizer report (" << log_path_ << "):\n" << logs();
  }
  if (dir_.empty()) {
    return;
  }
  if (::testing::Test::HasFailure() || std::getenv("FOUNDRY_KEEP_TEST_DIRS") != nullptr) {
    std::fprintf(stderr, "RouterProcess: kept %s (config, router.log)\n", dir_.c_str());
  } else {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
}

bool RouterProcess::start() {
  if (running()) {
    return true;
  }
  if (dir_.empty()) {
    std::string templ = std::filesystem::temp_directory_path() / "router-test-XXXXXX";
    if (::mkdtemp(templ.data()) == nullptr) {
      std::perror("RouterProcess: mkdtemp");
      return false;
    }
    dir_ = templ;
    config_path_ = dir_ + "/gorouter.yml";
    log_path_ = dir_ + "/router.log";
    picked_ports_ = options_.port == 0 && options_.status_port == 0 && options_.routes_port == 0;
    options_.port = orFreePort(options_.port);
    options_.status_port = orFreePort(options_.status_port);
    options_.routes_port = orFreePort(options_.routes_port);
    config_yaml_ = routerConfigYaml(options_);
    std::ofstream(config_path_) << config_yaml_;
  }

  // Everything the child needs is prepared before fork(): after it, only async-signal-safe calls.
  std::vector<std::string> args = {ROUTER_BINARY, "-c", config_path_};
  args.insert(args.end(), options_.extra_args.begin(), options_.extra_args.end());
  std::vector<char*> argv;
  for (auto& a : args) {
    argv.push_back(a.data());
  }
  argv.push_back(nullptr);
  int log_fd = ::open(log_path_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (log_fd < 0) {
    std::perror("RouterProcess: open log");
    return false;
  }
  pid_t parent = ::getpid();
  pid_t pid = ::fork();
  if (pid < 0) {
    std::perror("RouterProcess: fork");
    ::close(log_fd);
    return false;
  }
  if (pid == 0) {
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) {
      ::_exit(127);  // the test process is already gone
    }
    ::dup2(log_fd, STDOUT_FILENO);
    ::dup2(log_fd, STDERR_FILENO);
    int null_fd = ::open("/dev/null", O_RDONLY);
    if (null_fd >= 0) {
      ::dup2(null_fd, STDIN_FILENO);
    }
    ::close_range(3, ~0U, 0);  // no test sockets leak into the router
    ::execv(argv[0], argv.data());
    static const char kMsg[] = "RouterProcess: execv failed\n";
    [[maybe_unused]] ssize_t n = ::write(STDERR_FILENO, kMsg, sizeof(kMsg) - 1);
    ::_exit(127);
  }
  ::close(log_fd);
  pid_ = pid;
  exit_status_.reset();
  exit_reported_ = false;
  return true;
}

bool RouterProcess::reap(bool block) {
  if (pid_ <= 0) {
    return true;
  }
  int status = 0;
  pid_t r;
  do {
    r = ::waitpid(pid_, &status, block ? 0 : WNOHANG);
  } while (r < 0 && errno == EINTR);
  if (r == pid_ || (r < 0 && errno == ECHILD)) {
    exit_status_ = r == pid_ ? status : -1;
    pid_ = -1;
    return true;
  }
  return false;
}

bool RouterProcess::running() { return pid_ > 0 && !reap(false); }

void RouterProcess::signal(int sig) {
  if (running()) {
    ::kill(pid_, sig);
  }
}

int RouterProcess::stop(std::chrono::milliseconds grace) {
  if (!running()) {
    return -1;
  }
  ::kill(pid_, SIGTERM);
  if (!pollUntil(grace, [&] { return reap(false); })) {
    ::kill(pid_, SIGKILL);
    reap(true);
  }
  return exit_status_.value_or(-1);
}

std::optional<int> RouterProcess::waitExit(std::chrono::milliseconds timeout) {
  if (pid_ <= 0) {
    return exit_status_;
  }
  if (pollUntil(timeout, [&] { return reap(false); })) {
    return exit_status_;
  }
  return std::nullopt;
}

int RouterProcess::healthStatus() {
  auto r = httpGet(options_.status_port, "127.0.0.1", "/health", {}, std::chrono::seconds(2));
  return r ? r->status : 0;
}

std::string RouterProcess::routesJson() {
  auto r = httpGet(options_.routes_port, "127.0.0.1", "/routes",
                   {"Authorization: Basic " + base64(options_.user + ":" + options_.pass)},
                   std::chrono::seconds(2));
  return r && r->status == 200 ? r->body : "";
}

std::string RouterProcess::describeState() {
  if (running()) {
    return "running (pid " + std::to_string(pid_) + ")";
  }
  if (!exit_status_) {
    return "not started";
  }
  int st = *exit_status_;
  if (WIFEXITED(st)) {
    return "exited with code " + std::to_string(WEXITSTATUS(st));
  }
  if (WIFSIGNALED(st)) {
    return "killed by signal " + std::to_string(WTERMSIG(st)) + " (" + strsignal(WTERMSIG(st)) +
           ")";
  }
  return "ended with wait status " + std::to_string(st);
}

bool RouterProcess::aliveOrReport(const char* waiting_for) {
  if (running()) {
    return true;
  }
  if (!exit_reported_) {
    exit_reported_ = true;
    std::string log = logs();
    if (log.size() > 4000) {
      log = "..." + log.substr(log.size() - 4000);
    }
    std::fprintf(stderr, "RouterProcess: waiting for %s, but the router %s; its log:\n%s\n",
                 waiting_for, describeState().c_str(), log.c_str());
  }
  return false;
}

bool RouterProcess::lostAPortRace() {
  return picked_ports_ && !running() && logs().find("Address already in use") != std::string::npos;
}

bool RouterProcess::waitHealthy(std::chrono::milliseconds timeout) {
  for (int retries = 2;; --retries) {
    bool ok = pollUntil(timeout, [&] { return !running() || healthStatus() == 200; });
    if (retries == 0 || !lostAPortRace()) return aliveOrReport("/health") && ok;
    std::fprintf(stderr, "RouterProcess: a port was taken before the router bound it; again on "
                         "new ports\n");
    options_.port = freeTcpPort();
    options_.status_port = freeTcpPort();
    options_.routes_port = freeTcpPort();
    config_yaml_ = routerConfigYaml(options_);
    std::ofstream(config_path_, std::ios::trunc) << config_yaml_;
    std::ofstream(log_path_, std::ios::trunc);  // the next run's log alone
    if (!start()) return false;
  }
}

bool RouterProcess::waitForRoute(const std::string& uri, size_t min_endpoints,
                                 std::chrono::milliseconds timeout) {
  auto has_route = [&] {
    auto json = nlohmann::json::parse(routesJson(), nullptr, /*allow_exceptions=*/false);
    return json.is_object() && json.contains(uri) && json[uri].size() >= min_endpoints;
  };
  bool ok = pollUntil(timeout, [&] { return !running() || has_route(); });
  return aliveOrReport(("route " + uri).c_str()) && ok;
}

bool RouterProcess::waitForRouteGone(const std::string& uri, std::chrono::milliseconds timeout) {
  auto gone = [&] {
    auto json = nlohmann::json::parse(routesJson(), nullptr, /*allow_exceptions=*/false);
    return json.is_object() && !json.contains(uri);
  };
  bool ok = pollUntil(timeout, [&] { return !running() || gone(); });
  return aliveOrReport(("removal of route " + uri).c_str()) && ok;
}

bool RouterProcess::waitForLog(const std::string& text, std::chrono::milliseconds timeout) {
  return pollUntil(timeout, [&] { return logs().find(text) != std::string::npos; });
}

std::string RouterProcess::logs() const {
  if (log_path_.empty()) {
    return "";
  }
  std::ifstream in(log_path_, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

bool RouterProcess::sanitizerReported() const {
  std::string text = logs();
  return text.find("ERROR: AddressSanitizer") != std::string::npos ||
         text.find("ERROR: LeakSanitizer") != std::string::npos ||
         text.find("runtime error:") != std::string::npos;
}

}  // namespace foundry::test
