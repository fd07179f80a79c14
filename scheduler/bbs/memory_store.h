#pragma once
// Store in process memory: the scheduler rebuilds it after a restart from the controller's
// next /v1/sync and from the cells' /state (PROTOCOL.md "Freshness").
#include <map>
#include <utility>

#include "scheduler/bbs/store.h"

namespace foundry::sched {

class MemoryStore : public Store {
 public:
  std::optional<DesiredLrp> desired(const std::string& process_guid) const override;
  std::vector<DesiredLrp> allDesired() const override;
  void putDesired(const DesiredLrp& lrp) override;
  void removeDesired(const std::string& process_guid) override;

  std::optional<ActualLrp> actual(const std::string& process_guid, int index) const override;
  std::vector<ActualLrp> actuals(const std::string& process_guid) const override;
  std::vector<ActualLrp> allActuals() const override;
  void putActual(const ActualLrp& lrp) override;
  void removeActual(const std::string& process_guid, int index) override;

  std::optional<CellRecord> cell(const std::string& cell_id) const override;
  std::vector<CellRecord> allCells() const override;
  void putCell(const CellRecord& cell) override;

 private:
  std::map<std::string, DesiredLrp> desired_;
  std::map<std::pair<std::string, int>, ActualLrp>
      actual_;  // ordered: a process's indices are adjacent
  std::map<std::string, CellRecord> cells_;
};

}  // namespace foundry::sched
