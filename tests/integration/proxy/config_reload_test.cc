// Live reload on SIGHUP (router/server/config_reloader.h), through the real router with two
// workers: under load nothing fails and the new settings show; a broken file is refused with
// the old settings kept; restart-only keys are reported and left alone; a new port moves the
// listeners while connections accepted on the old one finish; a port that cannot be bound
// refuses the reload.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <mutex>
#include <set>
#include <thread>

#include "tests/integration/proxy/router_fixture.h"
#include "tests/test_common/ports.h"

namespace foundry::test {
namespace {

using namespace std::chrono_literals;

std::string rewriteYaml(const std::string& value) {
  return "http_rewrite:\n  responses:\n    add_headers_if_not_present:\n"
         "    - name: X-Config\n      value: " + value + "\n";
}

class ConfigReloadTest : public RouterFixture {
 protected:
  void configure(RouterOptions& options) override {
    options.workers = 2;
    options.extra_yaml = rewriteYaml("v0") + "endpoint_timeout: 10s\n";
  }

  void SetUp() override {
    RouterFixture::SetUp();
    backend_.setHandler([](const BackendRequest& r) {
      BackendResponse resp = BackendResponse::text(200, "done " + r.target);
      if (r.target == "/slow") resp.delay = 1500ms;
      return resp;
    });
    addRoute("app.example.com", backend_.port());
  }

  // Rewrites the router's config file: the fixture's settings with `extra_yaml` (and `port`,
  // when given) instead of the start-up ones.
  void writeConfig(const std::string& extra_yaml, uint16_t port = 0) {
    RouterOptions options = router_->options();
    options.extra_yaml = extra_yaml;
    if (port != 0) options.port = port;
    std::ofstream(router_->configPath()) << routerConfigYaml(options);
  }
  void writeRawConfig(const std::string& text) {
    std::ofstream(router_->configPath()) << text;
  }

  static std::string generationLog(int generation) {
    return "\"message\":\"config-reloaded\",\"data\":{\"generation\":\"" +
           std::to_string(generation) + "\"";
  }
  // Sends SIGHUP and waits for the reload to be logged as generation `generation`.
  bool reloadTo(int generation) {
    router_->signal(SIGHUP);
    return router_->waitForLog(generationLog(generation), 5s);
  }

  std::string configHeader(uint16_t port) {
    auto r = httpGet(port, "app.example.com", "/");
    if (!r) return "no response";
    return r->header("X-Config").value_or("<none>");
  }

