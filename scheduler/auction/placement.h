#pragma once
// The auction's placement decision (cloudfoundry/auction scheduler.go; STAGING-SCHEDULING.md B3)
// as a pure function: given the cells' reported state and the instances to start, choose a cell
// for each or say why none fits. The auction runner does the HTTP around it.
#include <map>
#include <string>
#include <vector>

#include "scheduler/model/lrp.h"

namespace foundry::sched {

struct PlacementOptions {
  double starting_container_weight = 0.25;  // per container a cell is still starting
  double locality_offset = 1000.0;          // per instance of the same process on the cell
};

struct PlacementFailure {
  LrpStart start;
  std::string error;  // "insufficient resources: memory", ...
};

struct TaskPlacementFailure {
  TaskDefinition task;
  std::string error;
};

struct Placement {
  std::map<std::string, std::vector<LrpStart>> work;  // cell_id -> instances it should start
  std::vector<PlacementFailure> failed;
  std::map<std::string, std::vector<TaskDefinition>> task_work;  // cell_id -> tasks to run
  std::vector<TaskPlacementFailure> failed_tasks;
};

inline constexpr const char* kCellCommunicationError = "unable to communicate to compatible cells";

// `cells`: every cell that answered /state (evacuating ones are skipped). Instances are placed
// index 0 first (one instance of everything before the rest), then by index, larger memory
// first; each placement reserves its resources on the chosen cell, so later ones see it.
Placement placeLrps(std::vector<CellState> cells, std::vector<LrpStart> starts,
                    const PlacementOptions& options = {});

// The whole auction in Diego's order (B3): every LRP index 0 first, then the tasks (larger
// memory first), then the other LRP indices; each placement reserves on the chosen cell.
// Tasks are not zone-balanced: every compatible cell competes, scored by cellScore's resource
// part + starting containers + `locality_offset` per task the cell already runs.
Placement placeAll(std::vector<CellState> cells, std::vector<LrpStart> starts,
                   std::vector<TaskDefinition> tasks, const PlacementOptions& options = {});

// Diego's placement-tag rule: required ⊆ desired ⊆ required ∪ optional.
bool placementTagsMatch(const std::vector<std::string>& desired, const CellState& cell);

// "found no compatible cell with placement tag \"x\"" and its 0 / many variants.
std::string placementTagMismatchError(const std::vector<std::string>& tags);

// Lower is better: mean used fraction of memory, disk and containers after placing `lrp`,
// + weight per starting container + offset per instance of the same process already there.
double cellScore(const CellState& cell, const DesiredLrp& lrp, const PlacementOptions& options);

}  // namespace foundry::sched
