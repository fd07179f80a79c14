// Where the API tells the scheduling side (control/scheduling/) that an app's desired state
// changed. Handlers call desiredStateChanged() after their write succeeded; the hook only
// queues work (the HTTP calls run on the Reconciler's thread).
#include <algorithm>

#include "control/api/api.h"

namespace foundry::control {

void Api::desiredStateChanged(const std::string& app_guid, bool restart) {
  if (scheduling_.app_changed) scheduling_.app_changed(app_guid, restart);
}

std::vector<std::string> Api::appsRoutedBy(const std::string& route_guid) {
  std::vector<std::string> apps;
  for (const auto& d : store_.listDestinations(route_guid)) {
    if (std::find(apps.begin(), apps.end(), d.app_guid) == apps.end()) apps.push_back(d.app_guid);
  }
  return apps;
}

std::optional<Api::DropletAssignment> Api::dropletAssignmentBefore(const Ctx& c) {
  const auto& s = c.segs;
  if (c.req.method != "PATCH" || s.size() != 5 || s[0] != "v3" || s[1] != "apps" ||
      s[3] != "relationships" || s[4] != "current_droplet") {
    return std::nullopt;
  }
  auto app = store_.getApp(s[2]);
  if (!app) return std::nullopt;
  DropletAssignment before{app->guid, app->droplet_guid.value_or(""), {}};
  for (const auto& p : store_.listProcesses(app->guid)) before.versions[p.guid] = p.version;
  return before;
}

void Api::afterDropletAssignment(const DropletAssignment& before) {
  auto app = store_.getApp(before.app_guid);
  if (!app || app->droplet_guid.value_or("") == before.droplet_guid) return;
  // Cloud Controller gives the processes a new version with a new droplet, so the scheduler
  // sees a new LRP (cells must run new instances from it). The droplet handler does that too;
  // this makes sure of it for every process it left on its old version.
  const std::string now = nowIso8601();
  for (Process p : store_.listProcesses(before.app_guid)) {
    auto it = before.versions.find(p.guid);
    if (it == before.versions.end() || it->second != p.version) continue;
    p.version = newGuid();
    p.updated_at = now;
    store_.updateProcess(p);
  }
  desiredStateChanged(before.app_guid);
}

}  // namespace foundry::control
