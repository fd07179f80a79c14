// Rolling deployments through Api::handle (POST/GET /v3/deployments, cancel) with a fake
// scheduler behind the SchedulingHooks: CC's shapes and 422s, permissions, both versions in the
// desired state while DEPLOYING, advanceDeployments finalizing only once every new instance is
// RUNNING, cancel back to the previous droplet, and a deployment superseding another.
#include <gtest/gtest.h>

#include <map>

#include "control/api/api.h"
#include "control/scheduling/desired_state.h"
#include "tests/unit/control/api_harness.h"

namespace foundry::control {
namespace {

using nlohmann::json;

json rel(const std::string& guid) { return {{"data", {{"guid", guid}}}}; }

class DeploymentTest : public ::testing::Test {
 protected:
  void SetUp() override {
    desired_ = std::make_unique<scheduling::DesiredState>(h_.store(), "http://ctl.internal");
    h_.api().setSchedulingHooks(
        {[this](const std::string& app, bool restart) {
           changes_.push_back(app);
           restarts_ += restart ? 1 : 0;
         },
         [this](const std::string& process_guid)
             -> std::optional<std::vector<sched::ActualLrp>> {
           asked_.push_back(process_guid);
           if (!reachable_) return std::nullopt;
           return actual_[process_guid];
         }});
    space_ = h_.api().defaultSpaceGuid();
  }

  ApiResponse admin(const std::string& method, const std::string& target,
                    const json& body = nullptr) {
    return h_.call(h_.tokens().admin, method, target, body);
  }
  // A STAGED droplet record of the app (staging's store calls; staging is tested elsewhere).
  std::string droplet(const std::string& app, const std::string& guid) {
    Droplet d;
    d.guid = guid;
    d.app_guid = app;
    d.package_guid = newGuid();
    d.build_guid = newGuid();
    d.sha256 = "sha-" + guid;
    d.created_at = d.updated_at = nowIso8601();
    EXPECT_EQ(h_.store().createDroplet(d), WriteResult::Ok);
    return guid;
  }
  // A STARTED app with droplet "<name>-d1", `instances` web instances and a route.
  std::string startedApp(const std::string& name, int instances = 2) {
    auto r = admin("POST", "/v3/apps", {{"name", name}, {"relationships", {{"space", rel(space_)}}}});
    EXPECT_EQ(r.status, 201) << r.body;
    std::string app = r.body["guid"];
    droplet(app, name + "-d1");
    EXPECT_EQ(admin("PATCH", "/v3/apps/" + app + "/relationships/current_droplet",
                    {{"data", {{"guid", name + "-d1"}}}})
                  .status,
              200);
    EXPECT_EQ(admin("POST", "/v3/processes/" + web(app).guid + "/actions/scale",
                    {{"instances", instances}})
                  .status,
              202);
    EXPECT_EQ(admin("POST", "/v3/apps/" + app + "/actions/start").status, 200);
    auto route = admin("POST", "/v3/routes",
                       {{"host", name},
                        {"relationships",
                         {{"space", rel(space_)}, {"domain", rel(h_.api().defaultDomainGuid())}}}});
    EXPECT_EQ(route.status, 201) << route.body;
    EXPECT_EQ(admin("POST", "/v3/routes/" + route.body["guid"].get<std::string>() + "/destinations",
                    {{"destinations", {{{"app", {{"guid", app}}}}}}})
                  .status,
              200);
    changes_.clear();
    return app;
  }
  Process web(const std::string& app) { return h_.store().listProcesses(app).at(0); }
  ApiResponse deploy(const std::string& app, const std::string& droplet_guid = "",
                     const std::string& auth = "") {
    json b = {{"relationships", {{"app", rel(app)}}}};
    if (!droplet_guid.empty()) b["droplet"] = {{"guid", droplet_guid}};
    return h_.call(auth.empty() ? h_.tokens().admin : auth, "POST", "/v3/deployments", b);
  }
  // `n` RUNNING instances (indexes 0..n-1) of the LRP, in the fake scheduler.
  void running(const std::string& process_guid, int n) {
    std::vector<sched::ActualLrp> lrps;
    for (int i = 0; i < n; ++i) {
      sched::ActualLrp a;
      a.process_guid = process_guid;
      a.index = i;
      a.state = sched::LrpState::kRunning;
      lrps.push_back(a);
    }
    actual_[process_guid] = lrps;
  }
  // process_guid -> droplet guid of the app's desired LRPs.
  std::map<std::string, std::string> lrpsOf(const std::string& app) {
    std::map<std::string, std::string> out;
    for (const auto& lrp : desired_->forApp(app)) out[lrp.process_guid] = lrp.droplet_guid;
    return out;
  }
  static std::string detail(const ApiResponse& r) {
    return r.body.is_object() ? r.body["errors"][0].value("detail", "") : "";
  }

