#pragma once
// Bbs: the scheduler's state and every rule that changes it (Diego's BBS; B1, B2, B6, B7):
// desired LRPs from the controller, actual LRPs reported by cells, cell presence, the crash
// restart policy, convergence and the decisions to auction, register routes, or retire.
//
// Thread-safe: one mutex around the store. It never does I/O itself; side effects go through
// BbsHooks (auction requests, NATS messages, stop orders), whose implementations must not block
// on the network (they queue) and must never call back into Bbs synchronously.
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "scheduler/bbs/store.h"

namespace foundry::sched {

// An instance to stop on a cell (its routes are already unregistered when this is issued).
struct StopOrder {
  std::string process_guid;
  int index = 0;
  std::string instance_guid;
  std::string cell_id;
  std::string rep_url;
};

struct BbsHooks {
  std::function<void(std::vector<LrpStart>)> auction;         // queue for the auction runner
  std::function<void(const nlohmann::json&)> register_route;  // router.register payload
  std::function<void(const nlohmann::json&)> unregister_route;
  std::function<void(const StopOrder&)> stop_instance;  // waits the grace, then POSTs stop
};

struct BbsConfig {
  int64_t cell_ttl_ns = 15'000'000'000;
  int64_t convergence_interval_ns = 30'000'000'000;
  int64_t freshness_ttl_ns = 120'000'000'000;   // a sync keeps the domain fresh this long
  int64_t stale_unclaimed_ns = 30'000'000'000;  // capped at 2 convergence intervals
  int64_t restop_after_ns = 30'000'000'000;     // a stop not confirmed by then is sent again
};

// A call's outcome for the API: 2xx, or an error status with a message.
struct Outcome {
  int status = 200;
  std::string error;
};

class Bbs {
 public:
  using Clock = std::function<int64_t()>;  // nanoseconds since the epoch
  Bbs(std::unique_ptr<Store> store, BbsConfig config, BbsHooks hooks, Clock now = {});

  // controller -> scheduler
  Outcome desire(const DesiredLrp& lrp);  // 201 created, 200 updated, 422
  void removeDesired(const std::string& process_guid);
  // Desires every LRP of the list, deletes the ones it lacks, and makes the domain fresh.
  // Returns the LRPs it skipped (process_guid, why) because they were invalid.
  std::vector<std::pair<std::string, std::string>> sync(const std::vector<DesiredLrp>& lrps);
  std::vector<DesiredLrp> desiredLrps(const std::string& app_guid = "") const;
  // One per index below `instances`, sorted by process_guid and index.
  std::vector<ActualLrp> actualLrps(const std::string& process_guid,
                                    const std::string& app_guid) const;

  // cell -> scheduler
  Outcome upsertCell(const CellPresence& cell);
  Outcome claim(const InstanceReport& report);  // 409 when the instance is not wanted
  Outcome start(const InstanceReport& report);
  Outcome crash(const InstanceReport& report);
  Outcome removed(const InstanceReport& report);

  // Auction runner
  std::vector<CellPresence> presentCells() const;
  bool wantsStart(const LrpStart& start) const;  // still UNCLAIMED with this instance_guid
  void auctionFailed(const LrpStart& start, const std::string& error);

  // One convergence pass over the store (B7); the caller adds bulk sync with reconcileCell.
  void converge();
  // Bulk sync with one cell's /state fetched at `fetched_at_ns`: adopts instances the store
  // lacks for a wanted index (after a scheduler restart), stops the ones it does not want, and
  // replaces the ones the store places on this cell but the cell no longer has.
  void reconcileCell(const CellState& state, int64_t fetched_at_ns);

  // Every router.register payload for the RUNNING instances (the periodic re-registration).
  std::vector<nlohmann::json> allRegistrations() const;
  bool fresh() const;

 private:
  Outcome desireLocked(const DesiredLrp& lrp, std::vector<LrpStart>* auctions);
  void removeDesiredLocked(const std::string& process_guid);
  // Creates UNCLAIMED actuals for the indices below `instances` that have none.
  void createMissingLocked(const DesiredLrp& lrp, std::vector<LrpStart>* auctions);
  // Gives `actual` a new instance_guid, makes it UNCLAIMED and queues its auction.
  void unclaimLocked(ActualLrp actual, const DesiredLrp& desired, std::vector<LrpStart>* auctions);
  // Unregisters its routes, removes the record and orders the cell to stop it.
  void retireLocked(const ActualLrp& actual, const char* why);
  void stopLocked(StopOrder order);
  void emitLocked(const DesiredLrp& desired, const ActualLrp& actual, bool register_it);
  // The record a cell report is about, or an error Outcome (404/409/422).
  std::optional<ActualLrp> reportedLocked(const InstanceReport& report, Outcome* why) const;
  bool cellPresentLocked(const std::string& cell_id, int64_t now) const;
  std::string newInstanceGuid();
  void dispatch(std::vector<LrpStart> auctions);

  mutable std::mutex mu_;
  std::unique_ptr<Store> store_;
  BbsConfig config_;
  BbsHooks hooks_;
  Clock now_;
  int64_t last_sync_ns_ = 0;
  std::map<std::string, std::pair<StopOrder, int64_t>> retiring_;  // instance_guid -> (order, sent)
  std::map<std::string, int64_t> replaced_;  // instance_guids given up on (crash, lost) -> when
  std::mt19937_64 rng_;
};

}  // namespace foundry::sched
