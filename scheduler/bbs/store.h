#pragma once
// Where the scheduler keeps desired LRPs, actual LRPs (one per process_guid and index) and cell
// presences. An interface so the in-memory version can later be swapped for a persistent one;
// implementations need not be thread-safe (Bbs serialises every call under its mutex).
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "scheduler/model/lrp.h"

namespace foundry::sched {

struct CellRecord {
  CellPresence presence;
  int64_t last_seen_ns = 0;  // last PUT /v1/cells/{id}
};

class Store {
 public:
  virtual ~Store() = default;

  virtual std::optional<DesiredLrp> desired(const std::string& process_guid) const = 0;
  virtual std::vector<DesiredLrp> allDesired() const = 0;  // sorted by process_guid
  virtual void putDesired(const DesiredLrp& lrp) = 0;
  virtual void removeDesired(const std::string& process_guid) = 0;

  virtual std::optional<ActualLrp> actual(const std::string& process_guid, int index) const = 0;
  virtual std::vector<ActualLrp> actuals(const std::string& process_guid) const = 0;  // by index
  virtual std::vector<ActualLrp> allActuals() const = 0;
  virtual void putActual(const ActualLrp& lrp) = 0;
  virtual void removeActual(const std::string& process_guid, int index) = 0;

  virtual std::optional<CellRecord> cell(const std::string& cell_id) const = 0;
  virtual std::vector<CellRecord> allCells() const = 0;
  virtual void putCell(const CellRecord& cell) = 0;
};

}  // namespace foundry::sched
