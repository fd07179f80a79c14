#pragma once
// The body of GET /v3/processes/:guid/stats (PLATFORM-APIS.md B.3 "Stats item"): one item per
// index 0..instances-1, from the scheduler's actual LRPs of the process. A pure function.
//
//   RUNNING            -> RUNNING, routable, host/port of the instance, uptime from since_ns
//   CLAIMED, UNCLAIMED -> STARTING, details = the placement error when the auction failed
//   CRASHED            -> CRASHED, details = the crash reason
//   no actual LRP, or the app is stopped -> DOWN

#include <cstdint>
#include <vector>

#include <nlohmann/json.hpp>

#include "control/store/store.h"
#include "scheduler/model/lrp.h"

namespace foundry::control::scheduling {

constexpr int64_t kFdsQuota = 16384;

// `actual` may hold other indices, duplicates (the RUNNING one wins) or nothing.
nlohmann::json presentProcessStats(const Process& process, bool app_started,
                                   const std::vector<sched::ActualLrp>& actual, int64_t now_ns);

}  // namespace foundry::control::scheduling
