#pragma once
// One task the cell holds: its definition, the Instance it runs as (taskAsInstance: the same
// sandboxes and stop requests as an app instance) and, once it ended, its completion until the
// scheduler has taken it. The lifecycle is Cell::runTask (task_runner.cc).
#include <cstdint>
#include <memory>

#include "scheduler/cell/instance.h"
#include "scheduler/cell/instance_env.h"
#include "scheduler/model/task.h"

namespace foundry::cell {

struct TaskRun {
  explicit TaskRun(sched::TaskDefinition d)
      : definition(std::move(d)), instance(std::make_shared<Instance>(taskAsInstance(definition))) {}

  const sched::TaskDefinition definition;
  const std::shared_ptr<Instance> instance;
  // Guarded by the Cell's mutex:
  sched::TaskState state = sched::TaskState::kRunning;
  sched::TaskCompletion completion;  // once COMPLETED
  int64_t completed_at_ns = 0;
  bool cancelled = false;            // the scheduler's cancel (else a stop is the cell's shutdown)
};

// The capacity reservation's key of a task (apart from instance guids).
inline std::string taskReservation(const std::string& task_guid) { return "task:" + task_guid; }

}  // namespace foundry::cell
