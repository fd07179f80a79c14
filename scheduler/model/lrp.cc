#include "scheduler/model/lrp.h"

namespace foundry::sched {

namespace {
constexpr std::string_view kStateNames[] = {"UNCLAIMED", "CLAIMED", "RUNNING", "CRASHED"};
}

std::string_view toString(LrpState state) { return kStateNames[static_cast<int>(state)]; }

bool parseLrpState(std::string_view text, LrpState* out) {
  for (int i = 0; i < 4; ++i) {
    if (kStateNames[i] == text) {
      *out = static_cast<LrpState>(i);
      return true;
    }
  }
  return false;
}

void to_json(nlohmann::json& j, const LrpState& v) { j = std::string(toString(v)); }
void from_json(const nlohmann::json& j, LrpState& v) {
  if (!parseLrpState(j.get<std::string>(), &v)) {
    throw nlohmann::json::other_error::create(501, "unknown state " + j.get<std::string>(), &j);
  }
}

}  // namespace foundry::sched

namespace foundry::auth {
// On the wire between controller, scheduler and cells (signed calls) the secret travels as
// its value; everything that logs uses Secret::str().
void to_json(nlohmann::json& j, const Secret& s) { j = s.reveal(); }
void from_json(const nlohmann::json& j, Secret& s) { s = Secret(j.get<std::string>()); }
}  // namespace foundry::auth

namespace foundry::sched {

// WITH_DEFAULT: absent fields keep the struct's default, so senders may omit what they do not know.
// nlohmann's macro defines *inline* functions, which other translation units cannot link
// against; so they live in `codec` and the functions lrp.h declares forward to them.
namespace codec {
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(HealthCheck, type, endpoint, timeout_s,
                                                invocation_timeout_s, interval_s)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(RouteSpec, hostname, path, route_guid, port,
                                                route_service_url, weight, options)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(DesiredLrp, process_guid, app_guid, process_type,
                                                app_name, space_guid, space_name, organization_guid,
                                                organization_name, instances, memory_mb, disk_mb,
                                                droplet_guid, droplet_url, droplet_sha256,
                                                start_command, docker_image, docker_username,
                                                docker_password, environment, health_check,
                                                routes, placement_tags, annotation)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(ActualLrp, process_guid, index, instance_guid,
                                                cell_id, address, port, state, since_ns,
                                                crash_count, crash_reason, placement_error, zone)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(Resources, memory_mb, disk_mb, containers)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(CellPresence, cell_id, rep_url, zone,
                                                placement_tags, optional_placement_tags, total)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(CellLrp, process_guid, index, instance_guid, state,
                                                memory_mb, disk_mb, address, port)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(CellState, cell_id, zone, evacuating,
                                                placement_tags, optional_placement_tags, total,
                                                available, starting_container_count, lrps,
                                                tasks)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(LrpStart, desired, index, instance_guid)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(Work, lrps, tasks)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(WorkResult, failed, failed_tasks)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(InstanceReport, process_guid, index, instance_guid,
                                                cell_id, address, port, crash_reason)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(LogLine, timestamp_ns, app_guid, source_type,
                                                instance_index, message_type, message)
}  // namespace codec

#define FOUNDRY_SCHED_JSON_FORWARD(Type)                                                     \
  void to_json(nlohmann::json& j, const Type& v) { codec::to_json(j, v); }                  \
  void from_json(const nlohmann::json& j, Type& v) { codec::from_json(j, v); }
FOUNDRY_SCHED_JSON_FORWARD(HealthCheck)
FOUNDRY_SCHED_JSON_FORWARD(RouteSpec)
FOUNDRY_SCHED_JSON_FORWARD(DesiredLrp)
FOUNDRY_SCHED_JSON_FORWARD(ActualLrp)
FOUNDRY_SCHED_JSON_FORWARD(Resources)
FOUNDRY_SCHED_JSON_FORWARD(CellPresence)
FOUNDRY_SCHED_JSON_FORWARD(CellLrp)
FOUNDRY_SCHED_JSON_FORWARD(CellState)
FOUNDRY_SCHED_JSON_FORWARD(LrpStart)
FOUNDRY_SCHED_JSON_FORWARD(Work)
FOUNDRY_SCHED_JSON_FORWARD(WorkResult)
FOUNDRY_SCHED_JSON_FORWARD(InstanceReport)
FOUNDRY_SCHED_JSON_FORWARD(LogLine)
#undef FOUNDRY_SCHED_JSON_FORWARD

std::string immutableFieldChanged(const DesiredLrp& a, const DesiredLrp& b) {
  // Compare everything but the mutable fields by blanking those on copies.
  DesiredLrp x = a, y = b;
  x.instances = y.instances = 0;
  x.routes.clear();
  y.routes.clear();
  x.annotation.clear();
  y.annotation.clear();
  nlohmann::json jx = x, jy = y;
  for (auto it = jx.begin(); it != jx.end(); ++it) {
    if (jy[it.key()] != it.value()) return it.key();
  }
  return "";
}

std::string validate(const DesiredLrp& lrp) {
  if (lrp.process_guid.empty()) return "process_guid is required";
  for (char c : lrp.process_guid) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_';
    if (!ok) return "process_guid may only hold [a-zA-Z0-9_-]";
  }
  if (lrp.app_guid.empty()) return "app_guid is required";
  if (lrp.instances < 0) return "instances must be >= 0";
  if (lrp.memory_mb <= 0) return "memory_mb must be > 0";
  if (lrp.disk_mb <= 0) return "disk_mb must be > 0";
  if (lrp.droplet_url.empty() == lrp.docker_image.empty()) {
    return "exactly one of droplet_url and docker_image is required";
  }
  const auto& hc = lrp.health_check.type;
  if (hc != "port" && hc != "http" && hc != "process") {
    return "health_check.type must be port, http or process";
  }
  if (lrp.health_check.timeout_s <= 0) return "health_check.timeout_s must be > 0";
  for (const auto& route : lrp.routes) {
    if (route.hostname.empty()) return "routes[].hostname is required";
  }
  return "";
}

}  // namespace foundry::sched
