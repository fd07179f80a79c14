#include "staging/droplet/staging_info.h"

#include <nlohmann/json.hpp>
#include <yaml-cpp/yaml.h>

namespace foundry::staging {

std::string stagingInfoToJson(const StagingInfo& info) {
  nlohmann::json j;
  j["detected_buildpack"] = info.detected_buildpack;
  j["start_command"] = info.start_command;
  j["buildpacks"] = nlohmann::json::array();
  for (const auto& bp : info.buildpacks) {
    j["buildpacks"].push_back({{"key", bp.key}, {"name", bp.name}, {"version", bp.version}});
  }
  return j.dump();
}

std::optional<StagingInfo> parseStagingInfo(const std::string& text) {
  try {
    YAML::Node doc = YAML::Load(text);
    StagingInfo info;
    if (doc.IsNull()) {
      return info;
    }
    if (!doc.IsMap()) {
      return std::nullopt;
    }
    auto str = [](const YAML::Node& n) {
      return n && n.IsScalar() ? n.as<std::string>() : std::string();
    };
    info.detected_buildpack = str(doc["detected_buildpack"]);
    info.start_command = str(doc["start_command"]);
    if (YAML::Node bps = doc["buildpacks"]; bps && bps.IsSequence()) {
      for (const auto& bp : bps) {
        info.buildpacks.push_back({str(bp["key"]), str(bp["name"]), str(bp["version"])});
      }
    }
    return info;
  } catch (const YAML::Exception&) {
    return std::nullopt;
  }
}

}  // namespace foundry::staging
