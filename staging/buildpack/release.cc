#include "staging/buildpack/release.h"

#include <yaml-cpp/yaml.h>

namespace foundry::staging {
namespace {

// A YAML map of scalar -> scalar; a null node is an empty map.
std::optional<ProcessTypes> scalarMap(const YAML::Node& node) {
  ProcessTypes types;
  if (!node || node.IsNull()) {
    return types;
  }
  if (!node.IsMap()) {
    return std::nullopt;
  }
  for (const auto& kv : node) {
    if (!kv.first.IsScalar()) {
      return std::nullopt;
    }
    if (kv.second.IsNull()) {
      types[kv.first.as<std::string>()] = "";
      continue;
    }
    if (!kv.second.IsScalar()) {
      return std::nullopt;
    }
    types[kv.first.as<std::string>()] = kv.second.as<std::string>();
  }
  return types;
}

std::optional<YAML::Node> load(const std::string& text) {
  try {
    return YAML::Load(text);
  } catch (const YAML::Exception&) {
    return std::nullopt;
  }
}

}  // namespace

std::optional<ProcessTypes> parseReleaseYaml(const std::string& text) {
  auto doc = load(text);
  if (!doc) {
    return std::nullopt;
  }
  if (doc->IsNull()) {
    return ProcessTypes{};
  }
  if (!doc->IsMap()) {
    return std::nullopt;
  }
  return scalarMap((*doc)["default_process_types"]);
}

std::optional<ProcessTypes> parseProcfile(const std::string& text) {
  auto doc = load(text);
  if (!doc) {
    return std::nullopt;
  }
  return scalarMap(*doc);
}

std::optional<ProcessTypes> parseLaunchYml(const std::string& text) {
  auto doc = load(text);
  if (!doc) {
    return std::nullopt;
  }
  ProcessTypes types;
  if (doc->IsNull()) {
    return types;
  }
  if (!doc->IsMap()) {
    return std::nullopt;
  }
  YAML::Node processes = (*doc)["processes"];
  if (!processes || processes.IsNull()) {
    return types;
  }
  if (!processes.IsSequence()) {
    return std::nullopt;
  }
  for (const auto& p : processes) {
    if (!p.IsMap() || !p["type"] || !p["type"].IsScalar()) {
      return std::nullopt;
    }
    std::string command;
    if (p["command"] && p["command"].IsScalar()) {
      command = p["command"].as<std::string>();
    }
    types[p["type"].as<std::string>()] = command;
  }
  return types;
}

std::string chooseStartCommand(const std::string& user_command, const ProcessTypes& staged) {
  if (!user_command.empty()) {
    return user_command;
  }
  auto it = staged.find("web");
  return it == staged.end() ? "" : it->second;
}

void mergeProcessTypes(ProcessTypes& base, const ProcessTypes& overrides) {
  for (const auto& [type, command] : overrides) {
    base[type] = command;
  }
}

}  // namespace foundry::staging
