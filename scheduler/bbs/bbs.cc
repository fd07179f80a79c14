#include "scheduler/bbs/bbs.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <map>
#include <set>

#include "common/log/log.h"
#include "scheduler/bbs/restart_policy.h"
#include "scheduler/bbs/transitions.h"
#include "scheduler/emitter/registry_message.h"

namespace foundry::sched {

namespace {

constexpr size_t kMaxCrashReason = 1024;

int64_t wallNowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string routeKey(const RouteSpec& route) { return route.hostname + route.path; }

// The router keys a regex route by its pattern too.
std::string pathRegexOf(const RouteSpec& route) {
  if (!route.options.is_object()) return "";
  auto it = route.options.find("path_regex");
  return it != route.options.end() && it->is_string() ? it->get<std::string>() : "";
}

std::string instanceName(const std::string& process_guid, int index) {
  return process_guid + "/" + std::to_string(index);
}

}  // namespace

Bbs::Bbs(std::unique_ptr<Store> store, BbsConfig config, BbsHooks hooks, Clock now)
    : store_(std::move(store)),
      config_(config),
      hooks_(std::move(hooks)),
      now_(now ? std::move(now) : Clock(wallNowNs)),
      rng_(std::random_device{}()) {
  config_.stale_unclaimed_ns =
      std::min(config_.stale_unclaimed_ns, 2 * config_.convergence_interval_ns);
}

std::string Bbs::newInstanceGuid() {
  // UUID v4 from the (mutex-guarded) generator.
  uint64_t hi = rng_(), lo = rng_();
  hi = (hi & 0xffffffffffff0fffULL) | 0x0000000000004000ULL;
  lo = (lo & 0x3fffffffffffffffULL) | 0x8000000000000000ULL;
  char text[37];
  std::snprintf(text, sizeof text, "%08x-%04x-%04x-%04x-%012llx", static_cast<unsigned>(hi >> 32),
                static_cast<unsigned>((hi >> 16) & 0xffff), static_cast<unsigned>(hi & 0xffff),
                static_cast<unsigned>(lo >> 48),
                static_cast<unsigned long long>(lo & 0xffffffffffffULL));
  return text;
}

void Bbs::dispatch(std::vector<LrpStart> auctions) {
  if (!auctions.empty() && hooks_.auction) hooks_.auction(std::move(auctions));
}

// ---- controller -> scheduler ----------------------------------------------------------------

Outcome Bbs::desire(const DesiredLrp& lrp) {
  std::vector<LrpStart> auctions;
  Outcome out;
  {
    std::lock_guard lock(mu_);
    out = desireLocked(lrp, &auctions);
    dispatch(std::move(auctions));
  }
  return out;
}

Outcome Bbs::desireLocked(const DesiredLrp& lrp, std::vector<LrpStart>* auctions) {
  if (std::string why = validate(lrp); !why.empty()) return {422, why};
  auto existing = store_->desired(lrp.process_guid);
  if (!existing) {
    store_->putDesired(lrp);
    createMissingLocked(lrp, auctions);
    log::info("scheduler", "desired-lrp-created",
              {{"process_guid", lrp.process_guid}, {"instances", std::to_string(lrp.instances)}});
    return {201, ""};
  }
  if (std::string field = immutableFieldChanged(*existing, lrp); !field.empty()) {
    return {422, field + " cannot change in place: desire a new process_guid"};
  }
  store_->putDesired(lrp);

  // Routes on every RUNNING instance: the removed ones unregistered, the added ones
  // registered, and the changed ones registered again so that the router takes the change now
  // rather than at the next heartbeat (a new weight or options; a route service bound, unbound
  // or moved: the router takes the registration's route_service_url). A changed path_regex
  // makes another route for the router, so the old one is unregistered first.
  std::map<std::string, const RouteSpec*> old_routes, new_routes;
  for (const auto& r : existing->routes) old_routes.emplace(routeKey(r), &r);
  for (const auto& r : lrp.routes) new_routes.emplace(routeKey(r), &r);
  for (const auto& actual : store_->actuals(lrp.process_guid)) {
    if (actual.state != LrpState::kRunning) continue;
    for (const auto& r : existing->routes) {
      auto now = new_routes.find(routeKey(r));
      if ((now == new_routes.end() || pathRegexOf(*now->second) != pathRegexOf(r)) &&
          hooks_.unregister_route) {
        hooks_.unregister_route(registryMessage(*existing, actual, r));
      }
    }
    for (const auto& r : lrp.routes) {
      auto before = old_routes.find(routeKey(r));
      if ((before == old_routes.end() || !(*before->second == r)) && hooks_.register_route) {
        hooks_.register_route(registryMessage(lrp, actual, r));
      }
    }
  }

  // Instances: scale down at once (an explicit desire is fresh by definition), scale up too.
  for (const auto& actual : store_->actuals(lrp.process_guid)) {
    if (actual.index >= lrp.instances) retireLocked(actual, "scaled-down");
  }
  createMissingLocked(lrp, auctions);
  if (existing->instances != lrp.instances) {
    log::info("scheduler", "desired-lrp-scaled",
              {{"process_guid", lrp.process_guid},
               {"from", std::to_string(existing->instances)},
               {"to", std::to_string(lrp.instances)}});
  }
  return {200, ""};
}

void Bbs::removeDesired(const std::string& process_guid) {
  std::lock_guard lock(mu_);
  removeDesiredLocked(process_guid);
}

void Bbs::removeDesiredLocked(const std::string& process_guid) {
  if (store_->desired(process_guid)) {
    log::info("scheduler", "desired-lrp-removed", {{"process_guid", process_guid}});
  }
  // Retire before forgetting the desired LRP: unregistering needs its routes.
  for (const auto& actual : store_->actuals(process_guid)) retireLocked(actual, "desired-removed");
  store_->removeDesired(process_guid);
}

std::vector<std::pair<std::string, std::string>> Bbs::sync(const std::vector<DesiredLrp>& lrps) {
  std::vector<std::pair<std::string, std::string>> skipped;
  std::vector<LrpStart> auctions;
  std::lock_guard lock(mu_);
  std::set<std::string> listed;
  for (const auto& lrp : lrps) {
    listed.insert(lrp.process_guid);
    Outcome out = desireLocked(lrp, &auctions);
    if (out.status >= 300) skipped.emplace_back(lrp.process_guid, out.error);
  }
  for (const auto& lrp : store_->allDesired()) {
    if (!listed.count(lrp.process_guid)) removeDesiredLocked(lrp.process_guid);
  }
  last_sync_ns_ = now_();
  dispatch(std::move(auctions));
  return skipped;
}

std::vector<DesiredLrp> Bbs::desiredLrps(const std::string& app_guid) const {
  std::lock_guard lock(mu_);
  std::vector<DesiredLrp> out;
  for (auto& lrp : store_->allDesired()) {
    if (app_guid.empty() || lrp.app_guid == app_guid) out.push_back(std::move(lrp));
  }
  return out;
}

std::vector<ActualLrp> Bbs::actualLrps(const std::string& process_guid,
                                       const std::string& app_guid) const {
  std::lock_guard lock(mu_);
  std::vector<ActualLrp> out;
  for (const auto& lrp : store_->allDesired()) {
    if (!process_guid.empty() && lrp.process_guid != process_guid) continue;
    if (!app_guid.empty() && lrp.app_guid != app_guid) continue;
    for (auto& actual : store_->actuals(lrp.process_guid)) {
      if (actual.index < lrp.instances) out.push_back(std::move(actual));
    }
  }
  return out;
}

// ---- cell -> scheduler ----------------------------------------------------------------------

Outcome Bbs::upsertCell(const CellPresence& cell) {
  if (cell.cell_id.empty()) return {422, "cell_id is required"};
  if (cell.rep_url.empty()) return {422, "rep_url is required"};
  std::lock_guard lock(mu_);
  auto known = store_->cell(cell.cell_id);
  int64_t now = now_();
  if (!known || !cellPresentLocked(cell.cell_id, now)) {
    log::info("scheduler", "cell-present", {{"cell_id", cell.cell_id}, {"rep_url", cell.rep_url}});
  }
  store_->putCell({cell, now});
  return {200, ""};
}

bool Bbs::cellPresentLocked(const std::string& cell_id, int64_t now) const {
  auto cell = store_->cell(cell_id);
  return cell && now - cell->last_seen_ns <= config_.cell_ttl_ns;
}

std::optional<ActualLrp> Bbs::reportedLocked(const InstanceReport& report, Outcome* why) const {
  if (report.process_guid.empty() || report.instance_guid.empty() || report.cell_id.empty()) {
    *why = {422, "process_guid, instance_guid and cell_id are required"};
    return std::nullopt;
  }
  auto desired = store_->desired(report.process_guid);
  auto actual = store_->actual(report.process_guid, report.index);
  if (!desired || report.index < 0 || report.index >= desired->instances || !actual ||
      actual->instance_guid != report.instance_guid) {
    *why = {409, "instance " + report.instance_guid + " of " +
                     instanceName(report.process_guid, report.index) + " is not wanted"};
    return std::nullopt;
  }
  if (!actual->cell_id.empty() && actual->cell_id != report.cell_id) {
    *why = {409, instanceName(report.process_guid, report.index) + " is held by cell " +
                     actual->cell_id};
    return std::nullopt;
  }
  return actual;
}

Outcome Bbs::claim(const InstanceReport& report) {
  std::lock_guard lock(mu_);
  Outcome why;
  auto actual = reportedLocked(report, &why);
  if (!actual) return why;
  if (!allowsTransition(actual->state, LrpState::kClaimed, true) ||
      actual->state == LrpState::kCrashed) {
    return {409, "a " + std::string(toString(actual->state)) + " instance cannot be claimed"};
  }
  int64_t now = now_();
  if (actual->state == LrpState::kRunning) {
    emitLocked(*store_->desired(report.process_guid), *actual, false);
  }
  if (actual->state != LrpState::kClaimed) actual->since_ns = now;
  actual->state = LrpState::kClaimed;
  actual->cell_id = report.cell_id;
  if (auto cell = store_->cell(report.cell_id)) actual->zone = cell->presence.zone;
  actual->placement_error.clear();
  store_->putActual(*actual);
  log::info("scheduler", "actual-lrp-claimed",
            {{"process_guid", report.process_guid},
             {"index", std::to_string(report.index)},
             {"cell_id", report.cell_id}});
  return {200, ""};
}

Outcome Bbs::start(const InstanceReport& report) {
  if (report.address.empty() || report.port <= 0 || report.port > 65535) {
    return {422, "address and port (1-65535) are required"};
  }
  std::lock_guard lock(mu_);
  Outcome why;
  auto actual = reportedLocked(report, &why);
  if (!actual) return why;
  if (actual->state == LrpState::kCrashed) return {409, "a CRASHED instance cannot start"};
  auto desired = store_->desired(report.process_guid);
  bool moved = actual->state != LrpState::kRunning || actual->address != report.address ||
               actual->port != report.port;
  if (moved && actual->state == LrpState::kRunning) emitLocked(*desired, *actual, false);
  if (moved) actual->since_ns = now_();
  actual->state = LrpState::kRunning;
  actual->cell_id = report.cell_id;
  actual->address = report.address;
  actual->port = report.port;
  actual->placement_error.clear();
  if (auto cell = store_->cell(report.cell_id)) actual->zone = cell->presence.zone;
  store_->putActual(*actual);
  emitLocked(*desired, *actual, true);
  if (moved) {
    log::info("scheduler", "actual-lrp-running",
              {{"process_guid", report.process_guid},
               {"index", std::to_string(report.index)},
               {"cell_id", report.cell_id},
               {"address", report.address + ":" + std::to_string(report.port)}});
  }
  return {200, ""};
}

Outcome Bbs::crash(const InstanceReport& report) {
  std::vector<LrpStart> auctions;
  std::lock_guard lock(mu_);
  retiring_.erase(report.instance_guid);  // a retired instance that died: nothing left to stop
  auto actual = store_->actual(report.process_guid, report.index);
  if (!actual || actual->instance_guid != report.instance_guid ||
      actual->state == LrpState::kCrashed ||
      (!actual->cell_id.empty() && actual->cell_id != report.cell_id)) {
    return {200, ""};  // not the instance the store holds: nothing to record
  }
  auto desired = store_->desired(report.process_guid);
  int64_t now = now_();
  bool was_running = actual->state == LrpState::kRunning;
  if (was_running && desired) emitLocked(*desired, *actual, false);
  actual->crash_count = nextCrashCount(actual->crash_count, was_running, now - actual->since_ns);
  actual->crash_reason = report.crash_reason.substr(0, kMaxCrashReason);
  actual->state = LrpState::kCrashed;
  actual->since_ns = now;
  actual->cell_id.clear();
  actual->address.clear();
  actual->port = 0;
  actual->zone.clear();
  log::info("scheduler", "actual-lrp-crashed",
            {{"process_guid", report.process_guid},
             {"index", std::to_string(report.index)},
             {"crash_count", std::to_string(actual->crash_count)},
             {"reason", actual->crash_reason}});
  if (!desired || report.index >= desired->instances) {
    store_->removeActual(report.process_guid, report.index);
    return {200, ""};
  }
  if (restartsImmediately(actual->crash_count)) {
    unclaimLocked(*actual, *desired, &auctions);
  } else {
    store_->putActual(*actual);
  }
  dispatch(std::move(auctions));
  return {200, ""};
}

Outcome Bbs::removed(const InstanceReport& report) {
  std::vector<LrpStart> auctions;
  std::lock_guard lock(mu_);
  if (retiring_.erase(report.instance_guid)) {
    log::info("scheduler", "actual-lrp-retired",
              {{"process_guid", report.process_guid},
               {"index", std::to_string(report.index)},
               {"instance_guid", report.instance_guid}});
  }
  auto actual = store_->actual(report.process_guid, report.index);
  if (!actual || actual->instance_guid != report.instance_guid ||
      actual->state == LrpState::kCrashed || actual->state == LrpState::kUnclaimed) {
    return {200, ""};
  }
  // The cell dropped an instance the store still wants: run it again elsewhere.
  auto desired = store_->desired(report.process_guid);
  if (actual->state == LrpState::kRunning && desired) emitLocked(*desired, *actual, false);
  if (desired && report.index < desired->instances) {
    unclaimLocked(*actual, *desired, &auctions);
  } else {
    store_->removeActual(report.process_guid, report.index);
  }
  dispatch(std::move(auctions));
  return {200, ""};
}

// ---- auction runner -------------------------------------------------------------------------

std::vector<CellPresence> Bbs::presentCells() const {
  std::lock_guard lock(mu_);
  int64_t now = now_();
  std::vector<CellPresence> out;
  for (const auto& cell : store_->allCells()) {
    if (now - cell.last_seen_ns <= config_.cell_ttl_ns) out.push_back(cell.presence);
  }
  return out;
}

bool Bbs::wantsStart(const LrpStart& start) const {
  std::lock_guard lock(mu_);
  auto desired = store_->desired(start.desired.process_guid);
  auto actual = store_->actual(start.desired.process_guid, start.index);
  return desired && start.index < desired->instances && actual &&
         actual->state == LrpState::kUnclaimed && actual->instance_guid == start.instance_guid;
}

void Bbs::auctionFailed(const LrpStart& start, const std::string& error) {
  std::lock_guard lock(mu_);
  auto actual = store_->actual(start.desired.process_guid, start.index);
  if (!actual || actual->state != LrpState::kUnclaimed ||
      actual->instance_guid != start.instance_guid) {
    return;
  }
  actual->placement_error = error;
  actual->since_ns = now_();  // convergence retries it once it is stale again
  store_->putActual(*actual);
  log::warn("scheduler", "auction-failed",
            {{"process_guid", actual->process_guid},
             {"index", std::to_string(actual->index)},
             {"error", error}});
}

// ---- convergence ----------------------------------------------------------------------------

void Bbs::converge() {
  std::vector<LrpStart> auctions;
  std::lock_guard lock(mu_);
  int64_t now = now_();
  bool is_fresh = last_sync_ns_ > 0 && now - last_sync_ns_ <= config_.freshness_ttl_ns;
  std::set<std::string> desired_guids;
  for (const auto& desired : store_->allDesired()) {
    desired_guids.insert(desired.process_guid);
    createMissingLocked(desired, &auctions);
    for (const auto& actual : store_->actuals(desired.process_guid)) {
      if (actual.index >= desired.instances) {
        if (is_fresh) retireLocked(actual, "extra-instance");
        continue;
      }
      switch (actual.state) {
        case LrpState::kUnclaimed:
          if (now - actual.since_ns > config_.stale_unclaimed_ns) {
            log::info(
                "scheduler", "stale-unclaimed",
                {{"process_guid", actual.process_guid}, {"index", std::to_string(actual.index)}});
            unclaimLocked(actual, desired, &auctions);
          }
          break;
        case LrpState::kCrashed:
          if (restartDue(actual.crash_count, actual.since_ns, now)) {
            unclaimLocked(actual, desired, &auctions);
          }
          break;
        case LrpState::kClaimed:
        case LrpState::kRunning:
          if (!cellPresentLocked(actual.cell_id, now)) {
            log::warn("scheduler", "instance-on-missing-cell",
                      {{"process_guid", actual.process_guid},
                       {"index", std::to_string(actual.index)},
                       {"cell_id", actual.cell_id}});
            if (actual.state == LrpState::kRunning) emitLocked(desired, actual, false);
            unclaimLocked(actual, desired, &auctions);
          }
          break;
      }
    }
  }
  for (const auto& actual : store_->allActuals()) {
    if (!desired_guids.count(actual.process_guid)) retireLocked(actual, "orphaned");
  }
  // Stops never confirmed (the cell went away): forget them; bulk sync stops them again should
  // the cell come back with them.
  constexpr int64_t kForgetStopNs = 10LL * 60 * 1'000'000'000;
  std::erase_if(retiring_, [&](const auto& e) { return now - e.second.second > kForgetStopNs; });
  std::erase_if(replaced_, [&](const auto& e) { return now - e.second > kForgetStopNs; });
  dispatch(std::move(auctions));
}

void Bbs::reconcileCell(const CellState& state, int64_t fetched_at_ns) {
  std::vector<LrpStart> auctions;
  std::lock_guard lock(mu_);
  auto cell = store_->cell(state.cell_id);
  if (!cell) return;
  int64_t now = now_();
  bool is_fresh = last_sync_ns_ > 0 && now - last_sync_ns_ <= config_.freshness_ttl_ns;
  std::set<std::string> on_cell;
  for (const auto& lrp : state.lrps) {
    on_cell.insert(lrp.instance_guid);
    auto actual = store_->actual(lrp.process_guid, lrp.index);
    if (actual && actual->instance_guid == lrp.instance_guid) continue;
    if (auto it = retiring_.find(lrp.instance_guid); it != retiring_.end()) {
      if (now - it->second.second > config_.restop_after_ns) stopLocked(it->second.first);
      continue;
    }
    if (lrp.state == LrpState::kCrashed) continue;  // the cell cleans those up itself
    if (replaced_.count(lrp.instance_guid)) {
      // An attempt the store gave up on (crashed, lost, on a missing cell): never adopt it.
      stopLocked(
          {lrp.process_guid, lrp.index, lrp.instance_guid, state.cell_id, cell->presence.rep_url});
      continue;
    }
    if (!is_fresh) continue;  // without a recent sync the store may just not know yet
    auto desired = store_->desired(lrp.process_guid);
    bool adoptable = desired && lrp.index >= 0 && lrp.index < desired->instances &&
                     (!actual || actual->state == LrpState::kUnclaimed);
    if (adoptable) {
      ActualLrp adopted;
      adopted.process_guid = lrp.process_guid;
      adopted.index = lrp.index;
      adopted.instance_guid = lrp.instance_guid;
      adopted.cell_id = state.cell_id;
      adopted.zone = cell->presence.zone;
      adopted.since_ns = now;
      adopted.crash_count = actual ? actual->crash_count : 0;
      bool routable = lrp.state == LrpState::kRunning && lrp.port > 0 && !lrp.address.empty();
      adopted.state = routable ? LrpState::kRunning : LrpState::kClaimed;
      adopted.address = lrp.address;
      adopted.port = lrp.port;
      store_->putActual(adopted);
      if (routable) emitLocked(*desired, adopted, true);
      log::info("scheduler", "actual-lrp-adopted",
                {{"process_guid", lrp.process_guid},
                 {"index", std::to_string(lrp.index)},
                 {"cell_id", state.cell_id},
                 {"instance_guid", lrp.instance_guid}});
      continue;
    }
    log::info("scheduler", "unwanted-instance",
              {{"process_guid", lrp.process_guid},
               {"index", std::to_string(lrp.index)},
               {"cell_id", state.cell_id},
               {"instance_guid", lrp.instance_guid}});
    stopLocked(
        {lrp.process_guid, lrp.index, lrp.instance_guid, state.cell_id, cell->presence.rep_url});
  }
  // Instances the store places on this cell since before the fetch that the cell lacks.
  constexpr int64_t kMarginNs = 1'000'000'000;
  for (const auto& actual : store_->allActuals()) {
    if (actual.cell_id != state.cell_id || on_cell.count(actual.instance_guid)) continue;
    if (actual.state != LrpState::kClaimed && actual.state != LrpState::kRunning) continue;
    if (actual.since_ns > fetched_at_ns - kMarginNs) continue;
    auto desired = store_->desired(actual.process_guid);
    if (!desired) continue;  // convergence retires orphans
    log::warn("scheduler", "instance-lost",
              {{"process_guid", actual.process_guid},
               {"index", std::to_string(actual.index)},
               {"cell_id", state.cell_id}});
    if (actual.state == LrpState::kRunning) emitLocked(*desired, actual, false);
    if (actual.index < desired->instances) {
      unclaimLocked(actual, *desired, &auctions);
    } else {
      store_->removeActual(actual.process_guid, actual.index);
    }
  }
  dispatch(std::move(auctions));
}

// ---- helpers --------------------------------------------------------------------------------

void Bbs::createMissingLocked(const DesiredLrp& lrp, std::vector<LrpStart>* auctions) {
  for (int index = 0; index < lrp.instances; ++index) {
    if (store_->actual(lrp.process_guid, index)) continue;
    ActualLrp actual;
    actual.process_guid = lrp.process_guid;
    actual.index = index;
    unclaimLocked(actual, lrp, auctions);
  }
}

void Bbs::unclaimLocked(ActualLrp actual, const DesiredLrp& desired,
                        std::vector<LrpStart>* auctions) {
  if (!actual.instance_guid.empty()) replaced_[actual.instance_guid] = now_();
  actual.instance_guid = newInstanceGuid();
  actual.state = LrpState::kUnclaimed;
  actual.since_ns = now_();
  actual.cell_id.clear();
  actual.address.clear();
  actual.port = 0;
  actual.zone.clear();
  store_->putActual(actual);
  auctions->push_back({desired, actual.index, actual.instance_guid});
}

void Bbs::retireLocked(const ActualLrp& actual, const char* why) {
  store_->removeActual(actual.process_guid, actual.index);
  log::info("scheduler", "retiring-instance",
            {{"process_guid", actual.process_guid},
             {"index", std::to_string(actual.index)},
             {"state", std::string(toString(actual.state))},
             {"reason", why}});
  if (actual.state == LrpState::kUnclaimed || actual.state == LrpState::kCrashed) return;
  if (actual.state == LrpState::kRunning) {
    if (auto desired = store_->desired(actual.process_guid)) emitLocked(*desired, actual, false);
  }
  auto cell = store_->cell(actual.cell_id);
  stopLocked({actual.process_guid, actual.index, actual.instance_guid, actual.cell_id,
              cell ? cell->presence.rep_url : ""});
}

void Bbs::stopLocked(StopOrder order) {
  std::string guid = order.instance_guid;
  retiring_[guid] = {order, now_()};
  if (order.rep_url.empty()) {
    log::warn("scheduler", "stop-without-cell",
              {{"instance_guid", guid}, {"cell_id", order.cell_id}});
    return;
  }
  if (hooks_.stop_instance) hooks_.stop_instance(order);
}

void Bbs::emitLocked(const DesiredLrp& desired, const ActualLrp& actual, bool register_it) {
  const auto& hook = register_it ? hooks_.register_route : hooks_.unregister_route;
  if (!hook) return;
  for (const auto& message : registryMessages(desired, actual)) hook(message);
}

std::vector<nlohmann::json> Bbs::allRegistrations() const {
  std::lock_guard lock(mu_);
  std::vector<nlohmann::json> out;
  for (const auto& desired : store_->allDesired()) {
    for (const auto& actual : store_->actuals(desired.process_guid)) {
      if (actual.state != LrpState::kRunning) continue;
      for (auto& message : registryMessages(desired, actual)) out.push_back(std::move(message));
    }
  }
  return out;
}

bool Bbs::fresh() const {
  std::lock_guard lock(mu_);
  return last_sync_ns_ > 0 && now_() - last_sync_ns_ <= config_.freshness_ttl_ns;
}

}  // namespace foundry::sched
