#pragma once
// RouterProcess: runs the real router binary (ROUTER_BINARY) for integration tests. It writes a
// gorouter.yml into a temp folder, spawns `router -c <file>` with stdout/stderr going to a log
// file there, and offers the waits a test needs: healthy, route present/gone, a log line.
//
//   NatsServer nats;
//   FakeBackend be("a");
//   RouterProcess router(nats);                  // defaults below; options.extra_yaml for more
//   ASSERT_TRUE(router.start());
//   ASSERT_TRUE(router.waitHealthy()) << router.logs();
//   ... publish router.register for be.port() as "app.example.com" ...
//   ASSERT_TRUE(router.waitForRoute("app.example.com")) << router.logs();
//   auto r = HttpClient(router.port()).get("app.example.com");
//
// Default config (every port 0 here becomes a free port at start()):
//   port, status.port, status.routes.port: free ports;  status.user/pass: "user"/"pass";
//   nats.hosts: [{hostname: 127.0.0.1, port: <nats>}];  start_response_delay_interval: 0s;
//   logging.level: info;  workers: 1.
// options.extra_yaml is merged over that (maps key by key, other values replace), then every
// options.set entry ("status.pass" -> "secret"; the value is parsed as YAML).
//
// When a wait fails because the router exited, its state and the end of its log go to stderr.
// The child gets PR_SET_PDEATHSIG(SIGKILL), so it dies with the test process. The destructor
// stops it; it also reports a test failure when the log holds a sanitizer report, and keeps
// the temp folder (printing its path) when the test has failed.

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace foundry::test {

class NatsServer;

struct RouterOptions {
  uint16_t nats_port = 0;
  uint16_t port = 0;         // 0: a free port
  uint16_t status_port = 0;  // 0: a free port
  uint16_t routes_port = 0;  // 0: a free port
  std::string user = "user";
  std::string pass = "pass";
  std::string start_response_delay = "0s";
  std::string log_level = "info";
  int workers = 1;
  std::string extra_yaml;                  // merged over the defaults
  std::map<std::string, std::string> set;  // dotted key -> YAML value, applied last
  std::vector<std::string> extra_args;     // appended to `router -c <file>`
};

class RouterProcess {
 public:
  explicit RouterProcess(RouterOptions options = {});
  explicit RouterProcess(const NatsServer& nats, RouterOptions options = {});
  ~RouterProcess();
  RouterProcess(const RouterProcess&) = delete;
  RouterProcess& operator=(const RouterProcess&) = delete;

  // Writes the config (choosing free ports) and spawns the router. False if the binary could
  // not be started (see logs()). May be called again after stop(): same ports, same folder, the
  // log file is appended to.
  bool start();
  // Polls GET /health on the status port until 200. False on timeout or if the router exited.
  // A router that exited because another process took one of the ports start() picked between
  // picking and binding (ctest runs suites in parallel) is started again on new free ports, up
  // to twice.
  bool waitHealthy(std::chrono::milliseconds timeout = std::chrono::seconds(10));
  // Polls GET /routes until `uri` ("host" or "host/path", as the JSON key) has at least
  // min_endpoints endpoints / is gone.
  bool waitForRoute(const std::string& uri, size_t min_endpoints = 1,
                    std::chrono::milliseconds timeout = std::chrono::seconds(10));
  bool waitForRouteGone(const std::string& uri,
                        std::chrono::milliseconds timeout = std::chrono::seconds(10));
  // Waits until the log contains `text`.
  bool waitForLog(const std::string& text,
                  std::chrono::milliseconds timeout = std::chrono::seconds(10));

  // GET /health status code (0 if no answer) and GET /routes body ("" if no answer).
  int healthStatus();
  std::string routesJson();

  // SIGTERM, then SIGKILL after `grace`. Returns the wait(2) status, or -1 if not running.
  int stop(std::chrono::milliseconds grace = std::chrono::seconds(5));
  // Waits for the router to exit on its own; the wait(2) status, or nullopt on timeout.
  std::optional<int> waitExit(std::chrono::milliseconds timeout = std::chrono::seconds(10));
  bool running();
  void signal(int sig);
  pid_t pid() const { return pid_; }
  // wait(2) status of the last run that ended, if any.
  std::optional<int> lastExitStatus() const { return exit_status_; }
  // "running (pid N)", "exited with code N", "killed by signal N (NAME)" or "not started".
  std::string describeState();

  // Everything the router wrote to stdout/stderr so far.
  std::string logs() const;
  // True if the log holds an ASan/UBSan/LSan report.
  bool sanitizerReported() const;

  uint16_t port() const { return options_.port; }
  uint16_t statusPort() const { return options_.status_port; }
  uint16_t routesPort() const { return options_.routes_port; }
  const std::string& dir() const { return dir_; }
  const std::string& configPath() const { return config_path_; }
  const std::string& configYaml() const { return config_yaml_; }
  const RouterOptions& options() const { return options_; }

 private:
  bool reap(bool block);  // waitpid; true if the child has ended (exit_status_ set)
  // For the waits: true while running; otherwise reports the exit on stderr (once) and false.
  bool aliveOrReport(const char* waiting_for);
  // The router exited on "Address already in use" for ports start() picked itself.
  bool lostAPortRace();


  RouterOptions options_;
  std::string dir_;
  std::string config_path_;
  std::string config_yaml_;
  std::string log_path_;
  pid_t pid_ = -1;
  std::optional<int> exit_status_;
  bool exit_reported_ = false;
  bool picked_ports_ = false;  // every port was 0 in the options: start() chose them
};

// The YAML RouterProcess writes for `options` (ports as given, 0 stays 0). Exposed for tests
// of the helper itself.
std::string routerConfigYaml(const RouterOptions& options);

}  // namespace foundry::test
