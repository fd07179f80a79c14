#pragma once
// The environment a cell gives an instance (PROTOCOL.md "What a cell gives an instance", A10):
// the app's environment first, then the platform's variables on top (an app cannot move its
// own PORT or identity away from what the router and the scheduler know).
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "scheduler/model/lrp.h"

namespace foundry::cell {

struct InstancePlacement {
  std::string cell_address;   // --address: where the instance is reachable
  uint16_t port = 0;          // host port = container port (no NAT on a process cell)
  std::string root;           // the unpacked droplet (HOME is root/app, TMPDIR root/tmp)
  std::string path;           // PATH handed down (the cell's own)
};

// "256m"
std::string memoryLimitText(int memory_mb);
// The process id CF shows in VCAP_APPLICATION: the process guid without the "-<version uuid>"
// suffix our scheduler appends (left whole when there is no such suffix).
std::string processIdOf(const std::string& process_guid);
// VCAP_APPLICATION before the launcher adds host/instance_id/port/instance_index (we set them
// too, so an app started without the launcher sees the same).
nlohmann::json vcapApplication(const sched::LrpStart& start, const InstancePlacement& placement);
// The full environment, "NAME=value" entries, sorted by name.
std::vector<std::string> instanceEnvironment(const sched::LrpStart& start,
                                             const InstancePlacement& placement);

// A task run like an instance (the same sandboxes, droplet or image, launcher): index 0,
// process_guid = the task guid, process_type "task", start command = the task's command,
// instance_guid "task-<task guid>" (the container's and cgroup's name, apart from instances').
sched::LrpStart taskAsInstance(const sched::TaskDefinition& task);
// A task's environment: an instance's without a port (no PORT, VCAP_APP_PORT,
// CF_INSTANCE_PORT, CF_INSTANCE_ADDR; CF_INSTANCE_PORTS "[]"; VCAP_APPLICATION without port).
std::vector<std::string> taskEnvironment(const sched::LrpStart& task_start,
                                         const InstancePlacement& placement);

}  // namespace foundry::cell
