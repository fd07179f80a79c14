// The API's scheduling hooks over a real SqliteStore: which changes reconcile which app (and
// whether as a restart), what DesiredState reads from the store for them, and the stats
// endpoints with a fake actual-LRP source.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "control/api/api.h"
#include "control/scheduling/desired_state.h"
#include "control/store/sqlite_store.h"
#include "tests/unit/control/test_tokens.h"

namespace foundry::control {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

class SchedulingHooksTest : public ::testing::Test {
 protected:
  struct Change {
    std::string app_guid;
    bool restart;
  };

  void SetUp() override {
    char tmpl[] = "/tmp/control-sched-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    store_ = std::make_unique<SqliteStore>(dir_ + "/controller.db");
    api_ = std::make_unique<Api>(*store_, ApiConfig{});
    api_->bootstrap();
    tokens_ = std::make_unique<test_support::TestTokens>(*store_);
    api_->useTokenService(tokens_->service.get());
    desired_ = std::make_unique<scheduling::DesiredState>(*store_, "http://ctl.internal:9022");
    api_->setSchedulingHooks(
        {[this](const std::string& app, bool restart) { changes_.push_back({app, restart}); },
         [this](const std::string& process_guid)
             -> std::optional<std::vector<sched::ActualLrp>> {
           asked_.push_back(process_guid);
           return actual_;
         }});
  }
  void TearDown() override {
    desired_.reset();
    api_.reset();
    store_.reset();
    fs::remove_all(dir_);
  }

  ApiResponse call(const std::string& method, const std::string& path, const json& body = {}) {
    ApiRequest r;
    r.method = method;
    r.path = path;
    r.body = body.is_null() ? "" : body.dump();
    r.base_url = "http://api.test";
    r.authorization = tokens_->admin;
    ApiResponse resp = api_->handle(r);
    api_->runPendingJobs();
    return resp;
  }

  std::string createApp(const std::string& name, const std::string& droplet = "drop") {
    auto r = call("POST", "/v3/apps",
                  {{"name", name},
                   {"environment_variables", {{"MODE", "test"}}},
                   {"relationships", {{"space", {{"data", {{"guid", api_->defaultSpaceGuid()}}}}}}}});
    EXPECT_EQ(r.status, 201) << r.body;
    std::string guid = r.body.value("guid", "");
    if (!droplet.empty()) giveDroplet(guid, droplet + "-" + name);
    return guid;
  }
  // A staged droplet record made current (staging's store calls).
  void giveDroplet(const std::string& app, const std::string& droplet_guid) {
    Droplet d;
    d.guid = droplet_guid;
    d.app_guid = app;
    d.package_guid = newGuid();
    d.build_guid = newGuid();
    d.sha256 = "sha-" + droplet_guid;
    d.created_at = d.updated_at = nowIso8601();
    ASSERT_EQ(store_->createDroplet(d), WriteResult::Ok);
    ASSERT_EQ(store_->setCurrentDroplet(app, d.guid, d.created_at), WriteResult::Ok);
  }
  std::string createRoute(const std::string& host, const std::string& path = "") {
    json b = {{"host", host},
              {"relationships",
               {{"space", {{"data", {{"guid", api_->defaultSpaceGuid()}}}}},
                {"domain", {{"data", {{"guid", api_->defaultDomainGuid()}}}}}}}};
    if (!path.empty()) b["path"] = path;
    auto r = call("POST", "/v3/routes", b);
    EXPECT_EQ(r.status, 201) << r.body;
    return r.body.value("guid", "");
  }
  Process web(const std::string& app) { return store_->listProcesses(app).at(0); }
  std::vector<std::string> changedApps() {
    std::vector<std::string> apps;
    for (const auto& c : changes_) apps.push_back(c.app_guid);
    changes_.clear();
    return apps;
  }

