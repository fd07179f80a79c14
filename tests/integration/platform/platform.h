#pragma once
// Platform: the whole thing on loopback for end-to-end tests — a real nats-server, the router,
// the controller, the scheduler and two cells (zones z1 and z2), each on free ports with its
// log under one temp folder, and the `foundry` CLI pointed at the controller.
//
//   Platform p;
//   ASSERT_TRUE(p.start()) << p.logs();
//   auto push = p.cli({"push", "blue", "-p", p.example("node-hello"), "-i", "2"});
//   ASSERT_EQ(push.exit_code, 0) << push.output << p.logs();
//   auto r = p.get("blue.apps.internal");      // through the router
//
// Timings are shortened for tests (convergence every second); the restart policy, health
// checks and route emission are the production code paths.
#include <chrono>
#include <memory>
#include <optional>
#include <thread>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "tests/test_common/child_process.h"
#include "tests/test_common/http_client.h"
#include "tests/test_common/nats_server.h"
#include "tests/test_common/router_process.h"

namespace foundry::test {

struct CliResult {
  int exit_code = -1;
  std::string output;  // stdout and stderr together
};

class Platform {
 public:
  static constexpr const char* kDomain = "apps.internal";

  // `router_yaml` is merged over the router's test config (RouterOptions::extra_yaml).
  explicit Platform(std::string router_yaml = "");
  ~Platform();

  bool start();
  std::string logs() const;  // the tail of every component's log, for failure messages

  // Runs the CLI with FOUNDRY_HOME in the temp folder (already targeted at the controller).
  // `env` adds "NAME=value" entries to its environment (e.g. CF_DOCKER_PASSWORD).
  CliResult cli(const std::vector<std::string>& args,
                std::chrono::seconds timeout = std::chrono::seconds(120),
                const std::vector<std::string>& env = {});
  std::string example(const std::string& name) const;  // path of examples/<name>

  // A GET through the router for host (e.g. "blue.apps.internal").
  std::optional<HttpResponse> get(const std::string& host, const std::string& path = "/");
  // Bodies of `n` GETs through the router, each on a fresh connection.
  std::vector<std::string> bodies(const std::string& host, int n);
  // Polls until `pred` holds over a fresh batch of `n` bodies; false on timeout.
  template <typename Pred>
  bool waitBodies(const std::string& host, int n, Pred pred,
                  std::chrono::milliseconds timeout = std::chrono::seconds(30));

  // Controller API calls.
  nlohmann::json api(const std::string& path);
  // Any call as the admin: {status (0: no answer), parsed body (null when none or not JSON)}.
  struct ApiResult {
    long status = 0;
    nlohmann::json body;
    std::string raw;
  };
  ApiResult apiCall(const std::string& method, const std::string& path,
                    const std::string& body = "",
                    const std::string& content_type = "application/json");
  std::string appGuid(const std::string& name);
  nlohmann::json stats(const std::string& app_name);  // web process stats resources
  // Polls the web process stats until `count` instances are RUNNING.
  bool waitRunning(const std::string& app_name, int count,
                   std::chrono::milliseconds timeout = std::chrono::seconds(60));

  uint16_t routerPort() const { return router_->port(); }
  // The NATS the router and the route emitter use ("nats://127.0.0.1:<port>").
  std::string natsUrl() const;
  const std::string& controllerUrl() const { return controller_url_; }
  const std::string& dir() const { return dir_; }
  RouterProcess& router() { return *router_; }
  ChildProcess& cell(int i) { return *cells_[i]; }
  std::string controllerLogs() const { return controller_->logs(); }

 private:
  std::string router_yaml_;
  std::string dir_;
  std::string controller_url_, scheduler_url_;
  std::string bearer_;  // the admin's, for api()
  NatsServer nats_;
  std::unique_ptr<RouterProcess> router_;
  std::unique_ptr<ChildProcess> controller_, scheduler_;
  std::vector<std::unique_ptr<ChildProcess>> cells_;
};

template <typename Pred>
bool Platform::waitBodies(const std::string& host, int n, Pred pred,
                          std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (pred(bodies(host, n))) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  return false;
}

}  // namespace foundry::test
