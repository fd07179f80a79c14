// VCAP_SERVICES (PLATFORM-APIS.md A.9): what an app's bindings put in its environment, in
// Cloud Controller's exact shape. Keyed by label (the offering's name, or "user-provided"),
// one entry per bound instance: its newest binding whose create succeeded. Staging, every
// instance at start, and GET /v3/apps/:guid/env all read it from here.
#include "control/services/vcap_services.h"

#include <algorithm>
#include <set>

namespace foundry::control::services {

using nlohmann::json;

json vcapServices(Store& store_, const std::string& app_guid) {
  ServiceBindingFilter f;
  f.app_guids = {app_guid};
  f.types = {"app"};
  // Newest first, so the first binding seen for an instance is the one rendered.
  auto bindings = store_.listServiceBindings(f);
  std::reverse(bindings.begin(), bindings.end());
  json out = json::object();
  std::set<std::string> rendered;
  for (const auto& b : bindings) {
    if (b.last_operation.type == "create" && b.last_operation.state != "succeeded") continue;
    if (!rendered.insert(b.instance_guid).second) continue;
    auto instance = store_.getServiceInstance(b.instance_guid);
    if (!instance) continue;
    json credentials = json::parse(b.credentials.reveal(), nullptr, false);
    json mounts = json::array();
    json stored_mounts = json::parse(b.volume_mounts, nullptr, false);
    if (stored_mounts.is_array()) {
      for (const auto& m : stored_mounts) {
        // Only these three of a mount reach the app (CC's presenter).
        json reduced = json::object();
        for (const char* k : {"container_dir", "mode", "device_type"}) {
          if (m.is_object() && m.contains(k)) reduced[k] = m[k];
        }
        mounts.push_back(std::move(reduced));
      }
    }
    json entry = {{"binding_guid", b.guid},
                  {"binding_name", b.name ? json(*b.name) : json(nullptr)},
                  {"credentials", credentials.is_object() ? credentials : json::object()},
                  {"instance_guid", instance->guid},
                  {"instance_name", instance->name},
                  {"name", b.name.value_or(instance->name)},
                  {"syslog_drain_url", b.syslog_drain_url ? json(*b.syslog_drain_url)
                                                          : json(nullptr)},
                  {"volume_mounts", mounts}};
    std::string label = "user-provided";
    json tags = instance->tags;
    if (instance->type == "managed") {
      auto plan = store_.getServicePlan(instance->plan_guid.value_or(""));
      auto offering = plan ? store_.getServiceOffering(plan->offering_guid) : std::nullopt;
      if (!plan || !offering) continue;
      label = offering->name;
      // Offering tags, then the instance's, without repeats.
      std::vector<std::string> merged = offering->tags;
      for (const auto& t : instance->tags) {
        if (std::find(merged.begin(), merged.end(), t) == merged.end()) merged.push_back(t);
      }
      tags = merged;
      entry["plan"] = plan->name;
      entry["provider"] = nullptr;
    }
    entry["label"] = label;
    entry["tags"] = tags;
    out[label].push_back(std::move(entry));
  }
  return out;
}

}  // namespace foundry::control::services
