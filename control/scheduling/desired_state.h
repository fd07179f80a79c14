#pragma once
// DesiredState: reads the store and answers which LRPs the scheduler should run — one per
// process of a STARTED app that has a current droplet, nothing for a stopped or deleted app
// (or one without a droplet). While a rolling deployment of the app is DEPLOYING, each process
// also has its old-version LRP (the deployment's previous_versions, on its previous droplet),
// so neither a reconcile (scale, routes) nor the full sync drops the instances still serving.
// Runs on the controller's event loop, like every store call; the HTTP work happens on the
// Reconciler's thread with the result.

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "control/scheduling/desired_lrp_builder.h"
#include "control/store/store.h"

namespace foundry::control::scheduling {

// The app's current droplet, or nullopt when it has none (or the droplet record is gone).
std::optional<DropletInfo> currentDroplet(Store& store, const App& app);

class DesiredState {
 public:
  DesiredState(Store& store, std::string internal_url);

  // The LRPs `app_guid` should have now (empty for an unknown, stopped or droplet-less app).
  std::vector<sched::DesiredLrp> forApp(const std::string& app_guid);
  // The LRPs of every started app: the body of PUT /v1/sync.
  std::vector<sched::DesiredLrp> all();
  // The scheduler's task for `task` (buildTaskDefinition); nullopt when its app or droplet is
  // gone.
  std::optional<sched::TaskDefinition> taskDefinition(const AppTask& task);
  // The scheduler's task staging `task` (buildStagingTaskDefinition); nullopt when its app is
  // gone.
  std::optional<sched::TaskDefinition> stagingTaskDefinition(const StagingTask& task,
                                                             double timeout_s);

 private:
  std::vector<sched::DesiredLrp> forApp(const App& app);
  LrpInputs inputsFor(const App& app, const DropletInfo& droplet);
  std::vector<RouteBinding> routesOf(const std::string& app_guid, const std::string& type);

  Store& store_;
  std::string internal_url_;
};

}  // namespace foundry::control::scheduling
