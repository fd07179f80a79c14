#include "scheduler/cell/instance_env.h"

#include <map>

namespace foundry::cell {

std::string memoryLimitText(int memory_mb) { return std::to_string(memory_mb) + "m"; }

std::string processIdOf(const std::string& process_guid) {
  constexpr size_t kUuidLength = 36;
  if (process_guid.size() > kUuidLength + 1 &&
      process_guid[process_guid.size() - kUuidLength - 1] == '-') {
    std::string suffix = process_guid.substr(process_guid.size() - kUuidLength);
    bool looks_like_uuid = suffix[8] == '-' && suffix[13] == '-' && suffix[18] == '-' &&
                           suffix[23] == '-';
    if (looks_like_uuid) return process_guid.substr(0, process_guid.size() - kUuidLength - 1);
  }
  return process_guid;
}

nlohmann::json vcapApplication(const sched::LrpStart& start, const InstancePlacement& placement) {
  const sched::DesiredLrp& d = start.desired;
  nlohmann::json uris = nlohmann::json::array();
  for (const auto& route : d.routes) {
    std::string uri = route.hostname + route.path;
    if (!route.hostname.empty()) uris.push_back(uri);
  }
  return {
      {"application_id", d.app_guid},
      {"application_name", d.app_name},
      {"application_uris", uris},
      {"name", d.app_name},
      {"uris", uris},
      {"space_id", d.space_guid},
      {"space_name", d.space_name},
      {"organization_id", d.organization_guid},
      {"organization_name", d.organization_name},
      {"process_id", processIdOf(d.process_guid)},
      {"process_type", d.process_type},
      {"limits", {{"mem", d.memory_mb}, {"disk", d.disk_mb}, {"fds", 16384}}},
      {"instance_index", start.index},
      {"instance_id", start.instance_guid},
      {"host", "0.0.0.0"},
      {"port", placement.port},
  };
}

std::vector<std::string> instanceEnvironment(const sched::LrpStart& start,
                                             const InstancePlacement& placement) {
  std::map<std::string, std::string> env(start.desired.environment.begin(),
                                         start.desired.environment.end());
  const std::string port = std::to_string(placement.port);
  const std::string index = std::to_string(start.index);
  const std::string addr = placement.cell_address + ":" + port;
  nlohmann::json ports = nlohmann::json::array(
      {{{"external", placement.port}, {"internal", placement.port}}});
  std::map<std::string, std::string> platform = {
      {"PORT", port},
      {"VCAP_APP_PORT", port},
      {"VCAP_APP_HOST", "0.0.0.0"},
      {"VCAP_APPLICATION", vcapApplication(start, placement).dump()},
      {"CF_INSTANCE_INDEX", index},
      {"CF_INSTANCE_GUID", start.instance_guid},
      {"CF_INSTANCE_IP", placement.cell_address},
      {"CF_INSTANCE_INTERNAL_IP", placement.cell_address},
      {"CF_INSTANCE_PORT", port},
      {"CF_INSTANCE_ADDR", addr},
      {"CF_INSTANCE_PORTS", ports.dump()},
      {"INSTANCE_GUID", start.instance_guid},
      {"INSTANCE_INDEX", index},
      {"MEMORY_LIMIT", memoryLimitText(start.desired.memory_mb)},
      {"HOME", placement.root + "/app"},
      {"TMPDIR", placement.root + "/tmp"},
      {"LANG", "en_US.UTF-8"},
      {"USER", "vcap"},
  };
  for (auto& [name, value] : platform) env[name] = value;
  // The controller renders VCAP_SERVICES (the app's bindings); "{}" when it sent none.
  if (!env.count("VCAP_SERVICES")) env["VCAP_SERVICES"] = "{}";
  if (!placement.path.empty() && env.count("PATH") == 0) env["PATH"] = placement.path;
  std::vector<std::string> out;
  out.reserve(env.size());
  for (const auto& [name, value] : env) {
    // A name with '=' or NUL cannot be expressed in an environment block: drop it.
    if (name.empty() || name.find('=') != std::string::npos ||
        name.find('\0') != std::string::npos || value.find('\0') != std::string::npos) {
      continue;
    }
    out.push_back(name + "=" + value);
  }
  return out;
}

sched::LrpStart taskAsInstance(const sched::TaskDefinition& task) {
  sched::LrpStart start;
  start.index = 0;
  start.instance_guid = "task-" + task.task_guid;
  sched::DesiredLrp& d = start.desired;
  d.process_guid = task.task_guid;
  d.app_guid = task.app_guid;
  d.process_type = "task";
  d.app_name = task.app_name;
  d.space_guid = task.space_guid;
  d.space_name = task.space_name;
  d.organization_guid = task.organization_guid;
  d.organization_name = task.organization_name;
  d.instances = 1;
  d.memory_mb = task.memory_mb;
  d.disk_mb = task.disk_mb;
  d.droplet_guid = task.droplet_guid;
  d.droplet_url = task.droplet_url;
  d.droplet_sha256 = task.droplet_sha256;
  d.start_command = task.command;
  d.docker_image = task.docker_image;
  d.docker_username = task.docker_username;
  d.docker_password = task.docker_password;
  d.environment = task.environment;
  d.health_check.type = "process";
  return start;
}

std::vector<std::string> taskEnvironment(const sched::LrpStart& task_start,
                                         const InstancePlacement& placement) {
  std::vector<std::string> env = instanceEnvironment(task_start, placement);
  std::vector<std::string> out;
  out.reserve(env.size());
  for (auto& entry : env) {
    const std::string name = entry.substr(0, entry.find('='));
    if (name == "PORT" || name == "VCAP_APP_PORT" || name == "CF_INSTANCE_PORT" ||
        name == "CF_INSTANCE_ADDR") {
      continue;
    }
    if (name == "CF_INSTANCE_PORTS") {
      out.push_back("CF_INSTANCE_PORTS=[]");
    } else if (name == "VCAP_APPLICATION") {
      nlohmann::json app = vcapApplication(task_start, placement);
      app.erase("port");
      out.push_back("VCAP_APPLICATION=" + app.dump());
    } else {
      out.push_back(std::move(entry));
    }
  }
  return out;
}

}  // namespace foundry::cell
