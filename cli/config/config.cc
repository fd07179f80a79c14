#include "cli/config/config.h"

#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

namespace foundry::cli {

namespace fs = std::filesystem;
using nlohmann::json;

fs::path configDirectory() {
  if (const char* home = std::getenv("FOUNDRY_HOME"); home && *home) return home;
  if (const char* home = std::getenv("HOME"); home && *home) return fs::path(home) / ".foundry";
  return ".foundry";
}

fs::path configFile() { return configDirectory() / "config.json"; }

Result<Config> loadConfig() {
  Config config;
  std::ifstream in(configFile());
  if (!in) return Result<Config>::ok(config);
  std::stringstream text;
  text << in.rdbuf();
  json doc = json::parse(text.str(), nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) {
    return Result<Config>::fail(
        "Config file " + configFile().string() +
        " is not valid JSON; fix it or remove it and run 'foundry api URL'");
  }
  auto text_of = [&](const char* key) {
    auto it = doc.find(key);
    return it != doc.end() && it->is_string() ? it->get<std::string>() : std::string();
  };
  config.api = text_of("api");
  config.api_version = text_of("api_version");
  config.org_guid = text_of("organization_guid");
  config.org_name = text_of("organization_name");
  config.space_guid = text_of("space_guid");
  config.space_name = text_of("space_name");
  return Result<Config>::ok(config);
}

Status saveConfig(const Config& config) {
  std::error_code ec;
  fs::create_directories(configDirectory(), ec);
  if (ec) return Status::fail("Cannot create " + configDirectory().string() + ": " + ec.message());
  fs::permissions(configDirectory(), fs::perms::owner_all, fs::perm_options::replace, ec);
  json doc = {{"api", config.api},
              {"api_version", config.api_version},
              {"organization_guid", config.org_guid},
              {"organization_name", config.org_name},
              {"space_guid", config.space_guid},
              {"space_name", config.space_name}};
  fs::path temp = configFile();
  temp += ".tmp";
  {
    std::ofstream out(temp, std::ios::trunc);
    out << doc.dump(2) << "\n";
    if (!out) return Status::fail("Cannot write " + temp.string());
  }
  fs::rename(temp, configFile(), ec);
  if (ec) return Status::fail("Cannot write " + configFile().string() + ": " + ec.message());
  return okStatus();
}

}  // namespace foundry::cli