  std::string dir_;
  std::unique_ptr<SqliteStore> store_;
  std::unique_ptr<Api> api_;
  std::unique_ptr<test_support::TestTokens> tokens_;
  std::unique_ptr<scheduling::DesiredState> desired_;
  std::vector<Change> changes_;
  std::vector<std::string> asked_;
  std::optional<std::vector<sched::ActualLrp>> actual_ = std::vector<sched::ActualLrp>{};
};

TEST_F(SchedulingHooksTest, StartStopRestartReconcileTheApp) {
  std::string app = createApp("a");
  EXPECT_TRUE(changes_.empty());  // creating a stopped app changes nothing desired
  EXPECT_TRUE(desired_->forApp(app).empty());

  ASSERT_EQ(call("POST", "/v3/apps/" + app + "/actions/start").status, 200);
  ASSERT_EQ(changes_.size(), 1u);
  EXPECT_EQ(changes_[0].app_guid, app);
  EXPECT_FALSE(changes_[0].restart);
  auto lrps = desired_->forApp(app);
  ASSERT_EQ(lrps.size(), 1u);
  Process p = web(app);
  EXPECT_EQ(lrps[0].process_guid, p.guid + "-" + p.version);
  EXPECT_EQ(lrps[0].app_name, "a");
  EXPECT_EQ(lrps[0].space_name, "default");
  EXPECT_EQ(lrps[0].organization_name, "default");
  EXPECT_EQ(lrps[0].droplet_guid, "drop-a");
  EXPECT_EQ(lrps[0].droplet_sha256, "sha-drop-a");
  EXPECT_EQ(lrps[0].droplet_url, "http://ctl.internal:9022/internal/v1/droplets/drop-a/download");
  EXPECT_EQ(lrps[0].environment.at("MODE"), "test");
  EXPECT_EQ(desired_->all().size(), 1u);

  changes_.clear();
  ASSERT_EQ(call("POST", "/v3/apps/" + app + "/actions/restart").status, 200);
  ASSERT_EQ(changes_.size(), 1u);
  EXPECT_TRUE(changes_[0].restart);

  changes_.clear();
  ASSERT_EQ(call("POST", "/v3/apps/" + app + "/actions/stop").status, 200);
  EXPECT_EQ(changedApps(), std::vector<std::string>{app});
  EXPECT_TRUE(desired_->forApp(app).empty());
  EXPECT_TRUE(desired_->all().empty());
}

TEST_F(SchedulingHooksTest, StartWithoutDropletIs422AndWantsNothing) {
  std::string app = createApp("nodrop", "");
  auto r = call("POST", "/v3/apps/" + app + "/actions/start");
  EXPECT_EQ(r.status, 422);
  EXPECT_EQ(r.body["errors"][0]["detail"], "Assign a droplet before starting this app.");
  EXPECT_EQ(call("POST", "/v3/apps/" + app + "/actions/restart").status, 422);
  EXPECT_TRUE(changes_.empty());
  EXPECT_EQ(call("POST", "/v3/apps/" + app + "/actions/stop").status, 200);
  EXPECT_TRUE(desired_->forApp(app).empty());
}

TEST_F(SchedulingHooksTest, ScaleAndProcessUpdate) {
  std::string app = createApp("a");
  call("POST", "/v3/apps/" + app + "/actions/start");
  changes_.clear();
  Process before = web(app);
  ASSERT_EQ(call("POST", "/v3/processes/" + before.guid + "/actions/scale", {{"instances", 3}}).status,
            202);
  EXPECT_EQ(changedApps(), std::vector<std::string>{app});
  EXPECT_EQ(desired_->forApp(app).at(0).instances, 3);
  EXPECT_EQ(web(app).version, before.version);  // scaling keeps the LRP

  ASSERT_EQ(call("PATCH", "/v3/processes/" + before.guid, {{"command", "./run"}}).status, 200);
  EXPECT_EQ(changedApps(), std::vector<std::string>{app});
  auto lrp = desired_->forApp(app).at(0);
  EXPECT_EQ(lrp.start_command, "./run");
  EXPECT_NE(lrp.process_guid, before.guid + "-" + before.version);
}

TEST_F(SchedulingHooksTest, NewCurrentDropletIsANewLrp) {
  std::string app = createApp("a");
  call("POST", "/v3/apps/" + app + "/actions/start");
  std::string before = desired_->forApp(app).at(0).process_guid;
  Droplet d;
  d.guid = "drop-2";
  d.app_guid = app;
  d.package_guid = newGuid();
  d.build_guid = newGuid();
  d.sha256 = "sha-2";
  d.created_at = d.updated_at = nowIso8601();
  ASSERT_EQ(store_->createDroplet(d), WriteResult::Ok);
  changes_.clear();
  auto r = call("PATCH", "/v3/apps/" + app + "/relationships/current_droplet",
                {{"data", {{"guid", "drop-2"}}}});
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(changedApps(), std::vector<std::string>{app});
  auto lrp = desired_->forApp(app).at(0);
  EXPECT_NE(lrp.process_guid, before);
  EXPECT_EQ(lrp.droplet_guid, "drop-2");
  EXPECT_EQ(lrp.droplet_sha256, "sha-2");

  // The same droplet again changes nothing.
  r = call("PATCH", "/v3/apps/" + app + "/relationships/current_droplet",
           {{"data", {{"guid", "drop-2"}}}});
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_TRUE(changes_.empty());
  EXPECT_EQ(desired_->forApp(app).at(0).process_guid, lrp.process_guid);
}

TEST_F(SchedulingHooksTest, RouteDestinationsReconcileTheAppsInvolved) {
  std::string a = createApp("a"), b = createApp("b");
  call("POST", "/v3/apps/" + a + "/actions/start");
  std::string route = createRoute("demo", "/api");
  changes_.clear();
  auto added = call("POST", "/v3/routes/" + route + "/destinations",
                    {{"destinations", {{{"app", {{"guid", a}}}, {"port", 9000}}}}});
  ASSERT_EQ(added.status, 200) << added.body;
  EXPECT_EQ(changedApps(), std::vector<std::string>{a});
  auto routes = desired_->forApp(a).at(0).routes;
  ASSERT_EQ(routes.size(), 1u);
  EXPECT_EQ(routes[0], (sched::RouteSpec{"demo.apps.internal", "/api", route, 9000}));

  // Replace: a loses the route, b gains it.
  ASSERT_EQ(call("PATCH", "/v3/routes/" + route + "/destinations",
                 {{"destinations", {{{"app", {{"guid", b}}}}}}})
                .status,
            200);
  EXPECT_EQ(changedApps(), (std::vector<std::string>{a, b}));
  EXPECT_TRUE(desired_->forApp(a).at(0).routes.empty());

  std::string dest = store_->listDestinations(route).at(0).guid;
  ASSERT_EQ(call("DELETE", "/v3/routes/" + route + "/destinations/" + dest).status, 204);
  EXPECT_EQ(changedApps(), std::vector<std::string>{b});

  call("POST", "/v3/routes/" + route + "/destinations", {{"destinations", {{{"app", {{"guid", a}}}}}}});
  changes_.clear();
  ASSERT_EQ(call("DELETE", "/v3/routes/" + route).status, 202);
  EXPECT_EQ(changedApps(), std::vector<std::string>{a});
  EXPECT_TRUE(desired_->forApp(a).at(0).routes.empty());
}

TEST_F(SchedulingHooksTest, WeightsAndRouteOptionsReachTheRouteSpecs) {
  std::string a = createApp("a"), b = createApp("b");
  call("POST", "/v3/apps/" + a + "/actions/start");
  call("POST", "/v3/apps/" + b + "/actions/start");
  std::string route = createRoute("canary", "");
  ASSERT_EQ(call("POST", "/v3/routes/" + route + "/destinations",
                 {{"destinations",
                   {{{"app", {{"guid", a}}}, {"weight", 90}}, {{"app", {{"guid", b}}}, {"weight", 10}}}}})
                .status,
            200);
  changes_.clear();
  auto patched = call("PATCH", "/v3/routes/" + route,
                      {{"options", {{"loadbalancing", "least-connection"},
                                    {"health_check", {{"path", "/up"}}}}}});
  ASSERT_EQ(patched.status, 200) << patched.body;
  // Changing the route's options reconciles every app it routes to.
  EXPECT_EQ(changedApps(), (std::vector<std::string>{a, b}));
  auto routes = desired_->forApp(a).at(0).routes;
  ASSERT_EQ(routes.size(), 1u);
  EXPECT_EQ(routes[0].weight, 90);
  EXPECT_EQ(routes[0].options["loadbalancing"], "least-connection");
  EXPECT_EQ(routes[0].options["health_check"]["path"], "/up");
  EXPECT_EQ(desired_->forApp(b).at(0).routes.at(0).weight, 10);
}

TEST_F(SchedulingHooksTest, RouteServiceBindingsReachTheDesiredRoutes) {
  std::string a = createApp("a");
  call("POST", "/v3/apps/" + a + "/actions/start");
  std::string route = createRoute("demo");
  call("POST", "/v3/routes/" + route + "/destinations",
       {{"destinations", {{{"app", {{"guid", a}}}}}}});
  auto upsi = call("POST", "/v3/service_instances",
                   {{"type", "user-provided"},
                    {"name", "gate"},
                    {"route_service_url", "https://gate.example.com/check"},
                    {"relationships", {{"space", {{"data", {{"guid", api_->defaultSpaceGuid()}}}}}}}});
  ASSERT_EQ(upsi.status, 201) << upsi.body;
  const std::string instance = upsi.body["guid"];
  changes_.clear();

  auto bound = call("POST", "/v3/service_route_bindings",
                    {{"relationships",
                      {{"route", {{"data", {{"guid", route}}}}},
                       {"service_instance", {{"data", {{"guid", instance}}}}}}}});
  ASSERT_EQ(bound.status, 201) << bound.body;
  EXPECT_EQ(changedApps(), std::vector<std::string>{a});
  auto routes = desired_->forApp(a).at(0).routes;
  ASSERT_EQ(routes.size(), 1u);
  EXPECT_EQ(routes[0].route_service_url, "https://gate.example.com/check");

  // A new URL on the instance follows to the route.
  ASSERT_EQ(call("PATCH", "/v3/service_instances/" + instance,
                 {{"route_service_url", "https://gate2.example.com/"}})
                .status,
            200);
  EXPECT_EQ(changedApps(), std::vector<std::string>{a});
  EXPECT_EQ(desired_->forApp(a).at(0).routes.at(0).route_service_url,
            "https://gate2.example.com/");

  ASSERT_EQ(call("DELETE", "/v3/service_route_bindings/" + bound.body["guid"].get<std::string>())
                .status,
            204);
  EXPECT_EQ(changedApps(), std::vector<std::string>{a});
  EXPECT_EQ(desired_->forApp(a).at(0).routes.at(0).route_service_url, "");
}

TEST_F(SchedulingHooksTest, OnlyDestinationsOfTheProcessTypeCount) {
  std::string a = createApp("a");
  call("POST", "/v3/apps/" + a + "/actions/start");
  std::string route = createRoute("worker");
  call("POST", "/v3/routes/" + route + "/destinations",
       {{"destinations", {{{"app", {{"guid", a}, {"process", {{"type", "worker"}}}}}}}}});
  EXPECT_TRUE(desired_->forApp(a).at(0).routes.empty());  // only a web process exists
}

TEST_F(SchedulingHooksTest, AppDeleteReconcilesIt) {
  std::string a = createApp("a");
  call("POST", "/v3/apps/" + a + "/actions/start");
  changes_.clear();
  ASSERT_EQ(call("DELETE", "/v3/apps/" + a).status, 202);
  EXPECT_EQ(changedApps(), std::vector<std::string>{a});
  EXPECT_TRUE(desired_->forApp(a).empty());
}

TEST_F(SchedulingHooksTest, StatsOfAStartedAppAskTheScheduler) {
  std::string a = createApp("a");
  call("POST", "/v3/apps/" + a + "/actions/start");
  Process p = web(a);
  sched::ActualLrp running;
  running.process_guid = p.guid + "-" + p.version;
  running.state = sched::LrpState::kRunning;
  running.address = "127.0.0.1";
  running.port = 61001;
  actual_ = std::vector<sched::ActualLrp>{running};
  auto r = call("GET", "/v3/processes/" + p.guid + "/stats");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(asked_, std::vector<std::string>{running.process_guid});
  ASSERT_EQ(r.body["resources"].size(), 1u);
  EXPECT_EQ(r.body["resources"][0]["state"], "RUNNING");
  EXPECT_EQ(r.body["resources"][0]["instance_ports"][0]["external"], 61001);

  auto by_type = call("GET", "/v3/apps/" + a + "/processes/web/stats");
  EXPECT_EQ(by_type.status, 200);
  EXPECT_EQ(by_type.body["resources"][0]["state"], "RUNNING");
  EXPECT_EQ(call("GET", "/v3/apps/" + a + "/processes/nope/stats").status, 404);
  EXPECT_EQ(call("GET", "/v3/processes/nope/stats").status, 404);

  actual_.reset();  // scheduler unreachable
  auto down = call("GET", "/v3/processes/" + p.guid + "/stats");
  EXPECT_EQ(down.status, 503);
  EXPECT_EQ(down.body["errors"][0]["code"], 200002);
  EXPECT_EQ(down.body["errors"][0]["title"], "CF-StatsUnavailable");
  EXPECT_EQ(down.body["errors"][0]["detail"], "Stats server temporarily unavailable.");
}

TEST_F(SchedulingHooksTest, StatsOfAStoppedAppAreDownWithoutAsking) {
  std::string a = createApp("a");
  Process p = web(a);
  call("POST", "/v3/processes/" + p.guid + "/actions/scale", {{"instances", 2}});
  actual_.reset();
  auto r = call("GET", "/v3/processes/" + p.guid + "/stats");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_TRUE(asked_.empty());
  ASSERT_EQ(r.body["resources"].size(), 2u);
  EXPECT_EQ(r.body["resources"][1]["state"], "DOWN");
}

TEST_F(SchedulingHooksTest, NoHooksMeansNoSchedulerForStats) {
  std::string a = createApp("a");
  call("POST", "/v3/apps/" + a + "/actions/start");
  api_->setSchedulingHooks({});
  EXPECT_EQ(call("GET", "/v3/processes/" + web(a).guid + "/stats").status, 503);
}

}  // namespace
}  // namespace foundry::control