  FakeBackend backend_{"a"};
};

TEST_F(ConfigReloadTest, ReloadUnderLoadDropsNothingAndTheNewSettingsShow) {
  // A request in flight across every reload.
  HttpClient slow(port());
  ASSERT_TRUE(slow.send("GET /slow HTTP/1.1\r\nHost: app.example.com\r\n\r\n"));

  std::atomic<bool> stop{false};
  std::atomic<int> ok{0};
  std::atomic<int> failed{0};
  std::mutex seen_mu;
  std::set<std::string> keep_alive_seen;  // X-Config values one keep-alive connection saw
  std::string first_failure;
  auto fail = [&](const std::string& what) {
    std::lock_guard<std::mutex> lock(seen_mu);
    if (failed++ == 0) first_failure = what;
  };
  std::thread keep_alive([&] {
    HttpClient c(port());
    while (!stop) {
      auto r = c.get("app.example.com", "/ka");
      if (!r || r->status != 200) {
        fail("keep-alive: " + (r ? std::to_string(r->status) : c.lastError()));
        c.close();
        continue;
      }
      ++ok;
      std::lock_guard<std::mutex> lock(seen_mu);
      keep_alive_seen.insert(r->header("X-Config").value_or("<none>"));
    }
  });
  std::vector<std::thread> fresh;
  for (int t = 0; t < 2; ++t) {
    fresh.emplace_back([&] {
      while (!stop) {
        auto r = httpGet(port(), "app.example.com", "/new");
        if (!r || r->status != 200) {
          fail("new connection: " + (r ? std::to_string(r->status) : std::string("no response")));
          continue;
        }
        ++ok;
      }
    });
  }

  // Six reloads, 400 ms apart, each changing the response header rule and a timeout.
  constexpr int kReloads = 6;
  for (int i = 1; i <= kReloads; ++i) {
    std::this_thread::sleep_for(400ms);
    writeConfig(rewriteYaml("v" + std::to_string(i)) + "endpoint_timeout: " +
                std::to_string(10 + i) + "s\n");
    EXPECT_TRUE(reloadTo(i + 1)) << router_->logs();
  }
  std::this_thread::sleep_for(400ms);
  stop = true;
  keep_alive.join();
  for (auto& t : fresh) t.join();

  EXPECT_EQ(failed.load(), 0) << first_failure;
  EXPECT_GT(ok.load(), 100);
  auto r = slow.readResponse(5s);
  ASSERT_TRUE(r) << slow.lastError();
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "done /slow");
  // The last settings are in force, and the keep-alive connection picked up newer snapshots
  // between its requests without being closed.
  EXPECT_EQ(configHeader(port()), "v" + std::to_string(kReloads));
  EXPECT_GE(keep_alive_seen.size(), 3u);
  EXPECT_EQ(keep_alive_seen.count("v" + std::to_string(kReloads)), 1u);
}

TEST_F(ConfigReloadTest, ShorterEndpointTimeoutAppliesToNewRequestsOnly) {
  HttpClient before(port());
  ASSERT_TRUE(before.send("GET /slow HTTP/1.1\r\nHost: app.example.com\r\n\r\n"));
  ASSERT_TRUE(backend_.waitForRequests(1));
  writeConfig(rewriteYaml("v0") + "endpoint_timeout: 400ms\n");
  ASSERT_TRUE(reloadTo(2)) << router_->logs();

  const auto start = std::chrono::steady_clock::now();
  auto after = httpGet(port(), "app.example.com", "/slow", {}, 5s);
  const auto took = std::chrono::steady_clock::now() - start;
  ASSERT_TRUE(after);
  EXPECT_EQ(after->status, 502);
  EXPECT_LT(took, 1400ms);  // the backend needs 1500 ms: the new 400 ms cut it off
  // The request that started under the old 10 s timeout keeps it and completes.
  auto r = before.readResponse(5s);
  ASSERT_TRUE(r) << before.lastError();
  EXPECT_EQ(r->status, 200);
}

TEST_F(ConfigReloadTest, BrokenConfigIsRefusedAndTheOldSettingsStay) {
  writeRawConfig("port: [8081\nstatus: {\n");  // not YAML
  router_->signal(SIGHUP);
  ASSERT_TRUE(router_->waitForLog("config-reload-failed")) << router_->logs();
  EXPECT_NE(router_->logs().find("invalid YAML"), std::string::npos);
  EXPECT_EQ(configHeader(port()), "v0");

  writeConfig(rewriteYaml("v1") + "endpoint_timeout: banana\n");  // fails validation
  router_->signal(SIGHUP);
  auto deadline = std::chrono::steady_clock::now() + 5s;
  while (router_->logs().find("'endpoint_timeout'") == std::string::npos &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(20ms);
  }
  EXPECT_NE(router_->logs().find("config key 'endpoint_timeout': invalid duration"),
            std::string::npos)
      << router_->logs();
  EXPECT_EQ(configHeader(port()), "v0");  // the half-good file changed nothing either
  EXPECT_EQ(router_->healthStatus(), 200);

  writeConfig(rewriteYaml("v1") + "ip: 300.1.1.1\n");  // no such address to listen on
  router_->signal(SIGHUP);
  EXPECT_TRUE(router_->waitForLog("invalid listen address '300.1.1.1'")) << router_->logs();
  EXPECT_EQ(configHeader(port()), "v0");

  // A good file afterwards is generation 2: the refused ones published nothing.
  writeConfig(rewriteYaml("v2"));
  ASSERT_TRUE(reloadTo(2)) << router_->logs();
  EXPECT_EQ(configHeader(port()), "v2");
}

TEST_F(ConfigReloadTest, RestartOnlyKeysAreReportedAndLeftAsTheyWere) {
  RouterOptions options = router_->options();
  const uint16_t other_status_port = freeTcpPort();
  options.workers = 3;
  options.status_port = other_status_port;
  options.extra_yaml = rewriteYaml("v1");
  std::ofstream(router_->configPath()) << routerConfigYaml(options);
  ASSERT_TRUE(reloadTo(2)) << router_->logs();
  EXPECT_NE(router_->logs().find("\"message\":\"config-needs-restart\",\"data\":{\"keys\":"
                                 "\"workers, status.port\""),
            std::string::npos)
      << router_->logs();
  EXPECT_EQ(configHeader(port()), "v1");  // the live key in the same file applied
  EXPECT_EQ(router_->healthStatus(), 200);  // still on the old status port
  EXPECT_FALSE(httpGet(other_status_port, "localhost", "/health", {}, 500ms));
}

TEST_F(ConfigReloadTest, PortChangeMovesTheListenerAndAcceptedConnectionsFinish) {
  const uint16_t old_port = port();
  HttpClient kept(old_port);
  auto r = kept.get("app.example.com", "/before");
  ASSERT_TRUE(r) << kept.lastError();
  HttpClient in_flight(old_port);
  ASSERT_TRUE(in_flight.send("GET /slow HTTP/1.1\r\nHost: app.example.com\r\n\r\n"));
  ASSERT_TRUE(backend_.waitForRequests(2));

  const uint16_t new_port = freeTcpPort();
  writeConfig(rewriteYaml("v1"), new_port);
  ASSERT_TRUE(reloadTo(2)) << router_->logs();
  // Both workers accept on the new port...
  for (int i = 0; i < 20; ++i) {
    EXPECT_EQ(configHeader(new_port), "v1") << i;
  }
  // ...and have closed the old one.
  bool refused = false;
  for (int i = 0; i < 100 && !refused; ++i) {
    HttpClient probe(old_port);
    refused = !probe.connect(200ms);
    if (!refused) std::this_thread::sleep_for(20ms);
  }
  EXPECT_TRUE(refused);
  // Connections accepted on the old port go on: the in-flight request completes, and the
  // keep-alive one still serves requests (with the new settings).
  r = in_flight.readResponse(5s);
  ASSERT_TRUE(r) << in_flight.lastError();
  EXPECT_EQ(r->status, 200);
  r = kept.get("app.example.com", "/after");
  ASSERT_TRUE(r) << kept.lastError();
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->header("X-Config").value_or(""), "v1");
}

