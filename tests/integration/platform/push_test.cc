// The platform end to end, with real processes only: nats-server, the router, the controller
// (staging with the real buildpacks), the scheduler and two cells, driven by the `foundry` CLI
// as a user would: push -> routed, a killed instance is restarted and the route follows,
// scale 1 -> 3 -> 1, blue-green by route mapping under load with zero failed requests, a rolling
// deployment (POST /v3/deployments) of a new droplet under load with zero failed requests, and
// an app that never passes its health check is reported and never routed.
#include <gtest/gtest.h>
#include <signal.h>

#include <fstream>
#include <regex>
#include <set>
#include <sstream>

#include "tests/integration/faults/load_generator.h"
#include "tests/integration/platform/platform.h"
#include "tests/unit/control/staging/zip_builder.h"
#include "tests/test_common/files.h"

#if defined(SCHEDULER_BINARY) && defined(CELL_BINARY) && defined(FOUNDRY_CLI_BINARY) && \
    defined(CONTROLLER_BINARY)

namespace foundry::test {
namespace {

using namespace std::chrono_literals;

// "hello from <app> instance N\n" bodies -> the set of N seen for that app (others ignored).
std::set<std::string> instancesOf(const std::vector<std::string>& bodies, const std::string& app) {
  std::set<std::string> out;
  std::regex re("^200 hello from " + app + " instance ([0-9]+)\n$");
  for (const auto& b : bodies) {
    std::smatch m;
    if (std::regex_match(b, m, re)) out.insert(m[1]);
  }
  return out;
}

// The pid listening on 127.0.0.1:port or 0.0.0.0:port (via ss), 0 if none.
pid_t listenerPid(int port) {
  std::string cmd = "ss -ltnpH 'sport = :" + std::to_string(port) + "' 2>/dev/null";
  FILE* p = popen(cmd.c_str(), "r");
  if (!p) return 0;
  char buf[1024];
  std::string out;
  while (fgets(buf, sizeof buf, p)) out += buf;
  pclose(p);
  std::smatch m;
  if (std::regex_search(out, m, std::regex("pid=([0-9]+)"))) return std::stoi(m[1]);
  return 0;
}

class PushTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(platform.start()) << platform.logs(); }

  void push(const std::vector<std::string>& args) {
    std::vector<std::string> full{"push"};
    full.insert(full.end(), args.begin(), args.end());
    auto r = platform.cli(full);
    ASSERT_EQ(r.exit_code, 0) << r.output << platform.logs();
    last_output = r.output;
  }

  Platform platform;
  std::string last_output;
};

TEST_F(PushTest, PushedAppIsRoutedToEveryInstance) {
  push({"hello", "-p", platform.example("node-hello"), "-i", "2", "-m", "128M"});
  EXPECT_NE(last_output.find("hello.apps.internal"), std::string::npos) << last_output;
  ASSERT_TRUE(platform.waitRunning("hello", 2)) << platform.stats("hello").dump();
  // Round-robin across both instances, through the router.
  EXPECT_TRUE(platform.waitBodies("hello.apps.internal", 6, [](const auto& bodies) {
    return instancesOf(bodies, "hello") == std::set<std::string>{"0", "1"};
  })) << platform.logs();
  // Anti-affinity: the two instances were placed on different cells (port ranges 250 apart).
  auto stats = platform.stats("hello");
  ASSERT_EQ(stats.size(), 2u);
  int port0 = stats[0]["instance_ports"][0]["external"].get<int>();
  int port1 = stats[1]["instance_ports"][0]["external"].get<int>();
  EXPECT_NE(port0 / 250, port1 / 250) << stats.dump();
}

TEST_F(PushTest, StaticSiteIsServedThroughTheRouter) {
  push({"site", "-p", platform.example("static-site"), "-m", "64M"});
  std::optional<HttpResponse> r;
  for (int i = 0; i < 50 && !(r && r->status == 200); ++i) {
    r = platform.get("site.apps.internal");
    std::this_thread::sleep_for(100ms);
  }
  ASSERT_TRUE(r) << platform.logs();
  EXPECT_EQ(r->status, 200) << r->body;
  EXPECT_NE(r->body.find("<html"), std::string::npos) << r->body;
}

