#include "scheduler/bbs/memory_store.h"

namespace foundry::sched {

std::optional<DesiredLrp> MemoryStore::desired(const std::string& process_guid) const {
  auto it = desired_.find(process_guid);
  if (it == desired_.end()) return std::nullopt;
  return it->second;
}

std::vector<DesiredLrp> MemoryStore::allDesired() const {
  std::vector<DesiredLrp> out;
  for (const auto& [guid, lrp] : desired_) out.push_back(lrp);
  return out;
}

void MemoryStore::putDesired(const DesiredLrp& lrp) { desired_[lrp.process_guid] = lrp; }

void MemoryStore::removeDesired(const std::string& process_guid) { desired_.erase(process_guid); }

std::optional<ActualLrp> MemoryStore::actual(const std::string& process_guid, int index) const {
  auto it = actual_.find({process_guid, index});
  if (it == actual_.end()) return std::nullopt;
  return it->second;
}

std::vector<ActualLrp> MemoryStore::actuals(const std::string& process_guid) const {
  std::vector<ActualLrp> out;
  for (auto it = actual_.lower_bound({process_guid, INT32_MIN});
       it != actual_.end() && it->first.first == process_guid; ++it) {
    out.push_back(it->second);
  }
  return out;
}

std::vector<ActualLrp> MemoryStore::allActuals() const {
  std::vector<ActualLrp> out;
  for (const auto& [key, lrp] : actual_) out.push_back(lrp);
  return out;
}

void MemoryStore::putActual(const ActualLrp& lrp) { actual_[{lrp.process_guid, lrp.index}] = lrp; }

void MemoryStore::removeActual(const std::string& process_guid, int index) {
  actual_.erase({process_guid, index});
}

std::optional<CellRecord> MemoryStore::cell(const std::string& cell_id) const {
  auto it = cells_.find(cell_id);
  if (it == cells_.end()) return std::nullopt;
  return it->second;
}

std::vector<CellRecord> MemoryStore::allCells() const {
  std::vector<CellRecord> out;
  for (const auto& [id, cell] : cells_) out.push_back(cell);
  return out;
}

void MemoryStore::putCell(const CellRecord& cell) { cells_[cell.presence.cell_id] = cell; }

}  // namespace foundry::sched
