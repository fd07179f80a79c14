#include "control/staging/stager_outcome.h"

#include <nlohmann/json.hpp>

namespace foundry::control {

using nlohmann::json;

bool readStagerOutcome(const std::string& text, StagingResult* r) {
  const json outcome = json::parse(text, nullptr, false);
  if (!outcome.is_object()) return false;
  const json& start = outcome.contains("start_command") ? outcome["start_command"] : json();
  r->start_command = start.is_string() ? start.get<std::string>() : "";
  r->process_types = json::object();
  if (outcome.contains("process_types") && outcome["process_types"].is_object()) {
    for (const auto& [type, command] : outcome["process_types"].items()) {
      if (command.is_string()) r->process_types[type] = command;
    }
  }
  if (!r->start_command.empty()) r->process_types["web"] = r->start_command;
  r->buildpacks = json::array();
  const json meta = outcome.contains("lifecycle_metadata") &&
                            outcome["lifecycle_metadata"].is_object()
                        ? outcome["lifecycle_metadata"]
                        : json::object();
  const json& detected_field =
      meta.contains("detected_buildpack") ? meta["detected_buildpack"] : json();
  const std::string detected =
      detected_field.is_string() ? detected_field.get<std::string>() : "";
  auto text_of = [](const json& o, const char* key) {
    return o.contains(key) && o[key].is_string() ? o[key].get<std::string>() : std::string();
  };
  if (meta.contains("buildpacks") && meta["buildpacks"].is_array()) {
    for (const auto& bp : meta["buildpacks"]) {
      if (!bp.is_object()) continue;
      r->buildpacks.push_back(
          {{"name", text_of(bp, "key")},
           {"detect_output", detected.empty() ? json(nullptr) : json(detected)},
           {"buildpack_name", text_of(bp, "name")},
           {"version", text_of(bp, "version")}});
    }
  }
  return true;
}

std::string stagerError(const std::string& text) {
  const json outcome = json::parse(text, nullptr, false);
  if (!outcome.is_object() || !outcome.contains("error") || !outcome["error"].is_string()) {
    return "";
  }
  return outcome["error"].get<std::string>();
}

}  // namespace foundry::control