TEST_F(PushTest, KilledInstanceIsRestartedAndTheRouteFollows) {
  push({"phoenix", "-p", platform.example("node-hello"), "-m", "128M"});
  ASSERT_TRUE(platform.waitRunning("phoenix", 1));
  int old_port = platform.stats("phoenix")[0]["instance_ports"][0]["external"].get<int>();
  pid_t pid = listenerPid(old_port);
  ASSERT_GT(pid, 0) << "nobody listens on " << old_port;
  ASSERT_EQ(kill(pid, SIGKILL), 0);

  // A new instance comes up (crash 1: restarted at once) and the router follows it.
  auto deadline = std::chrono::steady_clock::now() + 40s;
  int new_port = 0;
  while (std::chrono::steady_clock::now() < deadline) {
    auto stats = platform.stats("phoenix");
    if (stats.size() == 1 && stats[0].value("state", "") == "RUNNING") {
      int port = stats[0]["instance_ports"][0]["external"].get<int>();
      if (port != old_port || listenerPid(port) != pid) {
        new_port = port;
        break;
      }
    }
    std::this_thread::sleep_for(200ms);
  }
  ASSERT_NE(new_port, 0) << platform.stats("phoenix").dump() << platform.logs();
  EXPECT_TRUE(platform.waitBodies("phoenix.apps.internal", 4, [](const auto& bodies) {
    for (const auto& b : bodies) {
      if (b != "200 hello from phoenix instance 0\n") return false;
    }
    return true;
  })) << platform.logs();
  if (new_port != old_port) {
    EXPECT_EQ(platform.router().routesJson().find(":" + std::to_string(old_port) + "\""),
              std::string::npos)
        << "the dead instance is still routed: " << platform.router().routesJson();
  }
}

TEST_F(PushTest, ScaleOneToThreeToOne) {
  push({"elastic", "-p", platform.example("node-hello"), "-m", "64M"});
  ASSERT_TRUE(platform.waitRunning("elastic", 1));

  auto up = platform.cli({"scale", "elastic", "-i", "3"});
  ASSERT_EQ(up.exit_code, 0) << up.output;
  ASSERT_TRUE(platform.waitRunning("elastic", 3)) << platform.stats("elastic").dump();
  EXPECT_TRUE(platform.waitBodies("elastic.apps.internal", 9, [](const auto& bodies) {
    return instancesOf(bodies, "elastic") == std::set<std::string>{"0", "1", "2"};
  })) << platform.logs();

  auto down = platform.cli({"scale", "elastic", "-i", "1"});
  ASSERT_EQ(down.exit_code, 0) << down.output;
  ASSERT_TRUE(platform.waitRunning("elastic", 1)) << platform.stats("elastic").dump();
  EXPECT_TRUE(platform.waitBodies("elastic.apps.internal", 6, [](const auto& bodies) {
    return instancesOf(bodies, "elastic") == std::set<std::string>{"0"} && bodies.size() == 6 &&
           std::all_of(bodies.begin(), bodies.end(),
                       [](const auto& b) { return b.rfind("200 ", 0) == 0; });
  })) << platform.logs();
}

TEST_F(PushTest, BlueGreenByRouteMappingLosesNoRequest) {
  push({"blue", "-p", platform.example("node-hello"), "-i", "2", "-m", "64M", "-n", "demo"});
  push({"green", "-p", platform.example("node-hello"), "-i", "2", "-m", "64M", "-n",
        "demo-temp"});
  ASSERT_TRUE(platform.waitRunning("blue", 2));
  ASSERT_TRUE(platform.waitRunning("green", 2));
  ASSERT_TRUE(platform.waitBodies("demo.apps.internal", 4, [](const auto& bodies) {
    return instancesOf(bodies, "blue").size() == 2;
  }));

  LoadGenerator load(platform.routerPort(), "demo.apps.internal",
                     {.threads = 3, .max_duration = 40s});
  load.start();
  std::this_thread::sleep_for(500ms);
  auto map = platform.cli({"map-route", "green", Platform::kDomain, "-n", "demo"});
  ASSERT_EQ(map.exit_code, 0) << map.output;
  // Both apps serve the route for a while (the router spreads over all four instances).
  EXPECT_TRUE(platform.waitBodies("demo.apps.internal", 8, [](const auto& bodies) {
    return !instancesOf(bodies, "green").empty() && !instancesOf(bodies, "blue").empty();
  })) << platform.logs();
  auto unmap = platform.cli({"unmap-route", "blue", Platform::kDomain, "-n", "demo"});
  ASSERT_EQ(unmap.exit_code, 0) << unmap.output;
  ASSERT_TRUE(platform.waitBodies("demo.apps.internal", 8, [](const auto& bodies) {
    return instancesOf(bodies, "blue").empty() && instancesOf(bodies, "green").size() == 2;
  })) << platform.logs();
  auto settled = Clock::now();
  std::this_thread::sleep_for(1s);
  load.stop();

  auto summary = load.summary();
  EXPECT_GT(summary.total(), 100u);
  EXPECT_EQ(summary.failures(), 0u) << summary.describe();
  for (const auto& [body, count] : summary.bodiesSentAfter(settled)) {
    EXPECT_EQ(body.rfind("hello from green instance ", 0), 0u)
        << count << " requests after the switch got: " << body;
  }
}

