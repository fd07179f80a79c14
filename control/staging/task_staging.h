#pragma once
// TaskStaging: the StagingBackend of a controller with a scheduler. A buildpack build becomes a
// task on a cell (Diego's staging task; the definition is scheduling::
// buildStagingTaskDefinition): the controller hands it to the scheduler and is done; the cell
// downloads the package and the build cache from the controller, runs the stager in a
// container, uploads the droplet and the new cache, and the scheduler reports the end to
// /internal/v3/staging/<build>/build_completed (Api::stagingTaskCompleted). No buildpack code
// runs in the controller any more.
//
// A docker build runs nothing at all (its staging reads the image's manifest and config from
// the registry), so it goes to `images`, the in-process backend, as before.
//
// Thread context: stage() on the event loop; `desire` blocks briefly (an HTTP call to the
// scheduler with a short timeout). When the scheduler does not take the task, the build fails
// through `on_done` at once.

#include <functional>
#include <string>

#include "control/staging/staging_backend.h"

namespace foundry::control {

class TaskStaging : public StagingBackend {
 public:
  // Hands the build's task to the scheduler: "" once taken, else why not.
  using Desire = std::function<std::string(const StagingTask& task)>;
  using DoneSink = std::function<void(StagingResult result)>;

  TaskStaging(Desire desire, StagingBackend& images, DoneSink on_done)
      : desire_(std::move(desire)), images_(images), on_done_(std::move(on_done)) {}

  void stage(const StagingTask& task) override;

 private:
  Desire desire_;
  StagingBackend& images_;
  DoneSink on_done_;
};

}  // namespace foundry::control
