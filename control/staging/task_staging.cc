#include "control/staging/task_staging.h"

#include "common/log/log.h"

namespace foundry::control {

void TaskStaging::stage(const StagingTask& task) {
  if (task.docker) {
    images_.stage(task);
    return;
  }
  const std::string error = desire_(task);
  if (error.empty()) {
    log::info("controller", "staging-task-desired",
              {{"build", task.build_guid}, {"app", task.app_guid}});
    return;
  }
  log::warn("controller", "staging-task-refused",
            {{"build", task.build_guid}, {"app", task.app_guid}, {"error", error}});
  StagingResult failed;
  failed.build_guid = task.build_guid;
  failed.app_guid = task.app_guid;
  failed.exit_code = -1;
  failed.error = "StagingError - Staging error: the scheduler did not take the staging task: " +
                 error;
  on_done_(std::move(failed));
}

}  // namespace foundry::control