// Stages a modified node-hello ("hello v2 from ...") for the app through the API (package,
// upload, build), as `cf push --strategy rolling` does before its deployment; the droplet guid.
std::string stageVersion2(Platform& platform, const std::string& app) {
  const std::string dir = platform.example("node-hello");
  std::string server = readFile(dir + "/server.js");
  const std::string from = "`hello from ";
  size_t at = server.find(from);
  EXPECT_NE(at, std::string::npos) << "examples/node-hello/server.js changed";
  if (at == std::string::npos) return "";
  server.replace(at, from.size(), "`hello v2 from ");
  std::string zip = makeZip({{"package.json", readFile(dir + "/package.json")},
                             {"server.js", server}});
  auto package = platform.apiCall(
      "POST", "/v3/packages",
      nlohmann::json{{"type", "bits"}, {"relationships", {{"app", {{"data", {{"guid", app}}}}}}}}
          .dump());
  EXPECT_EQ(package.status, 201) << package.raw;
  const std::string package_guid = package.body.value("guid", "");
  const std::string boundary = "v2-b0undary";
  std::string body = "--" + boundary +
                     "\r\nContent-Disposition: form-data; name=\"resources\"\r\n\r\n[]\r\n--" +
                     boundary +
                     "\r\nContent-Disposition: form-data; name=\"bits\"; "
                     "filename=\"application.zip\"\r\nContent-Type: application/zip\r\n\r\n" +
                     zip + "\r\n--" + boundary + "--\r\n";
  auto upload = platform.apiCall("POST", "/v3/packages/" + package_guid + "/upload", body,
                                 "multipart/form-data; boundary=" + boundary);
  EXPECT_EQ(upload.status, 200) << upload.raw;
  auto deadline = std::chrono::steady_clock::now() + 20s;
  while (std::chrono::steady_clock::now() < deadline &&
         platform.apiCall("GET", "/v3/packages/" + package_guid).body.value("state", "") !=
             "READY") {
    std::this_thread::sleep_for(100ms);
  }
  auto build = platform.apiCall(
      "POST", "/v3/builds", nlohmann::json{{"package", {{"guid", package_guid}}}}.dump());
  EXPECT_EQ(build.status, 201) << build.raw;
  const std::string build_guid = build.body.value("guid", "");
  deadline = std::chrono::steady_clock::now() + 90s;
  nlohmann::json b;
  while (std::chrono::steady_clock::now() < deadline) {
    b = platform.apiCall("GET", "/v3/builds/" + build_guid).body;
    if (b.is_object() && b.value("state", "") != "STAGING") break;
    std::this_thread::sleep_for(200ms);
  }
  EXPECT_EQ(b.value("state", ""), "STAGED") << b.dump();
  return b.is_object() && b["droplet"].is_object() ? b["droplet"].value("guid", "") : "";
}

