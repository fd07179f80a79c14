#pragma once
// CONTENTS/staging_info.yml (A6): written as JSON (valid YAML), read by the launcher.
// We add a "buildpacks" list (key, name, version of each buildpack used, in order).

#include <optional>
#include <string>
#include <vector>

namespace foundry::staging {

struct BuildpackRecord {
  std::string key;      // system buildpack name, or the path/archive given
  std::string name;     // from deps/IDX/config.yml, else detect output, else the key
  std::string version;  // from deps/IDX/config.yml (may be empty)
};

struct StagingInfo {
  std::string detected_buildpack;  // name of the last (final) buildpack
  std::string start_command;       // chosen start command (A9); may be empty
  std::vector<BuildpackRecord> buildpacks;
};

std::string stagingInfoToJson(const StagingInfo& info);
// Accepts JSON or YAML (the launcher reads it with a YAML parser). nullopt when invalid.
std::optional<StagingInfo> parseStagingInfo(const std::string& text);

}  // namespace foundry::staging
