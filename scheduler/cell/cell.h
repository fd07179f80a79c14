#pragma once
// The cell: Diego's rep + executor for one machine (PROTOCOL.md, B4/B5). It accepts work from
// the scheduler within its capacity, runs each instance's lifecycle on a worker thread (claim,
// droplet, unpack, port, launcher, health checks, reports), stops instances on request and
// keeps its presence fresh at the scheduler.
//
// Thread context: work(), stop(), state(), presence() are quick and meant for the HTTP loop;
// everything that blocks (downloads, spawns, probes, scheduler calls) runs on other threads.
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "common/oci/layer_store.h"
#include "scheduler/cell/capacity.h"
#include "scheduler/cell/config.h"
#include "scheduler/cell/container_ids.h"
#include "scheduler/cell/droplet_cache.h"
#include "scheduler/cell/instance.h"
#include "scheduler/cell/log_emitter.h"
#include "scheduler/cell/memory_limit.h"
#include "scheduler/cell/oci_runtime.h"
#include "scheduler/cell/port_allocator.h"
#include "scheduler/cell/scheduler_client.h"
#include "scheduler/cell/stack_rootfs.h"
#include "scheduler/cell/task_run.h"

namespace foundry::cell {

class Cell {
 public:
  // With Isolation::kContainer it builds the stack and removes what a previous run left
  // (containers, mounts); throws std::runtime_error when the stack cannot be built.
  explicit Cell(CellConfig config);
  ~Cell();  // shutdown() if not done
  Cell(const Cell&) = delete;
  Cell& operator=(const Cell&) = delete;

  // Starts the presence loop (PUT at once, then every presence_interval_ms).
  void startPresence();

  // Takes every LrpStart and task that fits; the rest come back in `failed` / `failed_tasks`.
  sched::WorkResult work(const sched::Work& work);
  // Kills the task (SIGTERM, SIGKILL after the grace); it completes as cancelled. False when
  // the cell does not run it (fine too: cancels are idempotent).
  bool cancelTask(const std::string& task_guid);
  // Stops the instance (SIGTERM, SIGKILL after the grace) and reports `remove`. False when
  // the cell does not hold it (the stop is still fine: stops are idempotent).
  bool stop(const std::string& process_guid, const std::string& instance_guid);
  sched::CellState state();
  sched::CellPresence presence() const;

  // Stops every instance (SIGTERM, SIGKILL after the grace) and waits for their lifecycles to
  // end (bounded by the grace plus a few seconds). Refuses new work from then on.
  void shutdown();

  const CellConfig& config() const { return config_; }
  const char* memoryLimitMode() const { return memory_.mode(); }

 private:
  // The whole life of one instance, on its own thread (instance_runner.cc).
  void runLifecycle(std::shared_ptr<Instance> instance);
  // Frees the instance's reservation and forgets it (before its final report, so work the
  // scheduler sends in answer to a crash finds the room).
  void release(const std::shared_ptr<Instance>& instance);
  // The last thing a lifecycle thread does: shutdown() waits for these.
  void lifecycleEnded();
  void presenceLoop();
  // One task from droplet to completion report, on its own thread (task_runner.cc).
  void runTask(std::shared_ptr<TaskRun> run);
  // POST the completion; forgets the task once the scheduler took it (or it is too old).
  void reportTask(const std::shared_ptr<TaskRun>& run, int attempts = 3);
  // Completions not yet taken (the scheduler was down or did not know the task): sent again.
  void reportPendingTasks();
  sched::InstanceReport reportFor(const Instance& instance) const;
  void cellLog(const Instance& instance, const std::string& message);

  const CellConfig config_;
  SchedulerClient scheduler_;
  DropletCache droplets_;
  PortAllocator ports_;
  MemoryLimiter memory_;
  LogEmitter logs_;
  // Containers only (Isolation::kContainer):
  std::unique_ptr<OciRuntime> oci_;
  std::unique_ptr<oci::LayerStore> images_;  // Docker images' layers and root filesystems
  StackRootfs stack_;
  ContainerIds container_ids_;

  std::mutex mutex_;
  std::condition_variable changed_;
  Capacity capacity_;
  std::map<std::string, std::shared_ptr<Instance>> instances_;  // by instance_guid
  std::map<std::string, std::shared_ptr<TaskRun>> tasks_;      // by task_guid
  int running_lifecycles_ = 0;
  bool shutting_down_ = false;
  std::thread presence_thread_;

  friend class InstanceRunner;
  friend class TaskRunner;
  friend class ProcessSandbox;
  friend class ContainerSandbox;
};

}  // namespace foundry::cell