TEST_F(PushTest, RollingDeploymentOfANewDropletLosesNoRequest) {
  push({"roll", "-p", platform.example("node-hello"), "-i", "2", "-m", "64M"});
  ASSERT_TRUE(platform.waitRunning("roll", 2));
  ASSERT_TRUE(platform.waitBodies("roll.apps.internal", 4, [](const auto& bodies) {
    return instancesOf(bodies, "roll").size() == 2;
  })) << platform.logs();
  const std::string app = platform.appGuid("roll");
  const std::string droplet = stageVersion2(platform, app);
  ASSERT_FALSE(droplet.empty()) << platform.logs();

  LoadGenerator load(platform.routerPort(), "roll.apps.internal",
                     {.threads = 3, .max_duration = 55s});
  load.start();
  std::this_thread::sleep_for(500ms);
  auto started = Clock::now();
  auto created = platform.apiCall(
      "POST", "/v3/deployments",
      nlohmann::json{{"droplet", {{"guid", droplet}}},
                     {"relationships", {{"app", {{"data", {{"guid", app}}}}}}}}
          .dump());
  ASSERT_EQ(created.status, 201) << created.raw;
  EXPECT_EQ(created.body["state"], "DEPLOYING");
  const std::string deployment = created.body.value("guid", "");

  // Finalized once both new instances run; meanwhile the old ones serve.
  auto deadline = std::chrono::steady_clock::now() + 45s;
  nlohmann::json d;
  while (std::chrono::steady_clock::now() < deadline) {
    d = platform.apiCall("GET", "/v3/deployments/" + deployment).body;
    if (d.is_object() && d["status"].value("value", "") == "FINALIZED") break;
    std::this_thread::sleep_for(200ms);
  }
  ASSERT_EQ(d["status"].value("value", ""), "FINALIZED") << d.dump() << platform.logs();
  EXPECT_EQ(d["status"].value("reason", ""), "DEPLOYED") << d.dump();
  EXPECT_EQ(d.value("state", ""), "DEPLOYED") << d.dump();
  auto deployed = Clock::now();

  // The old instances go (unregistered, then stopped); only the new version answers.
  auto v2Only = [](const std::vector<std::string>& bodies) {
    return std::all_of(bodies.begin(), bodies.end(), [](const std::string& b) {
      return b.rfind("200 hello v2 from roll instance ", 0) == 0;
    });
  };
  ASSERT_TRUE(platform.waitBodies("roll.apps.internal", 8, v2Only, 20s)) << platform.logs();
  auto settled = Clock::now();
  std::this_thread::sleep_for(1s);
  load.stop();

  auto summary = load.summary();
  EXPECT_GT(summary.total(), 100u);
  EXPECT_EQ(summary.failures(), 0u) << summary.describe(started);
  // Both versions answered during the deployment (the old ones until the new ones ran).
  size_t old_seen = 0, new_seen = 0;
  for (const auto& [body, count] : summary.bodiesSentAfter(started)) {
    if (body.rfind("hello from roll instance ", 0) == 0) old_seen += count;
    if (body.rfind("hello v2 from roll instance ", 0) == 0) new_seen += count;
  }
  EXPECT_GT(old_seen, 0u) << summary.describe(started);
  EXPECT_GT(new_seen, 0u) << summary.describe(started);
  for (const auto& [body, count] : summary.bodiesSentAfter(settled)) {
    EXPECT_EQ(body.rfind("hello v2 from roll instance ", 0), 0u)
        << count << " requests after the deployment settled got: " << body;
  }
  std::cerr << "rolling deployment: finalized after "
            << std::chrono::duration_cast<std::chrono::milliseconds>(deployed - started).count()
            << " ms, old version gone after "
            << std::chrono::duration_cast<std::chrono::milliseconds>(settled - deployed).count()
            << " ms; " << summary.describe(started) << "\n";
  // Both new instances are RUNNING, on the new droplet.
  EXPECT_TRUE(platform.waitRunning("roll", 2)) << platform.stats("roll").dump();
  EXPECT_EQ(platform.api("/v3/apps/" + app + "/droplets/current").value("guid", ""), droplet);
}

TEST_F(PushTest, AppFailingItsHealthCheckIsReportedAndNotRouted) {
  // Never listens on $PORT: the port health check never passes.
  auto r = platform.cli({"push", "sick", "-p", platform.example("node-hello"), "-m", "64M", "-c",
                         "sleep 600", "-t", "2"},
                        std::chrono::seconds(150));
  EXPECT_NE(r.exit_code, 0) << r.output;

  auto deadline = std::chrono::steady_clock::now() + 60s;
  std::string state;
  nlohmann::json stats;
  while (std::chrono::steady_clock::now() < deadline && state != "CRASHED") {
    stats = platform.stats("sick");
    state = stats.empty() ? "" : stats[0].value("state", "");
    std::this_thread::sleep_for(200ms);
  }
  EXPECT_EQ(state, "CRASHED") << stats.dump() << platform.logs();
  if (!stats.empty()) {
    EXPECT_NE(stats[0].value("details", "").find("healthy"), std::string::npos) << stats.dump();
  }
  auto get = platform.get("sick.apps.internal");
  ASSERT_TRUE(get);
  EXPECT_EQ(get->status, 404);
  EXPECT_EQ(get->header("X-Cf-Routererror").value_or(""), "unknown_route");
}

}  // namespace
}  // namespace foundry::test

#endif
