#pragma once
// The CLI's saved state: the API endpoint and the org/space it acts in, as JSON in
// $FOUNDRY_HOME/config.json (default ~/.foundry/config.json).
#include <filesystem>
#include <string>

#include "cli/common/result.h"

namespace foundry::cli {

struct Config {
  std::string api;  // "http://127.0.0.1:9022", no trailing slash; empty = not set
  std::string api_version;
  std::string org_guid;
  std::string org_name;
  std::string space_guid;
  std::string space_name;
};

// $FOUNDRY_HOME, else $HOME/.foundry, else ./.foundry.
std::filesystem::path configDirectory();
std::filesystem::path configFile();

// A missing file is an empty Config; an unreadable or corrupt one is an error.
Result<Config> loadConfig();
// Writes atomically (temp file + rename), creating the directory (mode 0700).
Status saveConfig(const Config& config);

}  // namespace foundry::cli
