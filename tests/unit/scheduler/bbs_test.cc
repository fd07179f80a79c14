// Bbs: the ActualLRP state machine as cells drive it, the crash policy, scale up/down,
// deletes, convergence and its freshness guard, with a fake clock and recording hooks.
#include "scheduler/bbs/bbs.h"

#include <gtest/gtest.h>

#include "scheduler/bbs/memory_store.h"
#include "scheduler/bbs/transitions.h"

namespace foundry::sched {
namespace {

constexpr int64_t kSecond = 1'000'000'000;

DesiredLrp lrp(const std::string& guid, int instances) {
  DesiredLrp d;
  d.process_guid = guid;
  d.app_guid = "app-" + guid;
  d.app_name = "demo";
  d.instances = instances;
  d.memory_mb = 256;
  d.disk_mb = 512;
  d.droplet_url = "http://127.0.0.1:9022/d";
  d.routes = {{"demo.apps.internal", "", "r1", 8080}};
  return d;
}

class BbsTest : public ::testing::Test {
 protected:
  BbsTest() {
    BbsHooks hooks;
    hooks.auction = [this](std::vector<LrpStart> s) {
      for (auto& x : s) auctions.push_back(x);
    };
    hooks.register_route = [this](const nlohmann::json& m) { registers.push_back(m); };
    hooks.unregister_route = [this](const nlohmann::json& m) {
      unregisters.push_back(m);
      events.push_back("unregister");
    };
    hooks.stop_instance = [this](const StopOrder& o) {
      stops.push_back(o);
      events.push_back("stop");
    };
    BbsConfig config;
    config.convergence_interval_ns = 1 * kSecond;  // stale UNCLAIMED after 2 s
    bbs = std::make_unique<Bbs>(std::make_unique<MemoryStore>(), config, hooks,
                                [this] { return now; });
    CellPresence cell{"cell-1", "http://127.0.0.1:1", "z1", {}, {}, {4096, 8192, 100}};
    EXPECT_EQ(bbs->upsertCell(cell).status, 200);
  }

  InstanceReport report(const LrpStart& s, int port = 61000) {
    return {s.desired.process_guid, s.index, s.instance_guid, "cell-1", "127.0.0.1", port, ""};
  }

  // Desires `guid`, then claims and starts every instance the auction got.
  void runAll(const DesiredLrp& d) {
    ASSERT_LT(bbs->desire(d).status, 300);
    for (const auto& s : auctions) {
      ASSERT_EQ(bbs->claim(report(s)).status, 200);
      ASSERT_EQ(bbs->start(report(s, 61000 + s.index)).status, 200);
    }
    auctions.clear();
  }