  test_support::ApiHarness h_{"deploy"};
  std::unique_ptr<scheduling::DesiredState> desired_;
  std::string space_;
  std::vector<std::string> changes_, asked_;
  int restarts_ = 0;
  bool reachable_ = true;
  std::map<std::string, std::vector<sched::ActualLrp>> actual_;
};

TEST_F(DeploymentTest, CreateAnswersCcShapeAndKeepsBothVersions) {
  const std::string app = startedApp("web");
  const Process before = web(app);
  const std::string d2 = droplet(app, "web-d2");
  auto r = deploy(app, d2);
  ASSERT_EQ(r.status, 201) << r.body;
  const json& d = r.body;
  const std::string guid = d["guid"];
  EXPECT_EQ(d["state"], "DEPLOYING");
  EXPECT_EQ(d["status"]["value"], "ACTIVE");
  EXPECT_EQ(d["status"]["reason"], "DEPLOYING");
  EXPECT_TRUE(d["status"]["details"].contains("last_successful_healthcheck"));
  EXPECT_TRUE(d["status"]["details"].contains("last_status_change"));
  EXPECT_EQ(d["strategy"], "rolling");
  EXPECT_EQ(d["droplet"]["guid"], d2);
  EXPECT_EQ(d["previous_droplet"]["guid"], "web-d1");
  ASSERT_EQ(d["new_processes"].size(), 1u);
  EXPECT_EQ(d["new_processes"][0]["guid"], before.guid);
  EXPECT_EQ(d["new_processes"][0]["type"], "web");
  EXPECT_TRUE(d["revision"].is_null());
  EXPECT_EQ(d["relationships"]["app"]["data"]["guid"], app);
  EXPECT_TRUE(d["metadata"]["labels"].is_object());
  EXPECT_EQ(d["links"]["self"]["href"], std::string(h_.kBase) + "/v3/deployments/" + guid);
  EXPECT_EQ(d["links"]["app"]["href"], std::string(h_.kBase) + "/v3/apps/" + app);
  EXPECT_EQ(d["links"]["cancel"]["href"],
            std::string(h_.kBase) + "/v3/deployments/" + guid + "/actions/cancel");
  EXPECT_EQ(d["links"]["cancel"]["method"], "POST");
  EXPECT_FALSE(d["created_at"].get<std::string>().empty());

  // The app runs the new droplet on a new version, and its old version beside it: same
  // instances, same routes; the reconcile was asked (not as a restart), and the sync sees both.
  auto cur = admin("GET", "/v3/apps/" + app + "/relationships/current_droplet");
  EXPECT_EQ(cur.body["data"]["guid"], d2);
  const Process after = web(app);
  EXPECT_NE(after.version, before.version);
  EXPECT_EQ(changes_, std::vector<std::string>{app});
  EXPECT_EQ(restarts_, 0);
  auto lrps = desired_->forApp(app);
  ASSERT_EQ(lrps.size(), 2u);
  EXPECT_EQ(lrps[0].process_guid, after.guid + "-" + after.version);
  EXPECT_EQ(lrps[0].droplet_guid, d2);
  EXPECT_EQ(lrps[0].droplet_sha256, "sha-" + d2);
  EXPECT_EQ(lrps[1].process_guid, before.guid + "-" + before.version);
  EXPECT_EQ(lrps[1].droplet_guid, "web-d1");
  EXPECT_EQ(lrps[1].droplet_url, "http://ctl.internal/internal/v1/droplets/web-d1/download");
  EXPECT_EQ(lrps[0].instances, 2);
  EXPECT_EQ(lrps[1].instances, 2);
  ASSERT_EQ(lrps[0].routes.size(), 1u);
  EXPECT_EQ(lrps[0].routes, lrps[1].routes);
  EXPECT_EQ(desired_->all().size(), 2u);

  // A scale while deploying scales both; neither is dropped.
  ASSERT_EQ(admin("POST", "/v3/processes/" + after.guid + "/actions/scale", {{"instances", 3}}).status,
            202);
  lrps = desired_->forApp(app);
  ASSERT_EQ(lrps.size(), 2u);
  EXPECT_EQ(lrps[0].instances, 3);
  EXPECT_EQ(lrps[1].instances, 3);

  // GET and list.
  auto got = admin("GET", "/v3/deployments/" + guid);
  ASSERT_EQ(got.status, 200);
  EXPECT_EQ(got.body["guid"], guid);
  auto list = admin("GET", "/v3/deployments?app_guids=" + app + "&status_values=ACTIVE");
  ASSERT_EQ(list.status, 200) << list.body;
  ASSERT_EQ(list.body["resources"].size(), 1u);
  EXPECT_EQ(list.body["pagination"]["total_results"], 1);
  EXPECT_EQ(admin("GET", "/v3/deployments?states=DEPLOYED").body["resources"].size(), 0u);
  EXPECT_EQ(admin("GET", "/v3/deployments?bogus=1").status, 400);
  EXPECT_EQ(admin("GET", "/v3/deployments/nope").status, 404);

  // Audit.
  auto events = admin("GET", "/v3/audit_events?types=audit.app.deployment.create&target_guids=" + app);
  ASSERT_EQ(events.body["resources"].size(), 1u);
}

TEST_F(DeploymentTest, AdvanceFinalizesOnlyWhenEveryNewInstanceRuns) {
  const std::string app = startedApp("web");
  const Process before = web(app);
  const std::string guid = deploy(app, droplet(app, "web-d2")).body["guid"];
  const Process after = web(app);
  const std::string new_lrp = after.guid + "-" + after.version;
  const std::string old_lrp = before.guid + "-" + before.version;
  running(old_lrp, 2);
  changes_.clear();

  EXPECT_EQ(h_.api().advanceDeployments(), 0);  // nothing of the new version yet
  EXPECT_EQ(asked_, std::vector<std::string>{new_lrp});
  running(new_lrp, 1);
  EXPECT_EQ(h_.api().advanceDeployments(), 0);  // 1 of 2
  auto starting = actual_[new_lrp];
  starting.push_back(starting[0]);
  starting[1].index = 1;
  starting[1].state = sched::LrpState::kClaimed;
  actual_[new_lrp] = starting;
  EXPECT_EQ(h_.api().advanceDeployments(), 0);  // the second is only starting
  running(new_lrp, 2);
  reachable_ = false;
  EXPECT_EQ(h_.api().advanceDeployments(), 0);  // scheduler unreachable: nothing this round
  EXPECT_EQ(admin("GET", "/v3/deployments/" + guid).body["state"], "DEPLOYING");
  EXPECT_TRUE(changes_.empty());
  EXPECT_EQ(lrpsOf(app).size(), 2u);

  reachable_ = true;
  // Ready: one more round first, so the routers learn the new instances before the old go.
  EXPECT_EQ(h_.api().advanceDeployments(), 0);
  EXPECT_TRUE(changes_.empty());
  running(new_lrp, 1);  // one crashed in between: both rounds again
  EXPECT_EQ(h_.api().advanceDeployments(), 0);
  running(new_lrp, 2);
  EXPECT_EQ(h_.api().advanceDeployments(), 0);
  EXPECT_TRUE(changes_.empty());
  EXPECT_EQ(h_.api().advanceDeployments(), 1);
  auto d = admin("GET", "/v3/deployments/" + guid).body;
  EXPECT_EQ(d["state"], "DEPLOYED");
  EXPECT_EQ(d["status"]["value"], "FINALIZED");
  EXPECT_EQ(d["status"]["reason"], "DEPLOYED");
  EXPECT_FALSE(d["links"].contains("cancel"));
  // The app is reconciled without the old version.
  EXPECT_EQ(changes_, std::vector<std::string>{app});
  EXPECT_EQ(lrpsOf(app), (std::map<std::string, std::string>{{new_lrp, "web-d2"}}));
  asked_.clear();
  EXPECT_EQ(h_.api().advanceDeployments(), 0);  // nothing left to watch
  EXPECT_TRUE(asked_.empty());
  EXPECT_EQ(admin("POST", "/v3/deployments/" + guid + "/actions/cancel").status, 422);
}

TEST_F(DeploymentTest, RollingRestartWithoutDropletRenewsVersionsOnTheSameDroplet) {
  const std::string app = startedApp("web");
  const Process before = web(app);
  auto r = deploy(app);
  ASSERT_EQ(r.status, 201) << r.body;
  EXPECT_EQ(r.body["droplet"]["guid"], "web-d1");
  EXPECT_EQ(r.body["previous_droplet"]["guid"], "web-d1");
  const Process after = web(app);
  EXPECT_NE(after.version, before.version);
  EXPECT_EQ(lrpsOf(app), (std::map<std::string, std::string>{
                             {after.guid + "-" + after.version, "web-d1"},
                             {before.guid + "-" + before.version, "web-d1"}}));
  // A strategy given explicitly and metadata are fine.
  auto explicit_strategy = admin("POST", "/v3/deployments",
                                 {{"strategy", "rolling"},
                                  {"metadata", {{"labels", json::object()}}},
                                  {"relationships", {{"app", rel(app)}}}});
  EXPECT_EQ(explicit_strategy.status, 201) << explicit_strategy.body;
}

TEST_F(DeploymentTest, Unprocessables) {
  const std::string app = startedApp("web");
  auto stopped = admin("POST", "/v3/apps", {{"name", "idle"}, {"relationships", {{"space", rel(space_)}}}});
  const std::string idle = stopped.body["guid"];
  auto r = deploy(idle);
  EXPECT_EQ(r.status, 422);
  EXPECT_EQ(detail(r), "Cannot create a deployment for a STOPPED app.");

  r = admin("POST", "/v3/deployments",
            {{"strategy", "canary"}, {"relationships", {{"app", rel(app)}}}});
  EXPECT_EQ(r.status, 422);
  r = admin("POST", "/v3/deployments",
            {{"revision", {{"guid", "r1"}}}, {"relationships", {{"app", rel(app)}}}});
  EXPECT_EQ(r.status, 422);
  r = admin("POST", "/v3/deployments", {{"bogus", 1}, {"relationships", {{"app", rel(app)}}}});
  EXPECT_EQ(r.status, 422);
  EXPECT_EQ(admin("POST", "/v3/deployments", json::object()).status, 422);
  EXPECT_EQ(admin("POST", "/v3/deployments", {{"relationships", {{"app", rel("nope")}}}}).status,
            404);
  // A droplet of another app, an unknown one, a malformed one.
  const std::string other = startedApp("other");
  r = deploy(app, "other-d1");
  EXPECT_EQ(r.status, 422);
  EXPECT_EQ(detail(r),
            "Unable to assign current droplet. Ensure the droplet exists and belongs to this app.");
  EXPECT_EQ(deploy(app, "nope").status, 422);
  EXPECT_EQ(admin("POST", "/v3/deployments", {{"droplet", "x"}, {"relationships", {{"app", rel(app)}}}})
                .status,
            422);
  // Nothing was recorded, nothing changed.
  EXPECT_EQ(admin("GET", "/v3/deployments").body["resources"].size(), 0u);
  EXPECT_TRUE(changes_.empty());
  EXPECT_EQ(desired_->forApp(app).size(), 1u);
}

TEST_F(DeploymentTest, PermissionsFollowTheAppsSpace) {
  const std::string app = startedApp("web");
  std::string auditor_guid, dev_guid, stranger_guid;
  const std::string auditor = h_.tokens().newUser("auditor", &auditor_guid);
  const std::string dev = h_.tokens().newUser("dev", &dev_guid);
  const std::string stranger = h_.tokens().newUser("stranger", &stranger_guid);
  auto grant = [&](const std::string& user, const std::string& type, const std::string& key,
                   const std::string& where) {
    json r = {{"user", rel(user)}};
    r[key] = rel(where);
    auto resp = admin("POST", "/v3/roles", {{"type", type}, {"relationships", r}});
    ASSERT_EQ(resp.status, 201) << resp.body;
  };
  const std::string org = h_.store().getSpace(space_)->organization_guid;
  grant(auditor_guid, "organization_user", "organization", org);
  grant(auditor_guid, "space_auditor", "space", space_);
  grant(dev_guid, "organization_user", "organization", org);
  grant(dev_guid, "space_developer", "space", space_);
  // The stranger develops in another org.
  auto other_org = admin("POST", "/v3/organizations", {{"name", "elsewhere"}});
  ASSERT_EQ(other_org.status, 201);
  auto other_space = admin("POST", "/v3/spaces",
                           {{"name", "s"}, {"relationships", {{"organization", rel(other_org.body["guid"])}}}});
  ASSERT_EQ(other_space.status, 201);
  grant(stranger_guid, "organization_user", "organization", other_org.body["guid"]);
  grant(stranger_guid, "space_developer", "space", other_space.body["guid"]);

  auto r = deploy(app, "", auditor);
  EXPECT_EQ(r.status, 403) << r.body;
  EXPECT_EQ(deploy(app, "", stranger).status, 404);
  auto ok = deploy(app, "", dev);
  ASSERT_EQ(ok.status, 201) << ok.body;
  const std::string guid = ok.body["guid"];

  EXPECT_EQ(h_.call(auditor, "GET", "/v3/deployments/" + guid).status, 200);
  EXPECT_EQ(h_.call(auditor, "GET", "/v3/deployments").body["resources"].size(), 1u);
  EXPECT_EQ(h_.call(stranger, "GET", "/v3/deployments/" + guid).status, 404);
  EXPECT_EQ(h_.call(stranger, "GET", "/v3/deployments").body["resources"].size(), 0u);
  EXPECT_EQ(h_.call(stranger, "GET", "/v3/deployments?app_guids=" + app).body["resources"].size(),
            0u);
  EXPECT_EQ(h_.call(auditor, "POST", "/v3/deployments/" + guid + "/actions/cancel").status, 403);
  EXPECT_EQ(h_.call(stranger, "POST", "/v3/deployments/" + guid + "/actions/cancel").status, 404);
  EXPECT_EQ(h_.call(dev, "POST", "/v3/deployments/" + guid + "/actions/cancel").status, 200);
}

TEST_F(DeploymentTest, CancelGoesBackToThePreviousDropletAndVersions) {
  const std::string app = startedApp("web");
  const Process before = web(app);
  const std::string guid = deploy(app, droplet(app, "web-d2")).body["guid"];
  changes_.clear();
  auto r = admin("POST", "/v3/deployments/" + guid + "/actions/cancel");
  ASSERT_EQ(r.status, 200) << r.body;
  auto d = admin("GET", "/v3/deployments/" + guid).body;
  EXPECT_EQ(d["state"], "CANCELED");
  EXPECT_EQ(d["status"]["value"], "FINALIZED");
  EXPECT_EQ(d["status"]["reason"], "CANCELED");
  EXPECT_EQ(admin("GET", "/v3/apps/" + app + "/relationships/current_droplet").body["data"]["guid"],
            "web-d1");
  EXPECT_EQ(web(app).version, before.version);
  // Only the old LRP is wanted: the reconcile deletes the new one and keeps the old running.
  EXPECT_EQ(changes_, std::vector<std::string>{app});
  EXPECT_EQ(restarts_, 0);
  EXPECT_EQ(lrpsOf(app), (std::map<std::string, std::string>{
                             {before.guid + "-" + before.version, "web-d1"}}));
  auto again = admin("POST", "/v3/deployments/" + guid + "/actions/cancel");
  EXPECT_EQ(again.status, 422);
  EXPECT_EQ(detail(again), "Cannot cancel a FINALIZED deployment");
  EXPECT_EQ(h_.api().advanceDeployments(), 0);
  EXPECT_EQ(admin("GET", "/v3/audit_events?types=audit.app.deployment.cancel").body["resources"].size(),
            1u);
}

TEST_F(DeploymentTest, ANewDeploymentSupersedesTheActiveOne) {
  const std::string app = startedApp("web");
  const Process original = web(app);
  const std::string first = deploy(app, droplet(app, "web-d2")).body["guid"];
  const Process intermediate = web(app);
  auto second = deploy(app, droplet(app, "web-d3"));
  ASSERT_EQ(second.status, 201) << second.body;
  auto d1 = admin("GET", "/v3/deployments/" + first).body;
  EXPECT_EQ(d1["status"]["value"], "FINALIZED");
  EXPECT_EQ(d1["status"]["reason"], "SUPERSEDED");
  EXPECT_EQ(second.body["status"]["value"], "ACTIVE");
  // The instances known to serve (the original) stay; the intermediate ones are dropped.
  EXPECT_EQ(second.body["previous_droplet"]["guid"], "web-d1");
  const Process latest = web(app);
  EXPECT_EQ(lrpsOf(app), (std::map<std::string, std::string>{
                             {latest.guid + "-" + latest.version, "web-d3"},
                             {original.guid + "-" + original.version, "web-d1"}}));
  EXPECT_EQ(lrpsOf(app).count(intermediate.guid + "-" + intermediate.version), 0u);
  auto active = admin("GET", "/v3/deployments?app_guids=" + app + "&status_values=ACTIVE");
  ASSERT_EQ(active.body["resources"].size(), 1u);
  EXPECT_EQ(active.body["resources"][0]["guid"], second.body["guid"]);
}

TEST_F(DeploymentTest, AStoppedAppWantsNothingAndItsDeploymentWaits) {
  const std::string app = startedApp("web");
  const std::string guid = deploy(app, droplet(app, "web-d2")).body["guid"];
  ASSERT_EQ(admin("POST", "/v3/apps/" + app + "/actions/stop").status, 200);
  EXPECT_TRUE(desired_->forApp(app).empty());
  EXPECT_TRUE(desired_->all().empty());
  asked_.clear();
  EXPECT_EQ(h_.api().advanceDeployments(), 0);
  EXPECT_TRUE(asked_.empty());
  EXPECT_EQ(admin("GET", "/v3/deployments/" + guid).body["state"], "DEPLOYING");
  // Deleting the app takes its deployments with it.
  ASSERT_EQ(admin("DELETE", "/v3/apps/" + app).status, 202);
  EXPECT_EQ(admin("GET", "/v3/deployments/" + guid).status, 404);
}

}  // namespace
}  // namespace foundry::control
