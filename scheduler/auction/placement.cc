#include "scheduler/auction/placement.h"

#include <algorithm>
#include <set>

namespace foundry::sched {

namespace {

double usedFraction(int available_after, int total) {
  if (total <= 0) return 1.0;
  return 1.0 - static_cast<double>(available_after) / total;
}

int instancesOf(const CellState& cell, const std::string& process_guid) {
  int n = 0;
  for (const auto& lrp : cell.lrps) n += lrp.process_guid == process_guid ? 1 : 0;
  return n;
}

// The resources `lrp` lacks on `cell` ("containers", "disk", "memory"); empty when it fits.
std::set<std::string> shortages(const CellState& cell, const DesiredLrp& lrp) {
  std::set<std::string> out;
  if (cell.available.containers < 1) out.insert("containers");
  if (cell.available.disk_mb < lrp.disk_mb) out.insert("disk");
  if (cell.available.memory_mb < lrp.memory_mb) out.insert("memory");
  return out;
}

void reserve(CellState& cell, const LrpStart& start) {
  cell.available.memory_mb -= start.desired.memory_mb;
  cell.available.disk_mb -= start.desired.disk_mb;
  cell.available.containers -= 1;
  cell.starting_container_count += 1;
  CellLrp lrp;
  lrp.process_guid = start.desired.process_guid;
  lrp.index = start.index;
  lrp.instance_guid = start.instance_guid;
  lrp.memory_mb = start.desired.memory_mb;
  lrp.disk_mb = start.desired.disk_mb;
  cell.lrps.push_back(lrp);
}

std::string join(const std::set<std::string>& items) {
  std::string out;
  for (const auto& item : items) out += (out.empty() ? "" : ", ") + item;
  return out;
}

}  // namespace

bool placementTagsMatch(const std::vector<std::string>& desired, const CellState& cell) {
  std::set<std::string> want(desired.begin(), desired.end());
  for (const auto& tag : cell.placement_tags) {
    if (!want.count(tag)) return false;
  }
  for (const auto& tag : want) {
    bool known = std::find(cell.placement_tags.begin(), cell.placement_tags.end(), tag) !=
                     cell.placement_tags.end() ||
                 std::find(cell.optional_placement_tags.begin(), cell.optional_placement_tags.end(),
                           tag) != cell.optional_placement_tags.end();
    if (!known) return false;
  }
  return true;
}

std::string placementTagMismatchError(const std::vector<std::string>& tags) {
  if (tags.empty()) return "found no compatible cell with no placement tags";
  if (tags.size() == 1) return "found no compatible cell with placement tag \"" + tags[0] + "\"";
  std::string list;
  for (const auto& tag : tags) list += (list.empty() ? "\"" : ", \"") + tag + "\"";
  return "found no compatible cell with placement tags " + list;
}

double cellScore(const CellState& cell, const DesiredLrp& lrp, const PlacementOptions& options) {
  double resource = (usedFraction(cell.available.memory_mb - lrp.memory_mb, cell.total.memory_mb) +
                     usedFraction(cell.available.disk_mb - lrp.disk_mb, cell.total.disk_mb) +
                     usedFraction(cell.available.containers - 1, cell.total.containers)) /
                    3.0;
  return resource + cell.starting_container_count * options.starting_container_weight +
         instancesOf(cell, lrp.process_guid) * options.locality_offset;
}

namespace {

void sortStarts(std::vector<LrpStart>& starts) {
  std::stable_sort(starts.begin(), starts.end(), [](const LrpStart& a, const LrpStart& b) {
    if (a.index != b.index) return a.index < b.index;  // index 0 of everything first
    return a.desired.memory_mb > b.desired.memory_mb;
  });
}

// Places `starts` in their order on `cells` (reserving as it goes) into `result`.
void placeLrpsOn(std::vector<CellState>& cells, const std::vector<LrpStart>& starts,
                 const PlacementOptions& options, Placement& result) {
  for (const auto& start : starts) {
    const DesiredLrp& lrp = start.desired;
    if (cells.empty()) {
      result.failed.push_back({start, kCellCommunicationError});
      continue;
    }
    // Compatible cells grouped by zone, with this process's instance count per zone.
    std::map<std::string, std::vector<size_t>> zones;
    for (size_t i = 0; i < cells.size(); ++i) {
      if (placementTagsMatch(lrp.placement_tags, cells[i])) zones[cells[i].zone].push_back(i);
    }
    if (zones.empty()) {
      result.failed.push_back({start, placementTagMismatchError(lrp.placement_tags)});
      continue;
    }
    std::vector<std::pair<int, std::string>> by_count;  // (instances in zone, zone)
    for (const auto& [zone, members] : zones) {
      int count = 0;
      for (size_t i : members) count += instancesOf(cells[i], lrp.process_guid);
      by_count.emplace_back(count, zone);
    }
    std::sort(by_count.begin(), by_count.end());

    // Resources short on EVERY candidate cell (Diego drops a problem once a cell has room for it).
    std::set<std::string> problems = {"containers", "disk", "memory"};
    long winner = -1;
    double best = 0;
    for (size_t g = 0; g < by_count.size() && winner < 0;) {
      // One tie group: the zones sharing the lowest remaining instance count.
      size_t end = g;
      while (end < by_count.size() && by_count[end].first == by_count[g].first) ++end;
      for (size_t z = g; z < end; ++z) {
        for (size_t i : zones[by_count[z].second]) {
          auto shortage = shortages(cells[i], lrp);
          if (!shortage.empty()) {
            std::erase_if(problems, [&](const std::string& p) { return !shortage.count(p); });
            continue;
          }
          double score = cellScore(cells[i], lrp, options);
          if (winner < 0 || score < best) {
            winner = static_cast<long>(i);
            best = score;
          }
        }
      }
      g = end;
    }
    if (winner < 0) {
      // No resource short everywhere (memory on one cell, disk on another): say just that.
      result.failed.push_back({start, problems.empty()
                                          ? std::string("insufficient resources")
                                          : "insufficient resources: " + join(problems)});
      continue;
    }
    reserve(cells[winner], start);
    result.work[cells[winner].cell_id].push_back(start);
  }
}

std::set<std::string> taskShortages(const CellState& cell, const TaskDefinition& task) {
  std::set<std::string> out;
  if (cell.available.containers < 1) out.insert("containers");
  if (cell.available.disk_mb < task.disk_mb) out.insert("disk");
  if (cell.available.memory_mb < task.memory_mb) out.insert("memory");
  return out;
}

double taskScore(const CellState& cell, const TaskDefinition& task,
                 const PlacementOptions& options) {
  double resource =
      (usedFraction(cell.available.memory_mb - task.memory_mb, cell.total.memory_mb) +
       usedFraction(cell.available.disk_mb - task.disk_mb, cell.total.disk_mb) +
       usedFraction(cell.available.containers - 1, cell.total.containers)) /
      3.0;
  return resource + cell.starting_container_count * options.starting_container_weight +
         static_cast<double>(cell.tasks.size()) * options.locality_offset;
}

void placeTasksOn(std::vector<CellState>& cells, const std::vector<TaskDefinition>& tasks,
                  const PlacementOptions& options, Placement& result) {
  for (const auto& task : tasks) {
    if (cells.empty()) {
      result.failed_tasks.push_back({task, kCellCommunicationError});
      continue;
    }
    bool any_compatible = false;
    std::set<std::string> problems = {"containers", "disk", "memory"};
    long winner = -1;
    double best = 0;
    for (size_t i = 0; i < cells.size(); ++i) {
      if (!placementTagsMatch(task.placement_tags, cells[i])) continue;
      any_compatible = true;
      auto shortage = taskShortages(cells[i], task);
      if (!shortage.empty()) {
        std::erase_if(problems, [&](const std::string& p) { return !shortage.count(p); });
        continue;
      }
      double score = taskScore(cells[i], task, options);
      if (winner < 0 || score < best) {
        winner = static_cast<long>(i);
        best = score;
      }
    }
    if (!any_compatible) {
      result.failed_tasks.push_back({task, placementTagMismatchError(task.placement_tags)});
      continue;
    }
    if (winner < 0) {
      result.failed_tasks.push_back({task, problems.empty()
                                               ? std::string("insufficient resources")
                                               : "insufficient resources: " + join(problems)});
      continue;
    }
    CellState& cell = cells[winner];
    cell.available.memory_mb -= task.memory_mb;
    cell.available.disk_mb -= task.disk_mb;
    cell.available.containers -= 1;
    cell.starting_container_count += 1;
    CellTask placed;
    placed.task_guid = task.task_guid;
    placed.memory_mb = task.memory_mb;
    placed.disk_mb = task.disk_mb;
    cell.tasks.push_back(placed);
    result.task_work[cell.cell_id].push_back(task);
  }
}

}  // namespace

Placement placeLrps(std::vector<CellState> cells, std::vector<LrpStart> starts,
                    const PlacementOptions& options) {
  return placeAll(std::move(cells), std::move(starts), {}, options);
}

Placement placeAll(std::vector<CellState> cells, std::vector<LrpStart> starts,
                   std::vector<TaskDefinition> tasks, const PlacementOptions& options) {
  Placement result;
  std::erase_if(cells, [](const CellState& c) { return c.evacuating; });
  sortStarts(starts);
  auto first_later = std::find_if(starts.begin(), starts.end(),
                                  [](const LrpStart& s) { return s.index > 0; });
  std::vector<LrpStart> firsts(starts.begin(), first_later), later(first_later, starts.end());
  std::stable_sort(tasks.begin(), tasks.end(), [](const TaskDefinition& a, const TaskDefinition& b) {
    return a.memory_mb > b.memory_mb;
  });
  placeLrpsOn(cells, firsts, options, result);
  placeTasksOn(cells, tasks, options, result);
  placeLrpsOn(cells, later, options, result);
  return result;
}

}  // namespace foundry::sched