  int64_t now = 1'000'000 * kSecond;
  std::unique_ptr<Bbs> bbs;
  std::vector<LrpStart> auctions;
  std::vector<nlohmann::json> registers, unregisters;
  std::vector<StopOrder> stops;
  std::vector<std::string> events;
};

TEST(Transitions, DiegoTable) {
  using S = LrpState;
  EXPECT_TRUE(allowsTransition(S::kUnclaimed, S::kClaimed, false));
  EXPECT_TRUE(allowsTransition(S::kUnclaimed, S::kRunning, false));
  EXPECT_FALSE(allowsTransition(S::kUnclaimed, S::kCrashed, true));
  EXPECT_TRUE(allowsTransition(S::kClaimed, S::kRunning, true));
  EXPECT_FALSE(allowsTransition(S::kClaimed, S::kRunning, false));
  EXPECT_TRUE(allowsTransition(S::kClaimed, S::kCrashed, true));
  EXPECT_TRUE(allowsTransition(S::kRunning, S::kUnclaimed, false));
  EXPECT_TRUE(allowsTransition(S::kRunning, S::kClaimed, true));
  EXPECT_FALSE(allowsTransition(S::kRunning, S::kCrashed, false));
  EXPECT_TRUE(allowsTransition(S::kCrashed, S::kUnclaimed, false));
  EXPECT_FALSE(allowsTransition(S::kCrashed, S::kCrashed, true));
}

TEST(ImmutableFields, OnlyInstancesRoutesAnnotationMayChange) {
  DesiredLrp a = lrp("p", 1), b = a;
  b.instances = 5;
  b.routes.clear();
  b.annotation = "x";
  EXPECT_EQ(immutableFieldChanged(a, b), "");
  b.memory_mb = 512;
  EXPECT_EQ(immutableFieldChanged(a, b), "memory_mb");
  b = a;
  b.start_command = "other";
  EXPECT_EQ(immutableFieldChanged(a, b), "start_command");
}

TEST_F(BbsTest, DesireCreatesUnclaimedInstancesAndAuctionsThem) {
  EXPECT_EQ(bbs->desire(lrp("p", 2)).status, 201);
  ASSERT_EQ(auctions.size(), 2u);
  auto actuals = bbs->actualLrps("p", "");
  ASSERT_EQ(actuals.size(), 2u);
  EXPECT_EQ(actuals[0].state, LrpState::kUnclaimed);
  EXPECT_EQ(actuals[1].index, 1);
  EXPECT_EQ(actuals[0].instance_guid, auctions[0].instance_guid);
  EXPECT_EQ(actuals[0].instance_guid.size(), 36u);
  EXPECT_EQ(bbs->desire(lrp("p", 2)).status, 200);  // the same again: an update, no new auction
  EXPECT_EQ(auctions.size(), 2u);
  DesiredLrp bad = lrp("p", 2);
  bad.memory_mb = 1;
  auto out = bbs->desire(bad);
  EXPECT_EQ(out.status, 422);
  EXPECT_NE(out.error.find("memory_mb"), std::string::npos);
}

TEST_F(BbsTest, ClaimStartRegistersAndWrongInstanceIsRefused) {
  ASSERT_EQ(bbs->desire(lrp("p", 1)).status, 201);
  LrpStart s = auctions.at(0);
  InstanceReport stranger = report(s);
  stranger.instance_guid = "not-the-one";
  EXPECT_EQ(bbs->claim(stranger).status, 409);
  EXPECT_EQ(bbs->claim(report(s)).status, 200);
  InstanceReport other_cell = report(s);
  other_cell.cell_id = "cell-2";
  EXPECT_EQ(bbs->start(other_cell).status, 409);
  EXPECT_EQ(bbs->actualLrps("p", "")[0].state, LrpState::kClaimed);
  EXPECT_TRUE(registers.empty());
  EXPECT_EQ(bbs->start(report(s)).status, 200);
  auto actual = bbs->actualLrps("p", "")[0];
  EXPECT_EQ(actual.state, LrpState::kRunning);
  EXPECT_EQ(actual.zone, "z1");
  ASSERT_EQ(registers.size(), 1u);
  EXPECT_EQ(registers[0]["uris"][0], "demo.apps.internal");
  EXPECT_EQ(registers[0]["port"], 61000);
  EXPECT_EQ(registers[0]["private_instance_id"], s.instance_guid);
  EXPECT_EQ(registers[0]["private_instance_index"], "0");
  EXPECT_EQ(registers[0]["tags"]["component"], "route-emitter");
  EXPECT_EQ(bbs->allRegistrations().size(), 1u);
}

TEST_F(BbsTest, CrashesRestartAtOnceTwiceThenBackOff) {
  runAll(lrp("p", 1));
  for (int crash = 1; crash <= 2; ++crash) {
    auto actual = bbs->actualLrps("p", "")[0];
    InstanceReport r{"p", 0, actual.instance_guid, "cell-1", "", 0, "Exit status 1"};
    EXPECT_EQ(bbs->crash(r).status, 200);
    ASSERT_EQ(auctions.size(), 1u) << "crash " << crash;
    actual = bbs->actualLrps("p", "")[0];
    EXPECT_EQ(actual.state, LrpState::kUnclaimed);
    EXPECT_EQ(actual.crash_count, crash);
    EXPECT_EQ(actual.crash_reason, "Exit status 1");
    EXPECT_NE(actual.instance_guid, r.instance_guid);  // a new attempt
    LrpStart s = auctions[0];
    auctions.clear();
    ASSERT_EQ(bbs->claim(report(s)).status, 200);
    ASSERT_EQ(bbs->start(report(s)).status, 200);
  }
  EXPECT_EQ(unregisters.size(), 2u);
  auto actual = bbs->actualLrps("p", "")[0];
  EXPECT_EQ(bbs->crash({"p", 0, actual.instance_guid, "cell-1", "", 0, "boom"}).status, 200);
  EXPECT_TRUE(auctions.empty());
  EXPECT_EQ(bbs->actualLrps("p", "")[0].state, LrpState::kCrashed);
  EXPECT_EQ(bbs->actualLrps("p", "")[0].crash_count, 3);
  now += 29 * kSecond;
  bbs->converge();
  EXPECT_TRUE(auctions.empty());
  now += 1 * kSecond;
  bbs->converge();
  ASSERT_EQ(auctions.size(), 1u);
  EXPECT_EQ(bbs->actualLrps("p", "")[0].state, LrpState::kUnclaimed);
}

TEST_F(BbsTest, CrashAfterFiveMinutesRunningResetsTheCount) {
  runAll(lrp("p", 1));
  auto actual = bbs->actualLrps("p", "")[0];
  bbs->crash({"p", 0, actual.instance_guid, "cell-1", "", 0, "x"});
  LrpStart s = auctions.at(0);
  auctions.clear();
  bbs->claim(report(s));
  bbs->start(report(s));
  now += 301 * kSecond;
  bbs->crash({"p", 0, s.instance_guid, "cell-1", "", 0, "x"});
  EXPECT_EQ(bbs->actualLrps("p", "")[0].crash_count, 1);
}

TEST_F(BbsTest, ScaleDownUnregistersThenStopsAtOnce) {
  runAll(lrp("p", 3));
  registers.clear();
  EXPECT_EQ(bbs->desire(lrp("p", 1)).status, 200);
  ASSERT_EQ(stops.size(), 2u);
  EXPECT_EQ(unregisters.size(), 2u);
  EXPECT_EQ(events.front(), "unregister");  // routers first, the cell after
  EXPECT_EQ(stops[0].rep_url, "http://127.0.0.1:1");
  EXPECT_EQ(bbs->actualLrps("p", "").size(), 1u);
  // A late claim from a retired instance is refused; its remove report is accepted.
  InstanceReport retired{"p", stops[0].index, stops[0].instance_guid, "cell-1", "", 0, ""};
  EXPECT_EQ(bbs->claim(retired).status, 409);
  EXPECT_EQ(bbs->removed(retired).status, 200);
  // Scale up again: new instances for the freed indices.
  EXPECT_EQ(bbs->desire(lrp("p", 2)).status, 200);
  EXPECT_EQ(auctions.size(), 1u);
}

TEST_F(BbsTest, RouteChangesOnUpdate) {
  runAll(lrp("p", 1));
  registers.clear();
  DesiredLrp update = lrp("p", 1);
  update.routes = {{"new.apps.internal", "/x", "r2", 8080}};
  EXPECT_EQ(bbs->desire(update).status, 200);
  ASSERT_EQ(registers.size(), 1u);
  EXPECT_EQ(registers[0]["uris"][0], "new.apps.internal/x");
  ASSERT_EQ(unregisters.size(), 1u);
  EXPECT_EQ(unregisters[0]["uris"][0], "demo.apps.internal");
}

// A new weight or new options on the same route are registered again at once (the router
// would otherwise see them only at the next heartbeat); a new path_regex is another route to
// the router, so the old one is unregistered first.
TEST_F(BbsTest, ChangedRouteWeightsAndOptionsAreRegisteredAgain) {
  DesiredLrp first = lrp("p", 2);
  first.routes[0].weight = 80;
  runAll(first);
  ASSERT_EQ(registers.size(), 2u);
  EXPECT_EQ(registers[0]["options"], nlohmann::json({{"weight", 80}}));
  registers.clear();

  EXPECT_EQ(bbs->desire(first).status, 200);  // nothing changed: nothing sent
  EXPECT_TRUE(registers.empty());

  DesiredLrp step = first;
  step.routes[0].weight = 60;
  step.routes[0].options = {{"loadbalancing", "least-connection"}};
  EXPECT_EQ(bbs->desire(step).status, 200);
  ASSERT_EQ(registers.size(), 2u);  // both instances
  EXPECT_EQ(registers[0]["options"],
            nlohmann::json({{"weight", 60}, {"loadbalancing", "least-connection"}}));
  EXPECT_TRUE(unregisters.empty());
  registers.clear();

  DesiredLrp regex = step;
  regex.routes[0].options["path_regex"] = "/v[0-9]+/.*";
  EXPECT_EQ(bbs->desire(regex).status, 200);
  ASSERT_EQ(unregisters.size(), 2u);
  EXPECT_FALSE(unregisters[0]["options"].contains("path_regex"));
  ASSERT_EQ(registers.size(), 2u);
  EXPECT_EQ(registers[0]["options"]["path_regex"], "/v[0-9]+/.*");
}

TEST_F(BbsTest, RouteServiceChangesReRegisterTheRoute) {
  // Binding a route service keeps the route (same host and path) but changes its
  // registration: every running instance registers it again at once, with route_service_url.
  runAll(lrp("p", 2));
  ASSERT_EQ(registers.size(), 2u);
  EXPECT_FALSE(registers[0].contains("route_service_url"));
  registers.clear();
  DesiredLrp bound = lrp("p", 2);
  bound.routes[0].route_service_url = "https://rs.example.com/check";
  EXPECT_EQ(bbs->desire(bound).status, 200);
  ASSERT_EQ(registers.size(), 2u);
  for (const auto& m : registers) {
    EXPECT_EQ(m["uris"][0], "demo.apps.internal");
    EXPECT_EQ(m["route_service_url"], "https://rs.example.com/check");
  }
  EXPECT_TRUE(unregisters.empty());  // the route never leaves the router
  // The same desire again: nothing to re-register.
  registers.clear();
  EXPECT_EQ(bbs->desire(bound).status, 200);
  EXPECT_TRUE(registers.empty());
  // Unbound: registered again without the field, so the router drops the route service.
  EXPECT_EQ(bbs->desire(lrp("p", 2)).status, 200);
  ASSERT_EQ(registers.size(), 2u);
  EXPECT_FALSE(registers[0].contains("route_service_url"));
  EXPECT_TRUE(unregisters.empty());
}

TEST_F(BbsTest, DeleteUnregistersAndStopsEverything) {
  runAll(lrp("p", 2));
  bbs->removeDesired("p");
  EXPECT_EQ(unregisters.size(), 2u);
  EXPECT_EQ(stops.size(), 2u);
  EXPECT_TRUE(bbs->actualLrps("p", "").empty());
  EXPECT_TRUE(bbs->desiredLrps().empty());
  bbs->removeDesired("p");  // idempotent
}

TEST_F(BbsTest, StaleUnclaimedIsReauctioned) {
  ASSERT_EQ(bbs->desire(lrp("p", 1)).status, 201);
  auto first = auctions.at(0).instance_guid;
  auctions.clear();
  now += 2 * kSecond;
  bbs->converge();
  EXPECT_TRUE(auctions.empty());
  now += 1 * kSecond;
  bbs->converge();
  ASSERT_EQ(auctions.size(), 1u);
  EXPECT_NE(auctions[0].instance_guid, first);
}

TEST_F(BbsTest, InstancesOnMissingCellsAreReplaced) {
  runAll(lrp("p", 1));
  now += 16 * kSecond;  // cell-1 stopped sending presence
  bbs->converge();
  ASSERT_EQ(auctions.size(), 1u);
  EXPECT_EQ(unregisters.size(), 1u);
  EXPECT_EQ(bbs->actualLrps("p", "")[0].state, LrpState::kUnclaimed);
}

TEST_F(BbsTest, SyncDeletesWhatTheControllerLacksAndGuardsExtras) {
  runAll(lrp("keep", 1));
  runAll(lrp("drop", 1));
  stops.clear();
  // Unknown instances on a cell are left alone while the domain is not fresh...
  CellState state;
  state.cell_id = "cell-1";
  state.lrps.push_back({"keep", 0, "stranger", LrpState::kRunning, 256, 512, "", 0});
  bbs->reconcileCell(state, now);
  EXPECT_TRUE(stops.empty());
  // ...and stopped once a sync made it fresh.
  auto skipped = bbs->sync({lrp("keep", 1)});
  EXPECT_TRUE(skipped.empty());
  EXPECT_TRUE(bbs->desiredLrps("app-drop").empty());
  ASSERT_EQ(stops.size(), 1u);  // drop/0
  bbs->reconcileCell(state, now);
  ASSERT_EQ(stops.size(), 2u);
  EXPECT_EQ(stops[1].instance_guid, "stranger");
}

TEST_F(BbsTest, BulkSyncAdoptsRunningInstancesAfterARestart) {
  ASSERT_EQ(bbs->sync({lrp("p", 1)}).size(), 0u);
  LrpStart s = auctions.at(0);
  CellState state;
  state.cell_id = "cell-1";
  state.lrps.push_back({"p", 0, "survivor", LrpState::kRunning, 256, 512, "127.0.0.1", 61005});
  bbs->reconcileCell(state, now);
  auto actual = bbs->actualLrps("p", "")[0];
  EXPECT_EQ(actual.instance_guid, "survivor");
  EXPECT_EQ(actual.state, LrpState::kRunning);
  EXPECT_FALSE(bbs->wantsStart(s));  // the pending auction is dropped
  ASSERT_EQ(registers.size(), 1u);
  EXPECT_EQ(registers[0]["port"], 61005);
}

TEST_F(BbsTest, AnAttemptGivenUpOnIsNeverAdopted) {
  ASSERT_EQ(bbs->sync({lrp("p", 1)}).size(), 0u);
  LrpStart first = auctions.at(0);
  auctions.clear();
  ASSERT_EQ(bbs->claim(report(first)).status, 200);
  ASSERT_EQ(bbs->crash({"p", 0, first.instance_guid, "cell-1", "", 0, "x"}).status, 200);
  ASSERT_EQ(auctions.size(), 1u);
  // The cell still lists the crashed attempt as CLAIMED for a moment: stop it, keep the new one.
  CellState state;
  state.cell_id = "cell-1";
  state.lrps.push_back({"p", 0, first.instance_guid, LrpState::kClaimed, 256, 512, "", 0});
  bbs->reconcileCell(state, now);
  EXPECT_TRUE(bbs->wantsStart(auctions[0]));
  ASSERT_EQ(stops.size(), 1u);
  EXPECT_EQ(stops[0].instance_guid, first.instance_guid);
}

}  // namespace
}  // namespace foundry::sched
