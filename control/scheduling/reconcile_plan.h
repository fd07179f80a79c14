#pragma once
// What to send the scheduler to move an app from the LRPs it has to the ones it should have.
// Pure functions, so the rules are unit-tested without HTTP:
//   - an LRP whose process_guid is new is PUT whole;
//   - an LRP the scheduler already has is PUT with only instances, routes and annotation taken
//     from the wanted one (PROTOCOL.md: the other fields are immutable). As in Cloud Foundry, an
//     app rename, new environment variables or a new memory limit without a new process
//     version take effect at the next restart, which deletes and re-creates the LRP;
//   - LRPs the scheduler has and the app no longer wants (stopped, deleted, an old version)
//     are deleted after the PUTs, so a new version starts before the old one goes;
//   - restart deletes every LRP of the app first, then PUTs the wanted ones whole.

#include <string>
#include <vector>

#include "scheduler/model/lrp.h"

namespace foundry::control::scheduling {

struct ReconcilePlan {
  std::vector<std::string> delete_first;  // process guids (restart)
  std::vector<sched::DesiredLrp> put;
  std::vector<std::string> delete_after;  // process guids no longer wanted
};

// `stored` with instances, routes and annotation of `wanted`.
sched::DesiredLrp updateInPlace(const sched::DesiredLrp& stored, const sched::DesiredLrp& wanted);

ReconcilePlan planReconcile(const std::vector<sched::DesiredLrp>& existing,
                            const std::vector<sched::DesiredLrp>& wanted, bool restart);

// The body of PUT /v1/sync: `wanted`, with LRPs the scheduler has updated in place (above).
std::vector<sched::DesiredLrp> mergeForSync(const std::vector<sched::DesiredLrp>& existing,
                                            const std::vector<sched::DesiredLrp>& wanted);

}  // namespace foundry::control::scheduling