TEST_F(ConfigReloadTest, PortThatCannotBeBoundRefusesTheReload) {
  // Held without SO_REUSEPORT, so the router's listeners cannot share it.
  int blocker = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  ASSERT_GE(blocker, 0);
  sockaddr_in sin{};
  sin.sin_family = AF_INET;
  sin.sin_addr.s_addr = htonl(INADDR_ANY);
  ASSERT_EQ(::bind(blocker, reinterpret_cast<sockaddr*>(&sin), sizeof sin), 0);
  ASSERT_EQ(::listen(blocker, 1), 0);
  socklen_t len = sizeof sin;
  ASSERT_EQ(::getsockname(blocker, reinterpret_cast<sockaddr*>(&sin), &len), 0);
  const uint16_t taken = ntohs(sin.sin_port);

  writeConfig(rewriteYaml("v1"), taken);
  router_->signal(SIGHUP);
  ASSERT_TRUE(router_->waitForLog("config-reload-failed")) << router_->logs();
  EXPECT_NE(router_->logs().find("cannot listen on 0.0.0.0:" + std::to_string(taken)),
            std::string::npos)
      << router_->logs();
  ::close(blocker);
  // Nothing changed: the old port, the old header.
  EXPECT_EQ(configHeader(port()), "v0");
  writeConfig(rewriteYaml("v2"));
  ASSERT_TRUE(reloadTo(2)) << router_->logs();
  EXPECT_EQ(configHeader(port()), "v2");
}

}  // namespace
}  // namespace foundry::test
