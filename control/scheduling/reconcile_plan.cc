#include "control/scheduling/reconcile_plan.h"

#include <map>

namespace foundry::control::scheduling {

namespace {

std::map<std::string, const sched::DesiredLrp*> byGuid(const std::vector<sched::DesiredLrp>& lrps) {
  std::map<std::string, const sched::DesiredLrp*> index;
  for (const auto& lrp : lrps) index[lrp.process_guid] = &lrp;
  return index;
}

}  // namespace

sched::DesiredLrp updateInPlace(const sched::DesiredLrp& stored, const sched::DesiredLrp& wanted) {
  sched::DesiredLrp merged = stored;
  merged.instances = wanted.instances;
  merged.routes = wanted.routes;
  merged.annotation = wanted.annotation;
  return merged;
}

ReconcilePlan planReconcile(const std::vector<sched::DesiredLrp>& existing,
                            const std::vector<sched::DesiredLrp>& wanted, bool restart) {
  ReconcilePlan plan;
  auto have = byGuid(existing);
  auto want = byGuid(wanted);
  if (restart) {
    for (const auto& lrp : existing) plan.delete_first.push_back(lrp.process_guid);
    plan.put = wanted;
    return plan;
  }
  for (const auto& lrp : wanted) {
    auto it = have.find(lrp.process_guid);
    if (it == have.end()) {
      plan.put.push_back(lrp);
      continue;
    }
    sched::DesiredLrp merged = updateInPlace(*it->second, lrp);
    if (nlohmann::json(merged) != nlohmann::json(*it->second)) plan.put.push_back(merged);
  }
  for (const auto& lrp : existing) {
    if (!want.count(lrp.process_guid)) plan.delete_after.push_back(lrp.process_guid);
  }
  return plan;
}

std::vector<sched::DesiredLrp> mergeForSync(const std::vector<sched::DesiredLrp>& existing,
                                            const std::vector<sched::DesiredLrp>& wanted) {
  auto have = byGuid(existing);
  std::vector<sched::DesiredLrp> body;
  body.reserve(wanted.size());
  for (const auto& lrp : wanted) {
    auto it = have.find(lrp.process_guid);
    body.push_back(it == have.end() ? lrp : updateInPlace(*it->second, lrp));
  }
  return body;
}

}  // namespace foundry::control::scheduling
