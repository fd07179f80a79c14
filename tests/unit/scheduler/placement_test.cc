// The auction's placement (B3): anti-affinity, zone balancing, placement tags, the
// insufficient-resources message, index-0-first ordering and reservations within one round.
#include "scheduler/auction/placement.h"

#include <gtest/gtest.h>

namespace foundry::sched {
namespace {

CellState cell(const std::string& id, const std::string& zone, int memory = 4096, int disk = 8192,
               int containers = 100) {
  CellState c;
  c.cell_id = id;
  c.zone = zone;
  c.total = {memory, disk, containers};
  c.available = c.total;
  return c;
}

LrpStart start(const std::string& guid, int index, int memory = 256, int disk = 1024) {
  LrpStart s;
  s.desired.process_guid = guid;
  s.desired.memory_mb = memory;
  s.desired.disk_mb = disk;
  s.index = index;
  s.instance_guid = guid + "-ig-" + std::to_string(index);
  return s;
}

std::string cellOf(const Placement& p, const std::string& instance_guid) {
  for (const auto& [cell_id, starts] : p.work) {
    for (const auto& s : starts) {
      if (s.instance_guid == instance_guid) return cell_id;
    }
  }
  return "";
}

TEST(Placement, SpreadsInstancesOfOneProcessAcrossCells) {
  auto p = placeLrps({cell("a", "z1"), cell("b", "z1")}, {start("web", 0), start("web", 1)});
  ASSERT_TRUE(p.failed.empty());
  EXPECT_NE(cellOf(p, "web-ig-0"), "");
  EXPECT_NE(cellOf(p, "web-ig-1"), "");
  EXPECT_NE(cellOf(p, "web-ig-0"), cellOf(p, "web-ig-1"));
}

TEST(Placement, AntiAffinityBeatsAFullerCell) {
  // Cell b already runs web/0 and has far more room; web/1 still goes to the busier cell a.
  CellState a = cell("a", "z1", 1024);
  a.available.memory_mb = 512;
  CellState b = cell("b", "z1", 65536);
  b.lrps.push_back({"web", 0, "old", LrpState::kRunning, 256, 1024, "", 0});
  auto p = placeLrps({a, b}, {start("web", 1)});
  ASSERT_TRUE(p.failed.empty());
  EXPECT_EQ(cellOf(p, "web-ig-1"), "a");
}

TEST(Placement, SharesACellOnlyWhenEveryCellHasOne) {
  auto p = placeLrps({cell("a", "z1"), cell("b", "z1")},
                     {start("web", 0), start("web", 1), start("web", 2)});
  ASSERT_TRUE(p.failed.empty());
  EXPECT_EQ(p.work["a"].size() + p.work["b"].size(), 3u);
  EXPECT_EQ(std::abs(static_cast<int>(p.work["a"].size()) - static_cast<int>(p.work["b"].size())),
            1);
}

TEST(Placement, BalancesZonesBeforeScoringCells) {
  // z1 has two roomy cells, z2 one nearly full one; web/0 already runs in z1, so web/1 goes to z2.
  CellState a = cell("a", "z1", 65536), b = cell("b", "z1", 65536);
  CellState c = cell("c", "z2", 1024);
  c.available.memory_mb = 300;
  a.lrps.push_back({"web", 0, "old", LrpState::kRunning, 256, 1024, "", 0});
  auto p = placeLrps({a, b, c}, {start("web", 1)});
  ASSERT_TRUE(p.failed.empty());
  EXPECT_EQ(cellOf(p, "web-ig-1"), "c");
}

TEST(Placement, PrefersTheEmptierCell) {
  CellState a = cell("a", "z1"), b = cell("b", "z1");
  a.available.memory_mb = 1024;
  auto p = placeLrps({a, b}, {start("web", 0)});
  EXPECT_EQ(cellOf(p, "web-ig-0"), "b");
}

TEST(Placement, StartingContainersWeigh) {
  CellState a = cell("a", "z1"), b = cell("b", "z1");
  a.starting_container_count = 2;
  auto p = placeLrps({a, b}, {start("web", 0)});
  EXPECT_EQ(cellOf(p, "web-ig-0"), "b");
}

TEST(Placement, InsufficientResourcesNamesOnlyWhatEveryCellLacks) {
  CellState a = cell("a", "z1", 1024, 100000), b = cell("b", "z1", 1024, 512);
  // memory short on both, disk short only on b
  auto p = placeLrps({a, b}, {start("big", 0, 2048, 1024)});
  ASSERT_EQ(p.failed.size(), 1u);
  EXPECT_EQ(p.failed[0].error, "insufficient resources: memory");
  EXPECT_TRUE(p.work.empty());

  CellState full = cell("c", "z1", 1024, 512, 0);
  p = placeLrps({full}, {start("big", 0, 2048, 1024)});
  ASSERT_EQ(p.failed.size(), 1u);
  EXPECT_EQ(p.failed[0].error, "insufficient resources: containers, disk, memory");
}

TEST(Placement, ReservationsWithinARoundCount) {
  // Room for exactly one 600 MB instance per cell: the third fails once two are reserved.
  auto p = placeLrps({cell("a", "z1", 1000), cell("b", "z1", 1000)},
                     {start("x", 0, 600), start("y", 0, 600), start("z", 0, 600)});
  EXPECT_EQ(p.work["a"].size(), 1u);
  EXPECT_EQ(p.work["b"].size(), 1u);
  ASSERT_EQ(p.failed.size(), 1u);
  EXPECT_EQ(p.failed[0].error, "insufficient resources: memory");
}

TEST(Placement, IndexZeroOfEveryProcessFirstThenLargerMemory) {
  // One slot: web/0 must win it over big/1 even though big is larger and listed first.
  auto p = placeLrps({cell("a", "z1", 1000)}, {start("big", 1, 900), start("web", 0, 500)});
  EXPECT_EQ(cellOf(p, "web-ig-0"), "a");
  ASSERT_EQ(p.failed.size(), 1u);
  EXPECT_EQ(p.failed[0].start.instance_guid, "big-ig-1");
  // Same index: larger memory first.
  p = placeLrps({cell("a", "z1", 1000)}, {start("small", 0, 300), start("large", 0, 800)});
  EXPECT_EQ(cellOf(p, "large-ig-0"), "a");
  EXPECT_EQ(p.failed.at(0).start.instance_guid, "small-ig-0");
}

TEST(Placement, PlacementTags) {
  CellState shared = cell("shared", "z1");
  CellState seg = cell("seg", "z1");
  seg.placement_tags = {"iso"};
  CellState opt = cell("opt", "z1");
  opt.optional_placement_tags = {"gpu"};

  auto untagged = start("web", 0);
  auto p = placeLrps({seg, shared}, {untagged});
  EXPECT_EQ(cellOf(p, "web-ig-0"), "shared");  // untagged work never lands on segment cells

  auto iso = start("iso-app", 0);
  iso.desired.placement_tags = {"iso"};
  p = placeLrps({shared, seg, opt}, {iso});
  EXPECT_EQ(cellOf(p, "iso-app-ig-0"), "seg");

  auto gpu = start("gpu-app", 0);
  gpu.desired.placement_tags = {"gpu"};
  p = placeLrps({shared, seg, opt}, {gpu});
  EXPECT_EQ(cellOf(p, "gpu-app-ig-0"), "opt");

  auto nowhere = start("lost", 0);
  nowhere.desired.placement_tags = {"mars"};
  p = placeLrps({shared, seg}, {nowhere});
  ASSERT_EQ(p.failed.size(), 1u);
  EXPECT_EQ(p.failed[0].error, "found no compatible cell with placement tag \"mars\"");
  EXPECT_EQ(placementTagMismatchError({"a", "b"}),
            "found no compatible cell with placement tags \"a\", \"b\"");
  EXPECT_EQ(placementTagMismatchError({}), "found no compatible cell with no placement tags");
}

TEST(Placement, NoCellsMeansCommunicationError) {
  auto p = placeLrps({}, {start("web", 0)});
  ASSERT_EQ(p.failed.size(), 1u);
  EXPECT_EQ(p.failed[0].error, "unable to communicate to compatible cells");
  CellState evacuating = cell("a", "z1");
  evacuating.evacuating = true;
  p = placeLrps({evacuating}, {start("web", 0)});
  EXPECT_EQ(p.failed.at(0).error, "unable to communicate to compatible cells");
}

TEST(Placement, ScoreFormula) {
  CellState c = cell("a", "z1", 1000, 1000, 10);
  c.starting_container_count = 1;
  c.lrps.push_back({"web", 0, "x", LrpState::kRunning, 0, 0, "", 0});
  DesiredLrp lrp;
  lrp.process_guid = "web";
  lrp.memory_mb = 500;
  lrp.disk_mb = 250;
  // used after: memory 0.5, disk 0.25, containers 0.1 -> mean 0.2833..; +0.25 starting; +1000.
  EXPECT_NEAR(cellScore(c, lrp, {}), (0.5 + 0.25 + 0.1) / 3 + 0.25 + 1000, 1e-9);
}

}  // namespace
}  // namespace foundry::sched
